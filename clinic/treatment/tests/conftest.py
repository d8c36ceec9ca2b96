import pytest
from django.utils import translation

from clinic.accounts.roles import Role
from clinic.conftest import make_patient

# The browser fixtures of the core and website tests, shared rather than copied.
from clinic.core.tests.test_browser import browser, signed_in_page  # noqa: F401
from clinic.treatment.tests.factories import make_chair, make_course
from clinic.website.tests.test_accessibility import axe_path  # noqa: F401


@pytest.fixture
def nurse(users):
    return users[(Role.NURSE, "kyiv")]


@pytest.fixture
def physician(users):
    return users[(Role.PHYSICIAN, "kyiv")]


@pytest.fixture
def patient(kyiv, physician):
    return make_patient(kyiv, "K-0100", physician=physician)


@pytest.fixture
def chair(kyiv):
    return make_chair(kyiv)


@pytest.fixture
def course(patient, physician):
    return make_course(patient, physician)


@pytest.fixture(autouse=True)
def _english_messages():
    """Service refusals are read in English here; pages are tested in Ukrainian, the default."""
    with translation.override("en"):
        yield
