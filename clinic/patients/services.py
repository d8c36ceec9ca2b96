"""Writes to the patient record. Each is one transaction with its audit row."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.core.audit import audit
from clinic.core.errors import Refused
from clinic.core.idempotency import once
from clinic.locations.models import Site
from clinic.patients import search
from clinic.patients.models import (
    AntidepressantTrial,
    BloodPressure,
    BodyMeasurement,
    ClinicalNote,
    Consent,
    ConsentPurpose,
    ConsentWording,
    EligibilityDecision,
    Intake,
    Medication,
    Patient,
    PatientSearchTerm,
    PriorTreatment,
    PrivacyRequest,
)
from clinic.patients.transliteration import transliterate


class RecordRefused(Refused):
    """The change was not made; the message says why, for the person who asked."""

    code = "patient.refused"


# Fields a rectification may change (identity, contact, care team, escort).
DEMOGRAPHIC_FIELDS = (
    "family_name",
    "given_name",
    "patronymic",
    "family_name_latin",
    "given_name_latin",
    "birth_date",
    "sex",
    "phone",
    "email",
    "address",
    "preferred_language",
    "preferred_channel",
    "physician",
    "psychotherapist",
    "emergency_contact_name",
    "emergency_contact_phone",
    "emergency_contact_relation",
    "escort_name",
    "escort_phone",
    "escort_relation",
)


def _fill_latin(patient: Patient) -> None:
    if not patient.family_name_latin:
        patient.family_name_latin = transliterate(patient.family_name)[:100]
    if not patient.given_name_latin:
        patient.given_name_latin = transliterate(patient.given_name)[:100]


def index_patient(patient: Patient) -> None:
    """Rewrite the patient's search terms from the current name, phone and record number."""
    PatientSearchTerm.objects.filter(patient=patient).delete()
    PatientSearchTerm.objects.bulk_create(
        PatientSearchTerm(patient=patient, kind=kind, term=term)
        for kind, term in search.terms_for(patient)
    )


@transaction.atomic
def register_patient(
    *,
    record_number,
    family_name,
    given_name,
    patronymic="",
    birth_date,
    home_site,
    actor,
    **details,
) -> Patient:
    """Open a patient record at a site. `details`: contact fields and care team (model fields)."""
    patient = Patient(
        record_number=record_number,
        family_name=family_name,
        given_name=given_name,
        patronymic=patronymic,
        birth_date=birth_date,
        home_site=home_site,
        created_by=actor,
        **details,
    )
    _fill_latin(patient)
    patient.save(force_insert=True)
    index_patient(patient)
    audit(actor, "patient.registered", patient, obj=patient)
    return patient


@transaction.atomic
def register_new_patient(*, home_site, idempotency_key=None, actor, **fields) -> Patient:
    """Register a patient under the site's next record number; a resubmission of the same
    form (same key) returns the patient it registered instead of a second one."""
    return once(
        idempotency_key,
        action="patient.registered",
        actor=actor,
        create=lambda: register_patient(
            record_number=next_record_number(home_site), home_site=home_site, actor=actor, **fields
        ),
    )[0]


def next_record_number(site) -> str:
    """The next free record number at a site: K-0001, K-0002, ... (first letter of the code).

    Call inside a transaction; the site row is locked so two registrations at the same site
    cannot take the same number.
    """
    # Only to serialise registrations, so FOR NO KEY UPDATE: every audit row of the site needs
    # a KEY SHARE lock on this row, and a FOR UPDATE held here while waiting for the audit lock
    # deadlocked with them. Lock order: docs/architecture.md, "Locks and their order".
    Site.objects.select_for_update(of=("self",), no_key=True).filter(pk=site.pk).first()
    prefix = site.code[:1].upper()
    number = Patient.objects.filter(record_number__startswith=f"{prefix}-").count() + 1
    while Patient.objects.filter(record_number=f"{prefix}-{number:04d}").exists():
        number += 1
    return f"{prefix}-{number:04d}"


@transaction.atomic
def update_patient_details(patient: Patient, *, changes: dict, actor) -> Patient:
    """Rectify identity or contact details; the audit row names the fields that changed."""
    # Lock order: docs/architecture.md, "Locks and their order".
    patient = Patient.objects.select_for_update(of=("self",), no_key=True).get(pk=patient.pk)
    if patient.erased_at:
        raise RecordRefused(_("This record has been erased and cannot be changed."))
    changed = []
    for name, value in changes.items():
        if name not in DEMOGRAPHIC_FIELDS:
            raise ValueError(f"{name} is not a demographic field")
        if getattr(patient, name) != value:
            setattr(patient, name, value)
            changed.append(name)
    if not changed:
        return patient
    if {"family_name", "given_name"} & set(changed):
        if "family_name_latin" not in changed:
            patient.family_name_latin = ""
        if "given_name_latin" not in changed:
            patient.given_name_latin = ""
    _fill_latin(patient)
    patient.save()
    index_patient(patient)
    audit(actor, "patient.details.changed", patient, obj=patient, reason=", ".join(changed))
    return patient


# Consents ---------------------------------------------------------------------------------


def current_wording(purpose: str) -> ConsentWording | None:
    return (
        ConsentWording.objects.filter(purpose=purpose, effective_from__lte=timezone.now())
        .order_by("-version")
        .first()
    )


@transaction.atomic
def publish_consent_wording(*, purpose: str, text_uk: str, text_en: str, actor) -> ConsentWording:
    """Put a new version of a consent text in force; consents given earlier keep theirs."""
    last = (
        # Lock order: docs/architecture.md, "Locks and their order".
        ConsentWording.objects.select_for_update(of=("self",), no_key=True)
        .filter(purpose=purpose)
        .order_by("-version")
        .first()
    )
    wording = ConsentWording.objects.create(
        purpose=purpose,
        version=(last.version + 1) if last else 1,
        text_uk=text_uk,
        text_en=text_en,
    )
    audit(
        actor,
        "patient.consent_wording.published",
        obj=wording,
        reason=f"{purpose} v{wording.version}",
    )
    return wording


@transaction.atomic
def record_consent(
    patient: Patient, *, purpose: str, given: bool, channel: str, given_at, actor
) -> Consent:
    """Record the patient's answer to the current wording of a consent."""
    wording = current_wording(purpose)
    if wording is None:
        raise RecordRefused(_("There is no text in force for this consent."))
    if given_at > timezone.now() + timedelta(minutes=5):
        raise RecordRefused(_("A consent cannot be dated in the future."))
    if given:
        # The patient row serialises two receptionists recording the same paper form at once.
        # Lock order: docs/architecture.md, "Locks and their order".
        Patient.objects.select_for_update(of=("self",), no_key=True).filter(pk=patient.pk).first()
        if patient.consents.in_force().filter(purpose=purpose, wording=wording).exists():
            raise RecordRefused(
                _(
                    "This consent (version %(version)s) is already on the chart and in force; "
                    "it has not been recorded again."
                )
                % {"version": wording.version},
                code="patient.consent.duplicate",
            )
    consent = Consent.objects.create(
        patient=patient,
        purpose=purpose,
        wording=wording,
        given=given,
        channel=channel,
        given_at=given_at,
        recorded_by=actor,
    )
    audit(
        actor,
        "patient.consent.recorded",
        patient,
        obj=consent,
        reason=f"{purpose} v{wording.version} {'given' if given else 'refused'}",
    )
    return consent


@transaction.atomic
def withdraw_consent(consent: Consent, *, note: str = "", actor) -> Consent:
    """The patient withdraws a consent; the record of it having been given stays."""
    # Lock order: docs/architecture.md, "Locks and their order".
    consent = Consent.objects.select_for_update(of=("self",), no_key=True).get(pk=consent.pk)
    if not consent.in_force:
        raise RecordRefused(_("This consent is not in force."))
    consent.withdrawn_at, consent.withdrawn_by, consent.withdrawal_note = (
        timezone.now(),
        actor,
        note,
    )
    consent.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_note"])
    audit(actor, "patient.consent.withdrawn", consent.patient, obj=consent, reason=consent.purpose)
    return consent


# Intake and measurements -----------------------------------------------------------------


def _check_not_future(day, label) -> None:
    if day is not None and day > timezone.localdate():
        raise RecordRefused(_("%(field)s cannot be in the future.") % {"field": label})


@transaction.atomic
def record_intake(patient: Patient, *, data: dict, actor) -> Intake:
    """Save the intake as a new version; the previous version stays in the history."""
    _check_not_future(data.get("episode_onset"), _("The onset of the episode"))
    _check_not_future(data.get("infant_birth_date"), _("The infant's date of birth"))
    if data.get("episode_onset") and data["episode_onset"] < patient.birth_date:
        raise RecordRefused(_("The episode cannot begin before the patient was born."))
    intake = Intake.objects.create(patient=patient, recorded_by=actor, **data)
    audit(actor, "patient.intake.recorded", patient, obj=intake)
    return intake


@transaction.atomic
def record_weight(patient: Patient, *, weight_kg, height_cm=None, measured_on, actor):
    """Weight (and height) on a date; doses later use the newest one."""
    _check_not_future(measured_on, _("The date of the measurement"))
    if not 20 <= weight_kg <= 400 or (height_cm is not None and not 100 <= height_cm <= 250):
        raise RecordRefused(_("Check the weight (20-400 kg) and height (100-250 cm)."))
    measurement = BodyMeasurement.objects.create(
        patient=patient,
        weight_kg=weight_kg,
        height_cm=height_cm,
        measured_on=measured_on,
        recorded_by=actor,
    )
    audit(actor, "patient.weight.recorded", patient, obj=measurement)
    return measurement


@transaction.atomic
def record_blood_pressure(patient: Patient, *, systolic, diastolic, measured_on, actor):
    """A resting blood pressure outside an infusion (screening)."""
    _check_not_future(measured_on, _("The date of the measurement"))
    if not (50 <= systolic <= 300 and 20 <= diastolic <= 200):
        raise RecordRefused(_("Check the blood pressure (systolic 50-300, diastolic 20-200)."))
    if systolic <= diastolic:
        raise RecordRefused(_("The systolic pressure must be higher than the diastolic."))
    reading = BloodPressure.objects.create(
        patient=patient,
        systolic=systolic,
        diastolic=diastolic,
        measured_on=measured_on,
        recorded_by=actor,
    )
    audit(actor, "patient.blood_pressure.recorded", patient, obj=reading)
    return reading


# Medications and treatment history -------------------------------------------------------


def _check_dates(started_on, stopped_on) -> None:
    _check_not_future(started_on, _("The start date"))
    _check_not_future(stopped_on, _("The stop date"))
    if started_on and stopped_on and stopped_on < started_on:
        raise RecordRefused(_("The stop date is before the start date."))


@transaction.atomic
def add_medication(patient: Patient, *, actor, **fields) -> Medication:
    """Add a current (or past) medicine to the patient's list."""
    _check_dates(fields.get("started_on"), fields.get("stopped_on"))
    if not fields.get("drug") and not fields.get("other_name"):
        raise RecordRefused(_("Choose a drug or write the name of the medicine."))
    medication = Medication.objects.create(patient=patient, recorded_by=actor, **fields)
    audit(actor, "patient.medication.added", patient, obj=medication)
    return medication


@transaction.atomic
def stop_medication(medication: Medication, *, stopped_on, actor) -> Medication:
    """The patient no longer takes this medicine."""
    # Lock order: docs/architecture.md, "Locks and their order".
    medication = Medication.objects.select_for_update(of=("self",), no_key=True).get(
        pk=medication.pk
    )
    if medication.stopped_on is not None:
        raise RecordRefused(_("This medicine is already stopped."))
    _check_dates(medication.started_on, stopped_on)
    medication.stopped_on = stopped_on
    medication.save(update_fields=["stopped_on"])
    audit(actor, "patient.medication.stopped", medication.patient, obj=medication)
    return medication


@transaction.atomic
def add_antidepressant_trial(patient: Patient, *, actor, **fields) -> AntidepressantTrial:
    """Record one antidepressant trial of the treatment history."""
    _check_dates(fields.get("started_on"), fields.get("stopped_on"))
    drug = fields["drug"]
    if not drug.is_antidepressant:
        raise RecordRefused(_("%(drug)s is not an antidepressant.") % {"drug": drug.name})
    if fields.get("stopped_on") is None and fields.get("stop_reason"):
        raise RecordRefused(_("A reason for stopping needs the stop date."))
    trial = AntidepressantTrial.objects.create(patient=patient, recorded_by=actor, **fields)
    audit(actor, "patient.trial.added", patient, obj=trial, reason=drug.code)
    return trial


@transaction.atomic
def add_prior_treatment(patient: Patient, *, actor, **fields) -> PriorTreatment:
    """Record augmentation, psychotherapy, ECT, TMS or tDCS in the treatment history."""
    _check_dates(fields.get("started_on"), fields.get("stopped_on"))
    if fields["kind"] == PriorTreatment.Kind.AUGMENTATION and not fields.get("drug"):
        raise RecordRefused(_("Augmentation needs the augmenting drug."))
    course = PriorTreatment.objects.create(patient=patient, recorded_by=actor, **fields)
    audit(actor, "patient.prior_treatment.added", patient, obj=course, reason=course.kind)
    return course


# Ketamine eligibility --------------------------------------------------------------------


@transaction.atomic
def decide_ketamine_eligibility(
    patient: Patient, *, is_eligible: bool, reasons: str, override_reason: str = "", actor
) -> EligibilityDecision:
    """A physician decides whether ketamine may be given, on the screen as it is now.

    Declaring eligible a patient with a contraindication, or ineligible one the screen does
    not object to, needs an override reason, kept with the decision.
    """
    from clinic.patients.selectors import ketamine_screen

    findings = ketamine_screen(patient)
    contraindicated = any(f.is_contraindication for f in findings)
    if is_eligible and contraindicated and not override_reason.strip():
        raise RecordRefused(
            _("The screen found a contraindication: give the reason for deciding otherwise.")
        )
    if not is_eligible and not findings and not (reasons.strip() or override_reason.strip()):
        raise RecordRefused(_("The screen found nothing against ketamine: give the reason."))
    decision = EligibilityDecision.objects.create(
        patient=patient,
        is_eligible=is_eligible,
        decided_by=actor,
        findings=[f.code for f in findings],
        reasons=reasons,
        override_reason=override_reason,
    )
    audit(
        actor,
        "patient.eligibility.decided",
        patient,
        obj=decision,
        reason=("eligible" if is_eligible else "not eligible")
        + (f"; override: {override_reason}" if override_reason else ""),
    )
    return decision


# Clinical notes --------------------------------------------------------------------------


@transaction.atomic
def write_note(patient: Patient, *, kind: str, text: str, actor) -> ClinicalNote:
    """Start a consultation or psychotherapy note (a draft until signed)."""
    if not text.strip():
        raise RecordRefused(_("The note is empty."))
    note = ClinicalNote.objects.create(patient=patient, kind=kind, text=text, author=actor)
    audit(actor, "patient.note.written", patient, obj=note, reason=kind)
    return note


# Privacy ---------------------------------------------------------------------------------


@transaction.atomic
def receive_privacy_request(
    patient: Patient, *, kind: str, received_on, details: str = "", actor
) -> PrivacyRequest:
    """Register a data-subject request; the answer is due in 30 calendar days."""
    _check_not_future(received_on, _("The date received"))
    request = PrivacyRequest.objects.create(
        patient=patient,
        kind=kind,
        received_on=received_on,
        due_on=received_on + timedelta(days=PrivacyRequest.ANSWER_DAYS),
        details=details,
        recorded_by=actor,
    )
    audit(actor, "patient.privacy_request.received", patient, obj=request, reason=kind)
    return request


def _close(request: PrivacyRequest, *, status: str, outcome: str, actor) -> PrivacyRequest:
    request.status, request.outcome = status, outcome
    request.closed_at, request.closed_by = timezone.now(), actor
    request.save(update_fields=["status", "outcome", "closed_at", "closed_by"])
    audit(actor, "patient.privacy_request.closed", request.patient, obj=request, reason=status)
    return request


@transaction.atomic
def complete_privacy_request(request: PrivacyRequest, *, outcome: str, actor) -> PrivacyRequest:
    """Record how an access or rectification request was answered."""
    request = (
        # Lock order: docs/architecture.md, "Locks and their order".
        PrivacyRequest.objects.select_for_update(of=("self",), no_key=True)
        .select_related("patient")
        .get(pk=request.pk)
    )
    if request.status != PrivacyRequest.Status.OPEN:
        raise RecordRefused(_("This request has already been answered."))
    if request.kind == PrivacyRequest.Kind.ERASURE:
        raise RecordRefused(_("An erasure request is answered by carrying out the erasure check."))
    if not outcome.strip():
        raise RecordRefused(_("Describe how the request was answered."))
    return _close(request, status=PrivacyRequest.Status.COMPLETED, outcome=outcome, actor=actor)


@transaction.atomic
def process_erasure_request(request: PrivacyRequest, *, actor) -> PrivacyRequest:
    """Check the retention hold and either pseudonymise the record or refuse, with reasons.

    A medical record must be kept under Ukrainian medical-records rules (form 025/о; the
    period itself is UNCONFIRMED, domain.md §6.2 and §8 item 5), and GDPR Art. 17(3)(b),(c)
    allows keeping it. So any record with clinical content is held: the request is refused,
    communications consents are withdrawn and the outcome says so. A record with identity
    and contact details only is pseudonymised (its audit trail must stay, so the row stays).
    """
    from clinic.patients.selectors import retention_holds

    request = (
        # Lock order: docs/architecture.md, "Locks and their order".
        PrivacyRequest.objects.select_for_update(of=("self",), no_key=True)
        .select_related("patient")
        .get(pk=request.pk)
    )
    if request.status != PrivacyRequest.Status.OPEN or request.kind != PrivacyRequest.Kind.ERASURE:
        raise RecordRefused(_("This is not an open erasure request."))
    # Lock order: docs/architecture.md, "Locks and their order".
    patient = Patient.objects.select_for_update(of=("self",), no_key=True).get(
        pk=request.patient_id
    )
    holds = retention_holds(patient)
    if holds:
        for consent in Consent.objects.in_force().filter(
            patient=patient,
            purpose__in=[ConsentPurpose.COMMUNICATIONS, ConsentPurpose.RESEARCH],
        ):
            withdraw_consent(consent, note=_("erasure request"), actor=actor)
        outcome = _(
            "Refused: the medical record is under a legal retention hold (%(holds)s). "
            "Communications and research consents were withdrawn; the record is kept for "
            "treatment and legal purposes only."
        ) % {"holds": ", ".join(holds)}
        return _close(request, status=PrivacyRequest.Status.REFUSED, outcome=outcome, actor=actor)
    pseudonym = f"erased-{patient.public_id.hex[:8]}"
    for name, value in {
        "family_name": pseudonym,
        "given_name": "—",
        "patronymic": "",
        "family_name_latin": "",
        "given_name_latin": "",
        "phone": "",
        "email": "",
        "address": "",
        "emergency_contact_name": "",
        "emergency_contact_phone": "",
        "emergency_contact_relation": "",
        "escort_name": "",
        "escort_phone": "",
        "escort_relation": "",
        "preferred_channel": Patient.Channel.NONE,
    }.items():
        setattr(patient, name, value)
    patient.erased_at = timezone.now()
    patient.save()
    PatientSearchTerm.objects.filter(patient=patient).delete()
    audit(actor, "patient.erased", patient, obj=patient)
    return _close(
        request,
        status=PrivacyRequest.Status.COMPLETED,
        outcome=_("Erased: identifying details were removed; no medical record was held."),
        actor=actor,
    )


@transaction.atomic
def record_export(patient: Patient, *, kind: str, actor) -> None:
    """A copy of the patient's data left the system (subject-access request)."""
    audit(actor, "patient.exported", patient, obj=patient, reason=kind)
