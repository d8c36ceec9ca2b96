import pytest

from clinic.accounts.roles import Role
from clinic.controlled_drugs.tests.factories import make_drug, make_safe, receive


@pytest.fixture
def drug(db):
    return make_drug()


@pytest.fixture
def safe(kyiv):
    return make_safe(kyiv)


@pytest.fixture
def officer(users):
    return users[(Role.DRUG_OFFICER, "kyiv")]


@pytest.fixture
def nurse(users):
    return users[(Role.NURSE, "kyiv")]


@pytest.fixture
def physician(users):
    return users[(Role.PHYSICIAN, "kyiv")]


@pytest.fixture
def receipt(officer, safe, drug):
    """Five 100 mg ampoules of lot KT-001 in the Kyiv safe."""
    return receive(officer, safe, drug, units=5)


@pytest.fixture
def lot(receipt):
    return receipt.lot


@pytest.fixture
def holding(receipt):
    return receipt.holding


@pytest.fixture(autouse=True)
def _english_messages():
    # Refusal messages are matched in English; the pages are tested in both languages by the
    # browser test.
    from django.utils import translation

    with translation.override("en"):
        yield
