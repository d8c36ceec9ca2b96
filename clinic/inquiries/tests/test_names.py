import pytest

from clinic.accounts.roles import Role
from clinic.inquiries.names import NameParts, split_full_name
from clinic.inquiries.tests.test_inbox import make_inquiry

pytestmark = pytest.mark.django_db


@pytest.fixture
def reception(client, users):
    client.force_login(users[(Role.RECEPTIONIST, "kyiv")])
    return client


@pytest.mark.parametrize(
    ("full_name", "parts"),
    [
        ("Прохоренко Вікторія Олегівна", ("Прохоренко", "Вікторія", "Олегівна")),
        ("Вікторія Олегівна Прохоренко", ("Прохоренко", "Вікторія", "Олегівна")),
        ("Шевченко Тарас Григорович", ("Шевченко", "Тарас", "Григорович")),
        ("Prokhorenko Viktoriia Olehivna", ("Prokhorenko", "Viktoriia", "Olehivna")),
        ("  Прохоренко   Вікторія ", ("Прохоренко", "Вікторія", "")),
    ],
)
def test_a_full_name_is_read_in_the_ukrainian_order(full_name, parts):
    read = split_full_name(full_name)
    assert read.split
    assert (read.family_name, read.given_name, read.patronymic) == parts


@pytest.mark.parametrize(
    "full_name",
    ["Вікторія", "", "Прохоренко-Коваль Вікторія Анна Олегівна", "Олегівна Вікторія Прохоренко"],
)
def test_an_ambiguous_name_is_left_for_the_receptionist(full_name):
    assert split_full_name(full_name) == NameParts()


def test_the_registration_form_is_prefilled_with_the_split_name_and_asks_for_a_check(
    reception,
    kyiv,
):
    inquiry = make_inquiry(kyiv, "Прохоренко Вікторія Олегівна", status="contacted")
    response = reception.get(f"/staff/inquiries/{inquiry.public_id}/")
    form = response.context["convert_form"]
    assert form.initial == {
        "family_name": "Прохоренко",
        "given_name": "Вікторія",
        "patronymic": "Олегівна",
    }
    page = response.content.decode()
    assert 'id="name-check"' in page and "Перевірте" in page


def test_a_one_word_name_leaves_the_fields_empty_and_says_so(reception, kyiv):
    inquiry = make_inquiry(kyiv, "Вікторія", status="contacted")
    response = reception.get(f"/staff/inquiries/{inquiry.public_id}/")
    assert response.context["convert_form"].initial == {
        "family_name": "",
        "given_name": "",
        "patronymic": "",
    }
    assert "заповніть поля" in response.content.decode()
