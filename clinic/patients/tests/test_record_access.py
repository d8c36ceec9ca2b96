"""Role and site rules for every part of the record, tested for every role."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from clinic.accounts.roles import CLINICAL_ROLES, Role
from clinic.core.models import AuditEvent
from clinic.patients import access, services
from clinic.patients.chart import SECTIONS, chart_sections
from clinic.patients.tests.factories import make_intake, make_registered, make_trial

pytestmark = pytest.mark.django_db

# What each role sees on the chart (section keys), per the rules in patients/access.py.
CLINICAL = [
    "details",
    "consents",
    "visits",
    "intake",
    "history",
    "resistance",
    "ketamine",
    "treatment",
    "scales",
    "notes",
]
# The portal's sections follow every section a role reads: the account (the invitation,
# releases, trusted people), then the patient's messages to the care team (reception's part
# holds the practical topics only).
EXPECTED_SECTIONS = {
    Role.PHYSICIAN: [*CLINICAL, "privacy", "portal", "messages"],
    Role.NURSE: [*CLINICAL, "portal", "messages"],
    Role.PSYCHOTHERAPIST: [*CLINICAL, "portal", "messages"],
    Role.RECEPTIONIST: ["details", "consents", "visits", "privacy", "portal", "messages"],
}


@pytest.mark.parametrize("role", sorted(CLINICAL_ROLES))
def test_each_role_sees_exactly_its_chart_sections(users, kyiv, role):
    patient = make_registered(kyiv)
    keys = [s.key for s in chart_sections(patient, users[(role, "kyiv")])]
    assert keys == EXPECTED_SECTIONS[role]


@pytest.mark.parametrize("role", sorted(CLINICAL_ROLES))
def test_no_section_is_shown_to_another_sites_staff(users, kyiv, role):
    patient = make_registered(kyiv)
    assert chart_sections(patient, users[(role, "lviv")]) == []


@pytest.mark.parametrize("role", sorted(set(Role) - CLINICAL_ROLES))
def test_non_clinical_roles_get_no_section(users, kyiv, role):
    patient = make_registered(kyiv)
    assert chart_sections(patient, users[(role, "kyiv")]) == []


def test_every_provider_is_listed_once():
    assert len(SECTIONS) == len(set(SECTIONS))


@pytest.mark.parametrize("role", sorted(set(Role)))
def test_clinical_content_is_for_physicians_nurses_and_psychotherapists(users, kyiv, role):
    patient = make_registered(kyiv)
    expected = role in (Role.PHYSICIAN, Role.NURSE, Role.PSYCHOTHERAPIST)
    assert access.can_read_clinical(users[(role, "kyiv")], patient) is expected
    if expected:
        assert access.get_clinical_patient_for(users[(role, "kyiv")], patient.public_id) == patient
    else:
        with pytest.raises(PermissionDenied):
            access.get_clinical_patient_for(users[(role, "kyiv")], patient.public_id)


def test_refused_clinical_read_by_reception_is_audited(users, kyiv):
    patient = make_registered(kyiv)
    with pytest.raises(PermissionDenied):
        access.get_clinical_patient_for(users[(Role.RECEPTIONIST, "kyiv")], patient.public_id)
    assert AuditEvent.objects.filter(
        action="patient.clinical.viewed", outcome="denied", patient=patient
    ).exists()


@pytest.mark.parametrize("role", sorted(set(Role)))
def test_only_physicians_write_clinical_content(users, kyiv, role):
    patient = make_registered(kyiv)
    assert access.can_write_clinical(users[(role, "kyiv")], patient) is (role == Role.PHYSICIAN)
    assert access.can_record_measurements(users[(role, "kyiv")], patient) is (
        role in (Role.PHYSICIAN, Role.NURSE)
    )
    assert access.can_manage_details(users[(role, "kyiv")], patient) is (
        role in (Role.PHYSICIAN, Role.RECEPTIONIST)
    )


@pytest.fixture
def notes(users, kyiv, staff_factory):
    physician = users[(Role.PHYSICIAN, "kyiv")]
    therapist = users[(Role.PSYCHOTHERAPIST, "kyiv")]
    other_therapist = staff_factory(
        "therapist2@test.clinic", roles=[Role.PSYCHOTHERAPIST], sites=[kyiv]
    )
    other_physician = staff_factory("doc2@test.clinic", roles=[Role.PHYSICIAN], sites=[kyiv])
    patient = make_registered(kyiv, physician=physician, psychotherapist=therapist)
    return {
        "patient": patient,
        "consultation": services.write_note(
            patient, kind="consultation", text="К", actor=physician
        ),
        "psychotherapy": services.write_note(
            patient, kind="psychotherapy", text="Сесія", actor=therapist
        ),
        "other_therapist": other_therapist,
        "other_physician": other_physician,
    }


def test_psychotherapy_notes_are_read_by_their_author_and_the_treating_physician(notes, users):
    note = notes["psychotherapy"]
    assert access.get_note_for(users[(Role.PSYCHOTHERAPIST, "kyiv")], note.public_id) == note
    assert access.get_note_for(users[(Role.PHYSICIAN, "kyiv")], note.public_id) == note
    for outsider in (
        notes["other_therapist"],
        notes["other_physician"],
        users[(Role.NURSE, "kyiv")],
        users[(Role.RECEPTIONIST, "kyiv")],
    ):
        with pytest.raises(PermissionDenied):
            access.get_note_for(outsider, note.public_id)
    denied = AuditEvent.objects.filter(action="patient.note.viewed", outcome="denied")
    assert denied.count() == 4


def test_consultation_notes_are_read_by_clinical_staff_but_not_reception(notes, users):
    note = notes["consultation"]
    for role in (Role.PHYSICIAN, Role.NURSE, Role.PSYCHOTHERAPIST):
        assert access.get_note_for(users[(role, "kyiv")], note.public_id) == note
    with pytest.raises(PermissionDenied):
        access.get_note_for(users[(Role.RECEPTIONIST, "kyiv")], note.public_id)


def test_the_notes_section_hides_psychotherapy_notes_from_others(notes, users):
    patient = notes["patient"]
    by_key = {s.key: s for s in chart_sections(patient, users[(Role.NURSE, "kyiv")])}
    assert [n.kind for n in by_key["notes"].context["notes"]] == ["consultation"]


@pytest.mark.parametrize(
    "getter",
    ["get_trial_for", "get_note_for", "get_consent_for"],
)
def test_entries_of_another_sites_patient_answer_404_and_are_audited(users, kyiv, getter):
    patient = make_registered(kyiv)
    physician = users[(Role.PHYSICIAN, "kyiv")]
    entry = {
        "get_trial_for": lambda: make_trial(patient),
        "get_note_for": lambda: services.write_note(
            patient, kind="consultation", text="x", actor=physician
        ),
        "get_consent_for": lambda: services.record_consent(
            patient,
            purpose="treatment",
            given=True,
            channel="paper",
            given_at=patient.created_at,
            actor=physician,
        ),
    }[getter]()
    with pytest.raises(Http404):
        getattr(access, getter)(users[(Role.PHYSICIAN, "lviv")], entry.public_id)
    assert AuditEvent.objects.filter(patient=patient, outcome="denied").count() == 1


def test_the_chart_of_another_site_reveals_nothing_in_any_section(client, users, kyiv):
    patient = make_registered(kyiv)
    make_intake(patient, allergies="латекс")
    client.force_login(users[(Role.PHYSICIAN, "lviv")])
    response = client.get(f"/staff/patients/{patient.public_id}/")
    assert response.status_code == 404
    assert "латекс" not in response.content.decode()
