import pytest
from django.db import connection

from clinic.patients.models import Patient
from clinic.patients.tests.factories import make_registered

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_search_terms_compare_in_byte_order():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT collation_name FROM information_schema.columns "
            "WHERE table_name = 'patients_patientsearchterm' AND column_name = 'term'"
        )
        assert cursor.fetchone()[0] == "C"


def test_a_prefix_finds_longer_cyrillic_names_on_postgresql(kyiv):
    patient = make_registered(kyiv, family_name="Ґудзь-Їжакевич")
    for query in ("ґ", "ґудз", "ҐУДЗЬ", "їжак"):
        assert list(Patient.objects.matching(query)) == [patient], query
