"""Who may see and change what in the patient record. One funnel per object type.

- Clinical roles (physician, nurse, psychotherapist, receptionist) see patients of their
  sites; a patient of another site answers 404 and the attempt is audited.
- Receptionists see demographics, consents and the schedule, never clinical content
  (intake, treatment history, assessment, screen, notes).
- Psychotherapy notes are read only by their author and the patient's treating physician.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from clinic.accounts.roles import Role
from clinic.core.audit import audit
from clinic.core.models import AuditEvent
from clinic.patients.models import (
    AntidepressantTrial,
    BloodPressure,
    BodyMeasurement,
    ClinicalNote,
    Consent,
    Medication,
    Patient,
    PriorTreatment,
    PrivacyRequest,
)

# Roles that read clinical content: everyone clinical except reception.
CLINICAL_READERS = (Role.PHYSICIAN, Role.NURSE, Role.PSYCHOTHERAPIST)
# Roles that register patients and keep their details and consents.
REGISTRARS = (Role.RECEPTIONIST, Role.PHYSICIAN)
# Roles that record weight and blood pressure.
MEASURERS = (Role.PHYSICIAN, Role.NURSE)
NOTE_WRITERS = {
    ClinicalNote.Kind.CONSULTATION: (Role.PHYSICIAN,),
    ClinicalNote.Kind.PSYCHOTHERAPY: (Role.PSYCHOTHERAPIST, Role.PHYSICIAN),
}


def can_read_demographics(user, patient: Patient) -> bool:
    return user.is_clinical and patient.home_site_id in user.site_ids


def can_read_clinical(user, patient: Patient) -> bool:
    """Intake, history, assessment, screen, consultation notes."""
    return user.has_role(*CLINICAL_READERS) and patient.home_site_id in user.site_ids


def can_write_clinical(user, patient: Patient) -> bool:
    """Intake, treatment history, eligibility decisions: physicians."""
    return user.has_role(Role.PHYSICIAN) and patient.home_site_id in user.site_ids


def can_record_measurements(user, patient: Patient) -> bool:
    return user.has_role(*MEASURERS) and patient.home_site_id in user.site_ids


def can_manage_details(user, patient: Patient) -> bool:
    """Demographics, consents and privacy requests."""
    return user.has_role(*REGISTRARS) and patient.home_site_id in user.site_ids


def can_read_note(user, note: ClinicalNote) -> bool:
    patient = note.patient
    if not can_read_clinical(user, patient):
        return False
    if note.kind == ClinicalNote.Kind.PSYCHOTHERAPY:
        return note.author_id == user.pk or (
            patient.physician_id == user.pk and user.has_role(Role.PHYSICIAN)
        )
    return True


def can_write_note(user, patient: Patient, kind: str) -> bool:
    return user.has_role(*NOTE_WRITERS.get(kind, ())) and patient.home_site_id in user.site_ids


def _deny_other_site(user, patient: Patient, what: str):
    audit(
        user,
        f"patient.{what}.viewed",
        patient,
        outcome=AuditEvent.Outcome.DENIED,
        reason="patient of another site",
    )
    raise Http404


def get_patient_for(user, public_id) -> Patient:
    """The only way a view obtains a patient.

    Non-clinical roles are refused outright. A patient of another site answers 404, as if
    absent, so the existence of a record is not disclosed; the attempt is audited.
    """
    if not user.is_clinical:
        raise PermissionDenied
    patient = (
        Patient.objects.select_related("home_site", "physician", "psychotherapist")
        .filter(public_id=public_id)
        .first()
    )
    if patient is None:
        raise Http404
    if patient.home_site_id not in user.site_ids:
        _deny_other_site(user, patient, "chart")
    return patient


def get_clinical_patient_for(user, public_id) -> Patient:
    """A patient whose clinical content the user may read (not reception)."""
    patient = get_patient_for(user, public_id)
    if not can_read_clinical(user, patient):
        audit(user, "patient.clinical.viewed", patient, outcome=AuditEvent.Outcome.DENIED)
        raise PermissionDenied
    return patient


def _get_entry_for(user, model, public_id, *, rule):
    entry = model.objects.select_related("patient__home_site").filter(public_id=public_id).first()
    if entry is None:
        raise Http404
    if entry.patient.home_site_id not in user.site_ids:
        _deny_other_site(user, entry.patient, model._meta.model_name)
    if not rule(user, entry.patient):
        raise PermissionDenied
    return entry


def get_trial_for(user, public_id) -> AntidepressantTrial:
    return _get_entry_for(user, AntidepressantTrial, public_id, rule=can_write_clinical)


def get_prior_treatment_for(user, public_id) -> PriorTreatment:
    return _get_entry_for(user, PriorTreatment, public_id, rule=can_write_clinical)


def get_medication_for(user, public_id) -> Medication:
    return _get_entry_for(user, Medication, public_id, rule=can_write_clinical)


def get_measurement_for(user, public_id) -> BodyMeasurement:
    return _get_entry_for(user, BodyMeasurement, public_id, rule=can_record_measurements)


def get_blood_pressure_for(user, public_id) -> BloodPressure:
    return _get_entry_for(user, BloodPressure, public_id, rule=can_record_measurements)


def get_consent_for(user, public_id) -> Consent:
    return _get_entry_for(user, Consent, public_id, rule=can_manage_details)


def get_privacy_request_for(user, public_id) -> PrivacyRequest:
    return _get_entry_for(user, PrivacyRequest, public_id, rule=can_manage_details)


def get_note_for(user, public_id) -> ClinicalNote:
    """A note the user may read; a psychotherapy note of someone else's is refused and the
    attempt audited (the note exists for the patient's treating team, not for everyone)."""
    note = (
        ClinicalNote.objects.select_related("patient__home_site", "author")
        .filter(public_id=public_id)
        .first()
    )
    if note is None:
        raise Http404
    if note.patient.home_site_id not in user.site_ids:
        _deny_other_site(user, note.patient, "note")
    if not can_read_note(user, note):
        audit(
            user,
            "patient.note.viewed",
            note.patient,
            obj=note,
            outcome=AuditEvent.Outcome.DENIED,
            reason=note.kind,
        )
        raise PermissionDenied
    return note
