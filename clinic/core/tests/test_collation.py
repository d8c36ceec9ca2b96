import pytest
from django.utils import translation

from clinic.core.collation import collation_key, sorted_by_name


def test_ukrainian_names_follow_the_ukrainian_alphabet():
    names = ["Їжак", "Є", "Ґанок", "Гора", "Іван", "Ель", "Жук", "Иней", "Яр", "Ь", "ім'я"]
    assert sorted_by_name(names, language="uk") == [
        "Гора", "Ґанок", "Ель", "Є", "Жук", "Иней", "Іван", "ім'я", "Їжак", "Ь", "Яр",
    ]  # fmt: skip


def test_the_apostrophe_and_case_do_not_change_the_order():
    assert sorted_by_name(["Мʼята", "мята", "Мала"], language="uk") == ["Мала", "Мʼята", "мята"]
    assert collation_key("пʼять", "uk")[0] == collation_key("пять", "uk")[0]


def test_the_page_language_decides_which_script_comes_first():
    names = ["Sertraline", "Сертралін", "Agomelatine", "Агомелатин"]
    assert sorted_by_name(names, language="uk") == [
        "Агомелатин", "Сертралін", "Agomelatine", "Sertraline",
    ]  # fmt: skip
    with translation.override("en"):
        assert sorted_by_name(names) == ["Agomelatine", "Sertraline", "Агомелатин", "Сертралін"]


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["uk", "en"])
def test_antidepressants_are_offered_in_the_order_of_the_page_language(language):
    from clinic.formulary.models import Drug
    from clinic.patients.forms import TrialForm

    with translation.override(language):
        labels = [label for value, label in TrialForm().fields["drug"].choices if value]
        expected = sorted(
            (d.name for d in Drug.objects.active().antidepressants()),
            key=lambda name: collation_key(name, language),
        )
    assert len(labels) > 5 and labels == expected
