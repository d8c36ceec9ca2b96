"""A patient's data for a subject-access request: structured JSON (GDPR Art. 15 and 20;
Law 2297-VI Art. 8) and a PDF summary rendered by WeasyPrint."""

from django.utils import timezone
from django.utils.module_loading import import_string

from clinic.patients import selectors
from clinic.patients.models import (
    BloodPressure,
    BodyMeasurement,
    ClinicalNote,
    Consent,
    EligibilityDecision,
    Intake,
    PrivacyRequest,
)
from clinic.patients.services import DEMOGRAPHIC_FIELDS

FORMAT_VERSION = 1

# Parts of the record that apps above `patients` keep (it imports none of them, as the chart's
# SECTIONS): export key -> dotted path of a function `(patient) -> list`.
PARTS = {
    "messages": "clinic.portal.messaging.export_rows",
}


def _row(obj, fields):
    return {name: getattr(obj, name) for name in fields}


def _str(value):
    return "" if value is None else str(value)


def patient_data(patient, user) -> dict:
    """Everything the record holds about the patient, in plain structures.

    Psychotherapy notes the exporting user may not read are left out and counted, so the
    export does not become a way round the rule that only their author and the treating
    physician read them; one of those exports them.
    """
    from clinic.patients.access import can_read_note

    details = {
        name: _str(getattr(patient, name)) if name.endswith("phone") else getattr(patient, name)
        for name in DEMOGRAPHIC_FIELDS
        if name not in ("physician", "psychotherapist")
    }
    details.update(
        record_number=patient.record_number,
        public_id=str(patient.public_id),
        home_site=patient.home_site.name,
        physician=patient.physician.full_name if patient.physician else "",
        psychotherapist=patient.psychotherapist.full_name if patient.psychotherapist else "",
        registered_at=patient.created_at,
    )
    intake_fields = [
        f.name
        for f in Intake._meta.get_fields()
        if f.concrete and f.name not in ("id", "patient", "recorded_by")
    ]
    picture = selectors.trd_picture(patient)
    notes = list(
        ClinicalNote.objects.filter(patient=patient)
        .select_related("author")
        .prefetch_related("addenda__author")
    )
    for note in notes:
        note.patient = patient
    data = {
        "format": f"clinic.patient-export.v{FORMAT_VERSION}",
        "exported_at": timezone.now(),
        "patient": details,
        "consents": [
            {
                "purpose": c.purpose,
                "version": c.wording.version,
                "given": c.given,
                "channel": c.channel,
                "given_at": c.given_at,
                "withdrawn_at": c.withdrawn_at,
            }
            for c in Consent.objects.filter(patient=patient).select_related("wording")
        ],
        "intakes": [_row(i, intake_fields) for i in Intake.objects.filter(patient=patient)],
        "weights": [
            _row(m, ["measured_on", "weight_kg", "height_cm", "entered_in_error"])
            for m in BodyMeasurement.objects.filter(patient=patient)
        ],
        "blood_pressures": [
            _row(b, ["measured_on", "systolic", "diastolic", "entered_in_error"])
            for b in BloodPressure.objects.filter(patient=patient)
        ],
        "medications": [
            {
                "name": m.name,
                "daily_dose_mg": m.daily_dose_mg,
                "started_on": m.started_on,
                "stopped_on": m.stopped_on,
            }
            for m in selectors.medications_of(patient)
        ],
        "antidepressant_trials": [
            {
                "drug": a.trial.drug,
                "daily_dose_mg": a.trial.daily_dose_mg,
                "started_on": a.trial.started_on,
                "stopped_on": a.trial.stopped_on,
                "adherence": a.trial.adherence,
                "improvement_pct": a.trial.improvement_pct,
                "adequate": a.adequate,
                "failed": a.failed,
                "reasons": [r.text for r in a.reasons],
            }
            for a in picture.assessed
        ],
        "other_treatments": [
            {
                "kind": c.kind,
                "drug": c.drug.name if c.drug_id else "",
                "started_on": c.started_on,
                "stopped_on": c.stopped_on,
                "sessions": c.sessions,
                "improvement_pct": c.improvement_pct,
            }
            for c in selectors.prior_treatments_of(patient)
        ],
        "assessment": {
            "trd_status": picture.status.value,
            "explanation": list(picture.status.explanation),
            "pseudo_resistance": list(picture.pseudo.causes),
            "thase_rush_stage": picture.thase_rush,
            "maudsley_score": picture.maudsley.score if picture.maudsley else None,
        },
        "ketamine_decisions": [
            {
                "eligible": d.is_eligible,
                "decided_at": d.decided_at,
                "decided_by": d.decided_by.full_name,
                "reasons": d.reasons,
                "override_reason": d.override_reason,
            }
            for d in EligibilityDecision.objects.filter(patient=patient).select_related(
                "decided_by"
            )
        ],
        "notes_withheld": 0,
        "notes": [
            {
                "kind": n.kind,
                "author": n.author.full_name,
                "created_at": n.created_at,
                "signed_at": n.signed_at,
                "text": n.text,
                "addenda": [
                    {"author": a.author.full_name, "added_at": a.added_at, "text": a.text}
                    for a in n.addenda.all()
                ],
            }
            for n in notes
            if can_read_note(user, n)
        ],
        "privacy_requests": [
            _row(r, ["kind", "received_on", "due_on", "status", "outcome"])
            for r in PrivacyRequest.objects.filter(patient=patient)
        ],
    }
    data["notes_withheld"] = len(notes) - len(data["notes"])
    for key, path in PARTS.items():
        data[key] = import_string(path)(patient)
    return data
