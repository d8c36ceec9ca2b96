"""The patient app's own chart sections (see chart.py)."""

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from clinic.patients import access, screening, selectors
from clinic.patients.chart import ChartSection, TimelineItem
from clinic.patients.models import (
    BloodPressure,
    BodyMeasurement,
    ClinicalNote,
    Consent,
    ConsentPurpose,
    Intake,
    PrivacyRequest,
)


def demographics(patient, user):
    if not access.can_read_demographics(user, patient):
        return None
    return ChartSection(
        "details",
        _("Details"),
        "patients/sections/_details.html",
        {"can_edit": access.can_manage_details(user, patient)},
    )


def consents(patient, user):
    if not access.can_read_demographics(user, patient):
        return None
    rows = list(Consent.objects.filter(patient=patient).select_related("wording", "recorded_by"))
    in_force = {c.purpose for c in rows if c.in_force}
    missing = [label for value, label in ConsentPurpose.choices if value not in in_force]
    return ChartSection(
        "consents",
        _("Consents"),
        "patients/sections/_consents.html",
        {
            "consents": rows,
            "missing": missing,
            "can_edit": access.can_manage_details(user, patient),
        },
        [
            TimelineItem(
                c.given_at,
                "consent",
                _("Consent: %(purpose)s") % {"purpose": c.get_purpose_display()},
            )
            for c in rows
        ],
    )


def intake(patient, user):
    if not access.can_read_clinical(user, patient):
        return None
    current = selectors.current_intake(patient)
    versions = list(
        Intake.objects.filter(patient=patient)
        .order_by("-recorded_at", "-pk")
        .values_list("recorded_at", "recorded_by__full_name")[:20]
    )
    weights = list(BodyMeasurement.objects.standing().filter(patient=patient)[:5])
    pressures = list(BloodPressure.objects.standing().filter(patient=patient)[:5])
    today = timezone.localdate()
    return ChartSection(
        "intake",
        _("Intake"),
        "patients/sections/_intake.html",
        {
            "intake": current,
            "versions": versions,
            "weights": weights,
            "pressures": pressures,
            "peripartum": selectors.peripartum_for(patient),
            "postpartum_weeks": screening.postpartum_weeks(
                current.delivery_date if current else None, today
            ),
            "can_edit": access.can_write_clinical(user, patient),
            "can_measure": access.can_record_measurements(user, patient),
            "medications": selectors.medications_of(patient),
            "today": today,
        },
        [
            TimelineItem(at, "assessment", _("Intake recorded by %(name)s") % {"name": by})
            for at, by in versions
        ]
        + [
            TimelineItem(
                w.measured_on,
                "measurement",
                _("Weight %(kg)s kg") % {"kg": number_format(w.weight_kg)},
            )
            for w in weights
        ],
    )


def treatment_history(patient, user):
    if not access.can_read_clinical(user, patient):
        return None
    picture = selectors.trd_picture(patient)
    timeline = []
    for trial in selectors.trials_of(patient):
        if trial.started_on:
            timeline.append(
                TimelineItem(
                    trial.started_on,
                    "treatment",
                    _("%(drug)s started") % {"drug": trial.drug.name},
                )
            )
    for course in selectors.prior_treatments_of(patient):
        if course.started_on:
            timeline.append(
                TimelineItem(
                    course.started_on,
                    "treatment",
                    _("%(course)s started") % {"course": course.get_kind_display()},
                )
            )
    return ChartSection(
        "history",
        _("Treatment history"),
        "patients/sections/_history.html",
        {
            "picture": picture,
            "prior_treatments": selectors.prior_treatments_of(patient),
            "can_edit": access.can_write_clinical(user, patient),
        },
        timeline,
    )


def resistance(patient, user):
    if not access.can_read_clinical(user, patient):
        return None
    return ChartSection(
        "resistance",
        _("Treatment resistance"),
        "patients/sections/_resistance.html",
        {"picture": selectors.trd_picture(patient)},
    )


def ketamine_screen(patient, user):
    if not access.can_read_clinical(user, patient):
        return None
    decision = selectors.current_ketamine_eligibility(patient)
    return ChartSection(
        "ketamine",
        _("Ketamine screen"),
        "patients/sections/_ketamine.html",
        {
            "findings": selectors.ketamine_screen(patient),
            "decision": decision,
            "can_decide": access.can_write_clinical(user, patient),
        },
        [
            TimelineItem(
                decision.decided_at,
                "assessment",
                _("Eligible for ketamine")
                if decision.is_eligible
                else _("Not eligible for ketamine"),
            )
        ]
        if decision
        else [],
    )


def notes(patient, user):
    if not access.can_read_clinical(user, patient):
        return None
    rows = []
    for note in ClinicalNote.objects.filter(patient=patient).select_related("author"):
        note.patient = patient  # already loaded; spares a query per note
        if access.can_read_note(user, note):
            rows.append(note)
    note_kinds = [
        (kind, label)
        for kind, label in ClinicalNote.Kind.choices
        if access.can_write_note(user, patient, kind)
    ]
    return ChartSection(
        "notes",
        _("Notes"),
        "patients/sections/_notes.html",
        {"notes": rows, "note_kinds": note_kinds},
        [
            TimelineItem(
                note.created_at,
                "note",
                note.get_kind_display(),
                reverse("patients:note", args=[note.public_id]),
            )
            for note in rows
        ],
    )


def privacy(patient, user):
    if not access.can_manage_details(user, patient):
        return None
    requests = list(PrivacyRequest.objects.filter(patient=patient).select_related("closed_by"))
    return ChartSection(
        "privacy",
        _("Data-protection requests"),
        "patients/sections/_privacy.html",
        {
            "requests": requests,
            "today": timezone.localdate(),
            "can_export": access.can_read_clinical(user, patient),
        },
        [TimelineItem(r.received_on, "document", r.get_kind_display()) for r in requests],
    )
