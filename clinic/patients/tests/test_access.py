import uuid

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from clinic.accounts.roles import CLINICAL_ROLES, Role
from clinic.conftest import make_patient
from clinic.core.models import AuditEvent
from clinic.patients.access import get_patient_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", sorted(CLINICAL_ROLES))
def test_clinical_roles_see_their_own_site_patient(users, kyiv, role):
    patient = make_patient(kyiv)
    assert get_patient_for(users[(role, "kyiv")], patient.public_id) == patient


@pytest.mark.parametrize("role", sorted(CLINICAL_ROLES))
def test_clinical_roles_cannot_see_other_site_patient(users, kyiv, role):
    patient = make_patient(kyiv)
    with pytest.raises(Http404):
        get_patient_for(users[(role, "lviv")], patient.public_id)
    denial = AuditEvent.objects.get(patient=patient)
    assert denial.outcome == AuditEvent.Outcome.DENIED
    assert denial.actor == users[(role, "lviv")]


@pytest.mark.parametrize("role", sorted(set(Role) - CLINICAL_ROLES))
def test_non_clinical_roles_see_no_patient(users, kyiv, role):
    patient = make_patient(kyiv)
    with pytest.raises(PermissionDenied):
        get_patient_for(users[(role, "kyiv")], patient.public_id)


def test_staff_of_both_sites_see_both_sites_patients(kyiv, lviv, staff_factory):
    both = staff_factory("both@test.clinic", roles=[Role.PHYSICIAN], sites=[kyiv, lviv])
    for site, number in ((kyiv, "K-1"), (lviv, "L-1")):
        patient = make_patient(site, number)
        assert get_patient_for(both, patient.public_id) == patient


def test_an_unknown_patient_is_not_found(users):
    with pytest.raises(Http404):
        get_patient_for(users[(Role.PHYSICIAN, "kyiv")], uuid.uuid4())


def test_opening_a_chart_leaves_an_audit_row(client, users, kyiv):
    patient = make_patient(kyiv)
    nurse = users[(Role.NURSE, "kyiv")]
    client.force_login(nurse)
    response = client.get(f"/staff/patients/{patient.public_id}/")
    assert response.status_code == 200
    assert patient.full_name in response.content.decode()
    event = AuditEvent.objects.get(action="patient.chart.viewed", patient=patient)
    assert event.actor == nurse
    assert event.outcome == AuditEvent.Outcome.SUCCESS
    assert event.ip == "127.0.0.1"


def test_the_other_site_chart_answers_404_and_is_audited(client, users, kyiv):
    patient = make_patient(kyiv)
    client.force_login(users[(Role.PHYSICIAN, "lviv")])
    response = client.get(f"/staff/patients/{patient.public_id}/")
    assert response.status_code == 404
    assert patient.family_name not in response.content.decode()
    assert AuditEvent.objects.filter(patient=patient, outcome="denied").count() == 1


def test_the_list_shows_only_the_current_site(client, kyiv, lviv, staff_factory):
    make_patient(kyiv, "K-1", family_name="Київська")
    make_patient(lviv, "L-1", family_name="Львівська")
    both = staff_factory("both@test.clinic", roles=[Role.PHYSICIAN], sites=[kyiv, lviv])
    client.force_login(both)
    page = client.get("/staff/patients/").content.decode()
    assert "Київська" in page and "Львівська" not in page
    client.post("/staff/sites/switch/", {"site": lviv.pk, "next": "/staff/patients/"})
    page = client.get("/staff/patients/").content.decode()
    assert "Львівська" in page and "Київська" not in page


def test_switching_to_a_site_one_does_not_work_at_is_refused(client, users, lviv):
    client.force_login(users[(Role.PHYSICIAN, "kyiv")])
    response = client.post("/staff/sites/switch/", {"site": lviv.pk})
    assert response.status_code == 404
    assert "clinic_site_id" not in client.session


def test_the_patient_list_query_count_does_not_grow(
    client, users, kyiv, django_assert_max_num_queries
):
    client.force_login(users[(Role.PHYSICIAN, "kyiv")])
    for i in range(3):
        make_patient(kyiv, f"K-{i}")
    with django_assert_max_num_queries(20) as few:
        client.get("/staff/patients/")
    for i in range(3, 30):
        make_patient(kyiv, f"K-{i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/staff/patients/")
