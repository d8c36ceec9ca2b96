"""Who reaches an assessment, a patient's outcomes and an alert: every role, both sites."""

import pytest

from clinic.accounts.roles import Role
from clinic.assessments import services
from clinic.assessments.models import SafetyAlert
from clinic.assessments.tests.factories import phq9_with_total
from clinic.conftest import make_patient
from clinic.core.models import AuditEvent

pytestmark = pytest.mark.django_db

READERS = {Role.PHYSICIAN, Role.NURSE, Role.PSYCHOTHERAPIST}


@pytest.fixture
def recorded(kyiv, users):
    patient = make_patient(kyiv, "K-1")
    assessment = services.record_assessment(
        patient,
        "phq9",
        phq9_with_total(4, item9=1),
        actor=users[(Role.NURSE, "kyiv")],
        safety_confirmed=True,
    )
    return patient, assessment, SafetyAlert.objects.get(assessment=assessment)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_at_the_patients_site(client, users, recorded, role):
    patient, assessment, alert = recorded
    client.force_login(users[(role, "kyiv")])
    detail = client.get(f"/staff/assessments/{assessment.public_id}/")
    outcomes = client.get(f"/staff/assessments/patients/{patient.public_id}/outcomes/")
    alert_page = client.get(f"/staff/assessments/alerts/{alert.public_id}/")
    expected = 200 if role in READERS else 403
    assert (detail.status_code, outcomes.status_code) == (expected, expected)
    assert alert_page.status_code == (200 if role == Role.PHYSICIAN else 403)


@pytest.mark.parametrize("role", sorted(READERS))
def test_each_clinical_role_at_the_other_site_gets_not_found(client, users, recorded, role):
    patient, assessment, alert = recorded
    user = users[(role, "lviv")]
    client.force_login(user)
    assert client.get(f"/staff/assessments/{assessment.public_id}/").status_code == 404
    assert (
        client.get(f"/staff/assessments/patients/{patient.public_id}/outcomes/").status_code == 404
    )
    body = client.get(f"/staff/assessments/{assessment.public_id}/").content.decode()
    assert "Коваленко" not in body
    assert AuditEvent.objects.filter(actor=user, outcome="denied", patient=patient).exists()
    if role == Role.PHYSICIAN:
        assert client.get(f"/staff/assessments/alerts/{alert.public_id}/").status_code == 404
