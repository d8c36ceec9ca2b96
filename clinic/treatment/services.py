"""The writes of treatment: approving courses, infusion sessions step by step, TES and notes.

Each service locks the session row before checking its state (two nurses on two tablets must
not both start the same infusion), writes its rows and its audit row in one transaction, and
raises `TreatmentRefused` with a message for the person when the step is not allowed.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format, localize
from django.utils.translation import gettext as _

from clinic.accounts.roles import Role
from clinic.assessments.models import OnDutyPhysician
from clinic.core.audit import audit
from clinic.core.errors import Refused
from clinic.core.models import OutboxMessage
from clinic.core.outbox import enqueue_message
from clinic.core.public_url import public_url
from clinic.core.records import transition
from clinic.courses import services as courses
from clinic.courses.models import Condition, Course, Modality
from clinic.locations.models import Room
from clinic.scheduling.rules import BookingRefused
from clinic.treatment import links, rules
from clinic.treatment.models import (
    ALERT_ACTIONS,
    AdverseEvent,
    AlertNotice,
    Discharge,
    DoseOrder,
    InfusionSession,
    InfusionStatusChange,
    PreCheck,
    SessionNote,
    SessionScore,
    TesSession,
    TreatmentSettings,
    VitalAlert,
    VitalSigns,
)
from clinic.treatment.scales import DISCHARGE_SCALES, ScaleError
from clinic.treatment.selectors import (
    SESSION_INFUSION,
    SESSION_NOTE,
    SESSION_TES,
    rules_for,
    session_kind,
    unmet_discharge_criteria,
)

Status = InfusionSession.Status
# A reading may be entered a little ahead of the server's clock (a tablet's clock drifts).
CLOCK_SKEW = timedelta(minutes=2)


class TreatmentRefused(Refused):
    """The step was not taken; the message says why. `action` is its audit code."""

    code = "treatment.refused"

    def __init__(self, message, *, action="treatment.refused"):
        super().__init__(message, code=action)

    @property
    def action(self) -> str:
        return self.code


def _require_physician(actor, what):
    if not actor.has_role(Role.PHYSICIAN):
        raise TreatmentRefused(
            _("Only a physician can %(what)s.") % {"what": what}, action="treatment.refused"
        )


def _locked(session: InfusionSession) -> InfusionSession:
    return (
        # Lock order: docs/architecture.md, "Locks and their order".
        InfusionSession.objects.select_for_update(of=("self",), no_key=True)
        .select_related("site", "patient", "course")
        .get(pk=session.pk)
    )


def _move(session: InfusionSession, status, *, actor, reason="", at=None):
    # Each step audits itself with what it recorded, so the status change is not audited again.
    transition(session, status, actor=actor, reason=reason, at=at)


# Settings ------------------------------------------------------------------------------------


@transaction.atomic
def update_treatment_settings(site, *, values: dict, actor) -> TreatmentSettings:
    """Change a site's thresholds and limits (administrators); the ceilings are constraints."""
    current = (
        TreatmentSettings.objects.select_for_update(of=("self",), no_key=True)
        .filter(site=site)
        .first()
    )
    current = current or TreatmentSettings(site=site)
    changed = [name for name, value in values.items() if getattr(current, name) != value]
    for name, value in values.items():
        setattr(current, name, value)
    current.updated_at, current.updated_by = timezone.now(), actor
    current.save()
    audit(actor, "treatment.settings.changed", obj=current, site=site, reason=",".join(changed))
    return current


# Courses -------------------------------------------------------------------------------------


@transaction.atomic
def approve_course(
    patient,
    *,
    modality,
    indication,
    planned_sessions,
    condition=Condition.UNSPECIFIED,
    plan="",
    target_dose_mg_per_kg=None,
    infusion_minutes=None,
    eligibility_confirmed=False,
    responsible_physician=None,
    actor,
) -> Course:
    """A physician approves a treatment plan for one patient and indication.

    For IV ketamine the record decides: the consent must be on the chart, and a "not eligible"
    decision in force refuses the course. Only with no decision on file does the approving
    physician's own confirmation (`eligibility_confirmed`) stand in for it.
    """
    _require_physician(actor, _("approve a treatment course"))
    eligibility = None
    consent_on_file = False
    if modality == Modality.IV_KETAMINE:
        settings = rules_for(patient.home_site)
        target_dose_mg_per_kg = target_dose_mg_per_kg or settings.default_dose_mg_per_kg
        infusion_minutes = infusion_minutes or settings.default_infusion_minutes
        if target_dose_mg_per_kg > settings.max_dose_mg_per_kg:
            raise TreatmentRefused(
                _("The target dose is above this site's maximum of %(limit)s mg/kg.")
                % {"limit": localize(settings.max_dose_mg_per_kg)},
                action="course.refused",
            )
        consent_on_file = links.ketamine_consent_on_file(patient)
        if not consent_on_file:
            raise TreatmentRefused(
                _(
                    "No ketamine-therapy consent is on the patient's chart. Record the signed "
                    "consent on the chart first."
                ),
                action="course.refused",
            )
        eligibility = links.ketamine_eligibility(patient)
        if eligibility is not None and not eligibility.is_eligible:
            raise TreatmentRefused(
                _(
                    "On %(date)s %(physician)s decided that the patient is not eligible for "
                    "ketamine. A new eligibility decision is needed before a course."
                )
                % {
                    "date": date_format(timezone.localdate(eligibility.decided_at)),
                    "physician": str(eligibility.decided_by),
                },
                action="course.refused",
            )
        if eligibility is None and not eligibility_confirmed:
            raise TreatmentRefused(
                _(
                    "No eligibility decision is on file. Confirm that you have assessed the "
                    "patient as eligible, or record the decision first."
                ),
                action="course.refused",
            )
    else:
        target_dose_mg_per_kg = infusion_minutes = None
    course = courses.open_course(
        patient,
        modality=modality,
        indication=indication,
        condition=condition,
        planned_sessions=planned_sessions,
        plan=plan,
        target_dose_mg_per_kg=target_dose_mg_per_kg,
        infusion_minutes=infusion_minutes,
        ketamine_consent_confirmed=consent_on_file,
        eligibility_reference=str(getattr(eligibility, "public_id", "") or ""),
        eligibility_confirmed_by_physician=modality == Modality.IV_KETAMINE and eligibility is None,
        responsible_physician=responsible_physician,
        actor=actor,
    )
    if course.eligibility_confirmed_by_physician:
        audit(
            actor,
            "course.eligibility.confirmed_without_decision",
            patient,
            obj=course,
            reason="no eligibility decision on file; confirmed by the approving physician",
        )
    return course


# Infusion session: opening and pre-check ------------------------------------------------------


@transaction.atomic
def open_infusion_session(
    course, *, chair, appointment=None, check_in=True, actor
) -> InfusionSession:
    """Put a patient of an active ketamine course on a chair; checked in unless scheduled ahead."""
    if not course.is_ketamine or course.status != Course.Status.ACTIVE:
        raise TreatmentRefused(
            _("Infusions need an active IV ketamine course."), action="infusion.refused"
        )
    # Lock the chair so two nurses cannot seat two patients on it at once.
    chair = Room.objects.select_for_update(of=("self",), no_key=True).get(pk=chair.pk)
    if chair.kind != Room.Kind.INFUSION_CHAIR or chair.site_id != course.site_id:
        raise TreatmentRefused(
            _("Choose an infusion chair of this site."), action="infusion.refused"
        )
    if not chair.is_active:
        raise TreatmentRefused(_("This chair is not in use."), action="infusion.refused")
    busy = InfusionSession.objects.on_chairs().exclude(status=Status.SCHEDULED)
    if check_in and busy.filter(chair=chair).exists():
        raise TreatmentRefused(_("This chair is taken."), action="infusion.refused")
    if busy.filter(patient=course.patient).exists():
        raise TreatmentRefused(
            _("This patient already has a session in progress."), action="infusion.refused"
        )
    session = InfusionSession.objects.create(
        course=course,
        patient=course.patient,
        site=course.site,
        chair=chair,
        appointment=appointment,
        created_by=actor,
    )
    InfusionStatusChange.objects.create(session=session, status=Status.SCHEDULED, by=actor)
    audit(actor, "infusion.scheduled", course.patient, obj=session)
    if check_in:
        _check_in(session, actor=actor)
    return session


# The visit a session fulfils ------------------------------------------------------------------

OPEN_VISIT = ("booked", "checked_in")


def _check_visit(appointment, *, patient, kind, today_only=True):
    """Refuse a visit that cannot carry this session; the visit is locked by the caller."""
    if appointment.patient_id != patient.pk:
        raise TreatmentRefused(
            _("This visit belongs to another patient."), action="session.visit.refused"
        )
    if appointment.status == "cancelled":
        raise TreatmentRefused(_("This visit was cancelled."), action="session.visit.refused")
    if appointment.status not in OPEN_VISIT and (today_only or appointment.status != "completed"):
        raise TreatmentRefused(
            _("A visit that is “%(status)s” cannot take a session.")
            % {"status": appointment.get_status_display()},
            action="session.visit.refused",
        )
    if session_kind(appointment.visit_type) != kind:
        raise TreatmentRefused(
            _("This visit is not booked for this kind of session."),
            action="session.visit.refused",
        )
    if today_only and timezone.localdate(appointment.starts_at) != timezone.localdate():
        raise TreatmentRefused(
            _("A session is started on the day of its visit."), action="session.visit.refused"
        )
    taken = {
        SESSION_INFUSION: InfusionSession.objects.filter(appointment=appointment),
        SESSION_TES: TesSession.objects.filter(appointment=appointment),
    }.get(kind)
    if taken is not None and taken.exists():
        raise TreatmentRefused(
            _("This visit already has its session."), action="session.visit.refused"
        )


def _check_in_visit(appointment, *, actor):
    if appointment.status != "booked":
        return
    try:
        links.check_in_visit(appointment, actor=actor)
    except BookingRefused as refusal:
        raise TreatmentRefused(str(refusal), action="session.visit.refused") from None


def _visit_session_ended(session, *, reason, actor):
    """An aborted infusion leaves its visit checked in, with a line in the visit's history."""
    if session.appointment_id is not None:
        links.note_visit_session_ended(
            session.appointment,
            note=_("Infusion aborted: %(reason)s") % {"reason": reason},
            actor=actor,
        )


@transaction.atomic
def start_infusion_for_visit(appointment, *, actor) -> InfusionSession:
    """Open the infusion of today's ketamine visit on its chair, in the patient's active IV
    ketamine course; a visit still booked is checked in first."""
    appointment = links.lock_visit(appointment)
    _check_visit(appointment, patient=appointment.patient, kind=SESSION_INFUSION)
    course = (
        Course.objects.filter(
            patient=appointment.patient,
            modality=Modality.IV_KETAMINE,
            status=Course.Status.ACTIVE,
        )
        .order_by("-approved_at")
        .first()
    )
    if course is None:
        raise TreatmentRefused(
            _("This patient has no active IV ketamine course: a physician approves one first."),
            action="infusion.refused",
        )
    if appointment.room is None or appointment.site_id != course.site_id:
        raise TreatmentRefused(
            _("The visit has no chair of the course's site booked."), action="infusion.refused"
        )
    _check_in_visit(appointment, actor=actor)
    return open_infusion_session(
        course, chair=appointment.room, appointment=appointment, actor=actor
    )


def _check_in(session, *, actor):
    now = timezone.now()
    _move(session, Status.CHECKED_IN, actor=actor, at=now)
    session.checked_in_at = now
    session.save(update_fields=["checked_in_at"])
    audit(actor, "infusion.checked_in", session.patient, obj=session)


@transaction.atomic
def check_in_patient(session, *, actor) -> InfusionSession:
    """The patient has arrived for a session scheduled ahead."""
    session = _locked(session)
    busy = InfusionSession.objects.on_chairs().exclude(status=Status.SCHEDULED)
    if busy.filter(chair_id=session.chair_id).exists():
        raise TreatmentRefused(_("This chair is taken."), action="infusion.refused")
    if busy.filter(patient_id=session.patient_id).exists():
        raise TreatmentRefused(
            _("This patient already has a session in progress."), action="infusion.refused"
        )
    _check_in(session, actor=actor)
    return session


@dataclass(frozen=True)
class PreCheckInput:
    weight_kg: Decimal
    weight_measured_on: object
    systolic: int
    diastolic: int
    heart_rate: int
    spo2: int
    resp_rate: int | None
    fasting_hours: int | None
    escort_name: str
    escort_phone: str
    escort_relation: str
    pregnancy: str
    breastfeeding: str
    advice_given: str
    drugs: tuple = ()


@transaction.atomic
def record_precheck(session, *, check: PreCheckInput, actor) -> PreCheck:
    """Record the pre-dose checks. High pressure asks a physician; very high pressure blocks."""
    session = _locked(session)
    if session.status != Status.CHECKED_IN:
        raise TreatmentRefused(
            _("The pre-check is done once, after check-in."), action="infusion.precheck.refused"
        )
    settings = rules_for(session.site)
    today = timezone.localdate()
    oldest = today - timedelta(days=settings.weight_max_age_days)
    if check.weight_measured_on > today or check.weight_measured_on < oldest:
        raise TreatmentRefused(
            _("The weight must have been measured within the last %(days)s days.")
            % {"days": settings.weight_max_age_days},
            action="infusion.precheck.refused",
        )
    if settings.fasting_required and (
        check.fasting_hours is None or check.fasting_hours < settings.fasting_hours
    ):
        raise TreatmentRefused(
            _("This site's policy asks for at least %(hours)s hours of fasting.")
            % {"hours": settings.fasting_hours},
            action="infusion.precheck.refused",
        )
    pressure = rules.classify_predose_bp(check.systolic, check.diastolic, settings)
    if pressure == rules.BP_BLOCK:
        raise TreatmentRefused(
            _(
                "Blood pressure %(sys)s/%(dia)s is above %(bsys)s/%(bdia)s: no infusion now. "
                "Measure again after rest, or end the session."
            )
            % {
                "sys": check.systolic,
                "dia": check.diastolic,
                "bsys": settings.bp_block_systolic,
                "bdia": settings.bp_block_diastolic,
            },
            action="infusion.precheck.blocked",
        )
    fields = {k: v for k, v in check.__dict__.items() if k != "drugs"}
    precheck = PreCheck.objects.create(
        session=session,
        **fields,
        bp_decision=PreCheck.Decision.PENDING if pressure == rules.BP_WARN else "",
        recorded_by=actor,
    )
    precheck.drugs.set(check.drugs)
    if pressure == rules.BP_NORMAL:
        _move(session, Status.PRECHECKED, actor=actor)
    audit(actor, "infusion.precheck.recorded", session.patient, obj=session, reason=pressure)
    return precheck


@transaction.atomic
def decide_on_blood_pressure(session, *, proceed: bool, note: str, actor) -> PreCheck:
    """A physician's decision on a pre-dose pressure above the warning threshold."""
    _require_physician(actor, _("decide on the blood pressure"))
    session = _locked(session)
    precheck = PreCheck.objects.select_for_update(of=("self",), no_key=True).get(session=session)
    if precheck.bp_decision != PreCheck.Decision.PENDING:
        raise TreatmentRefused(_("No decision is awaited."), action="infusion.bp_decision.refused")
    if not note.strip():
        raise TreatmentRefused(
            _("Give a reason for the decision."), action="infusion.bp_decision.refused"
        )
    precheck.bp_decision = PreCheck.Decision.PROCEED if proceed else PreCheck.Decision.DEFER
    precheck.bp_decision_by, precheck.bp_decision_note = actor, note
    precheck.save(update_fields=["bp_decision", "bp_decision_by", "bp_decision_note"])
    _move(session, Status.PRECHECKED if proceed else Status.ABORTED, actor=actor, reason=note)
    if not proceed:
        _visit_session_ended(session, reason=note, actor=actor)
    audit(actor, "infusion.bp_decision", session.patient, obj=session, reason=precheck.bp_decision)
    return precheck


# Dose and infusion -----------------------------------------------------------------------------


@transaction.atomic
def sign_dose(
    session, *, mg_per_kg: Decimal, concentration_mg_per_ml: Decimal, minutes: int, reason="", actor
) -> DoseOrder:
    """A physician signs the dose; a change (before or during the infusion) needs a reason."""
    _require_physician(actor, _("sign a dose"))
    session = _locked(session)
    if session.status not in (Status.PRECHECKED, Status.INFUSING, Status.INTERRUPTED):
        raise TreatmentRefused(
            _("A dose is signed after the pre-check and before the infusion ends."),
            action="infusion.dose.refused",
        )
    precheck = session.precheck
    current = session.doses.filter(replaced_by__isnull=True).last()
    if current is not None and not reason.strip():
        raise TreatmentRefused(
            _("Changing the dose needs a reason."), action="infusion.dose.refused"
        )
    calc = rules.calculate_dose(
        weight_kg=precheck.weight_kg,
        mg_per_kg=mg_per_kg,
        concentration_mg_per_ml=concentration_mg_per_ml,
        minutes=minutes,
    )
    problems = rules.dose_problems(
        mg_per_kg=mg_per_kg, dose_mg=calc.dose_mg, rules=rules_for(session.site)
    )
    if problems:
        raise TreatmentRefused(" ".join(problems), action="infusion.dose.refused")
    order = DoseOrder.objects.create(
        session=session,
        mg_per_kg=mg_per_kg,
        weight_kg=precheck.weight_kg,
        dose_mg=calc.dose_mg,
        concentration_mg_per_ml=concentration_mg_per_ml,
        volume_ml=calc.volume_ml,
        minutes=minutes,
        rate_ml_per_h=calc.rate_ml_per_h,
        replaces=current,
        reason=reason.strip(),
        signed_by=actor,
    )
    audit(
        actor,
        "infusion.dose.changed" if current else "infusion.dose.signed",
        session.patient,
        obj=session,
        reason=f"{calc.dose_mg} mg",
    )
    return order


def current_dose(session) -> DoseOrder | None:
    return session.doses.filter(replaced_by__isnull=True).last()


@transaction.atomic
def start_infusion(session, *, actor) -> InfusionSession:
    """The pump is running: vitals are now due on the infusion schedule."""
    session = _locked(session)
    if session.status != Status.PRECHECKED:
        # Resuming after an interruption is `resume_session`; the start time stays the first.
        raise TreatmentRefused(
            _("The infusion starts once, after the pre-check."), action="infusion.start.refused"
        )
    if current_dose(session) is None:
        raise TreatmentRefused(
            _("The dose has not been signed by a physician."), action="infusion.start.refused"
        )
    now = timezone.now()
    _move(session, Status.INFUSING, actor=actor, at=now)
    session.infusion_started_at = now
    session.save(update_fields=["infusion_started_at"])
    audit(actor, "infusion.started", session.patient, obj=session)
    return session


@transaction.atomic
def interrupt_session(session, *, reason: str, actor) -> InfusionSession:
    """A power cut, an air-raid alert: the session pauses and can be resumed or ended."""
    session = _locked(session)
    if not reason.strip():
        raise TreatmentRefused(
            _("Give the reason for the interruption."), action="infusion.refused"
        )
    _move(session, Status.INTERRUPTED, actor=actor, reason=reason)
    audit(actor, "infusion.interrupted", session.patient, obj=session, reason=reason)
    return session


@transaction.atomic
def resume_session(session, *, actor) -> InfusionSession:
    """Back to where the interruption found the session."""
    session = _locked(session)
    if session.status != Status.INTERRUPTED:
        raise TreatmentRefused(_("The session is not interrupted."), action="infusion.refused")
    before = session.history.exclude(status=Status.INTERRUPTED).order_by("-at", "-pk").first()
    target = (
        Status.MONITORING if before.status in (Status.MONITORING, Status.READY) else Status.INFUSING
    )
    _move(session, target, actor=actor, reason="resumed")
    audit(actor, "infusion.resumed", session.patient, obj=session)
    return session


@transaction.atomic
def end_infusion(session, *, administered_mg: Decimal | None = None, actor) -> InfusionSession:
    """The infusion is complete; observation continues on the after-infusion schedule."""
    session = _locked(session)
    if session.infusion_ended_at is not None:
        raise TreatmentRefused(_("The infusion has already ended."), action="infusion.refused")
    dose = current_dose(session)
    given = dose.dose_mg if administered_mg is None else administered_mg
    if dose is None or given < 0 or given > dose.dose_mg:
        raise TreatmentRefused(
            _("The amount given must be between 0 and the signed dose."), action="infusion.refused"
        )
    now = timezone.now()
    _move(session, Status.MONITORING, actor=actor, at=now)
    session.infusion_ended_at, session.administered_mg = now, given
    session.save(update_fields=["infusion_ended_at", "administered_mg"])
    audit(actor, "infusion.ended", session.patient, obj=session, reason=f"{given} mg")
    return session


@transaction.atomic
def stop_session(session, *, reason: str, administered_mg: Decimal | None = None, actor):
    """Stop for a clinical reason. Before the drug was given the session is aborted; after,
    it is stopped and the patient is still observed until discharge."""
    session = _locked(session)
    if not reason.strip():
        raise TreatmentRefused(_("Give the reason for stopping."), action="infusion.refused")
    if session.infusion_started_at is None:
        _move(session, Status.ABORTED, actor=actor, reason=reason)
        audit(actor, "infusion.aborted", session.patient, obj=session, reason=reason)
        _visit_session_ended(session, reason=reason, actor=actor)
        return session
    now = timezone.now()
    if session.infusion_ended_at is None:
        dose = current_dose(session)
        if administered_mg is None or administered_mg < 0 or administered_mg > dose.dose_mg:
            raise TreatmentRefused(
                _("Give the amount given so far (between 0 and the signed dose)."),
                action="infusion.refused",
            )
        session.infusion_ended_at, session.administered_mg = now, administered_mg
        session.save(update_fields=["infusion_ended_at", "administered_mg"])
    _move(session, Status.STOPPED, actor=actor, reason=reason, at=now)
    audit(actor, "infusion.stopped", session.patient, obj=session, reason=reason)
    return session


@transaction.atomic
def record_ketamine_administration(
    session,
    *,
    holding,
    drawn_mg: Decimal,
    administered_mg: Decimal | None = None,
    witness=None,
    act_number: str = "",
    note: str = "",
    actor,
):
    """The ketamine given in this session, entered in the controlled-drug register from the
    session's page: drawn from a lot, administered (by default what the session recorded as
    given), the residue destroyed before an authenticated witness. The prescriber is the
    physician who signed the dose. Afterwards the session's given amount is the register's.

    Returns the register's administration entry; a refusal by the register writes nothing.
    """
    session = _locked(session)
    if session.infusion_ended_at is None or session.status == Status.DISCHARGED:
        raise TreatmentRefused(
            _("The administration is recorded once the infusion has ended or been stopped."),
            action="infusion.administration.refused",
        )
    if links.registered_administered_mg(session) is not None:
        raise TreatmentRefused(
            _("The administration of this session is already in the register."),
            action="infusion.administration.refused",
        )
    if holding.safe.site_id != session.site_id or not links.is_ketamine(holding):
        raise TreatmentRefused(
            _("Choose a lot of ketamine kept at this site."),
            action="infusion.administration.refused",
        )
    dose = current_dose(session)
    given = session.administered_mg if administered_mg is None else administered_mg
    if given is None or given < 0 or given > dose.dose_mg:
        raise TreatmentRefused(
            _("The amount given must be between 0 and the signed dose."),
            action="infusion.administration.refused",
        )
    try:
        administration = links.register_ketamine_administration(
            session,
            holding=holding,
            drawn_mg=drawn_mg,
            administered_mg=given,
            prescribed_by=dose.signed_by,
            witness=witness,
            act_number=act_number,
            note=note,
            actor=actor,
        )
    except links.RegisterRefused as refusal:
        raise TreatmentRefused(str(refusal), action="infusion.administration.refused") from refusal
    recorded = links.registered_administered_mg(session)
    if session.administered_mg != recorded:
        session.administered_mg = recorded
        session.save(update_fields=["administered_mg"])
    audit(
        actor,
        "infusion.administration.recorded",
        session.patient,
        obj=session,
        reason=f"{administration.lot} drawn {administration.drawn_mg} given {recorded} mg",
    )
    return administration


# Monitoring -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class VitalsInput:
    measured_at: object
    systolic: int
    diastolic: int
    heart_rate: int
    spo2: int
    resp_rate: int | None = None


@transaction.atomic
def record_vitals(
    session, *, reading: VitalsInput, idempotency_key, actor
) -> tuple[VitalSigns, bool]:
    """Append one timed set of vital signs; a repeated key returns the first reading unchanged.

    Out-of-range values raise alerts that stay open until a clinician records an action.
    Returns (reading, created).
    """
    # Lock first, then look for the key: two copies of one reading (a retry racing the
    # original) target the same session, so the second waits here and then finds the first.
    session = _locked(session)
    existing = VitalSigns.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        if existing.session_id != session.pk:
            raise TreatmentRefused(_("This reading belongs to another session."))
        return existing, False
    if session.status not in InfusionSession.MONITORED:
        raise TreatmentRefused(
            _("Vital signs are recorded from the start of the infusion until discharge."),
            action="infusion.vitals.refused",
        )
    now = timezone.now()
    if reading.measured_at > now + CLOCK_SKEW:
        raise TreatmentRefused(
            _("The time of measurement is in the future."), action="infusion.vitals.refused"
        )
    # Readings before the start belong to the pre-check. The form gives minutes, so a
    # reading in the minute the pump started is not "before" it.
    if reading.measured_at < session.infusion_started_at - timedelta(minutes=1):
        raise TreatmentRefused(
            _("The time of measurement is before the start of the infusion."),
            action="infusion.vitals.refused",
        )
    if reading.systolic <= reading.diastolic:
        raise TreatmentRefused(
            _("Systolic pressure must be higher than diastolic."), action="infusion.vitals.refused"
        )
    ended = session.infusion_ended_at
    phase = (
        VitalSigns.Phase.AFTER
        if ended is not None and reading.measured_at >= ended
        else VitalSigns.Phase.INFUSING
    )
    vitals = VitalSigns.objects.create(
        session=session,
        phase=phase,
        idempotency_key=idempotency_key,
        recorded_by=actor,
        **reading.__dict__,
    )
    for kind, value, limit in rules.out_of_range(vitals, rules_for(session.site)):
        alert = VitalAlert.objects.create(
            session=session, vitals=vitals, kind=kind, value=value, limit=limit
        )
        audit(
            actor,
            "infusion.alert.raised",
            session.patient,
            obj=alert,
            site=session.site,
            reason=kind,
        )
        notify_alert(alert, actor=actor)
    audit(actor, "infusion.vitals.recorded", session.patient, obj=session)
    return vitals, True


# --- chair alerts reaching a clinician --------------------------------------------------


def _on_duty_rota(site, day) -> list:
    """The site's on-duty physicians covering the day, in rota order (latest entry first)."""
    entries = (
        OnDutyPhysician.objects.covering(site, day)
        .filter(physician__is_active=True)
        .select_related("physician")
        .order_by("-starts_on", "-pk")
    )
    rota = []
    for entry in entries:
        if entry.physician not in rota:
            rota.append(entry.physician)
    return rota


def _tell(alert: VitalAlert, user, *, reason: str, actor) -> AlertNotice | None:
    """One in-app notice and one outbox message for one clinician, at most once per alert."""
    session = alert.session
    notice, created = AlertNotice.objects.get_or_create(
        alert=alert, recipient=user, defaults={"site": session.site, "reason": reason}
    )
    if not created:
        return None
    link = public_url(reverse("treatment:infusion", kwargs={"session_id": session.public_id}))
    # Staff messages carry no health details beyond the chair: the record stays in the system.
    with translation.override("uk"):
        subject = (
            _("Escalated chair alert: %(site)s, %(chair)s")
            if reason == AlertNotice.Reason.ESCALATION
            else _("Chair alert: %(site)s, %(chair)s")
        ) % {"site": session.site.name, "chair": session.chair.name}
        body = _(
            "A patient in an infusion chair needs a physician now (%(reason)s). Open the "
            "session and acknowledge the alert:\n%(link)s"
        ) % {"reason": alert.get_kind_display(), "link": link}
    enqueue_message(
        channel=OutboxMessage.Channel.EMAIL,
        recipient=user.email,
        subject=subject,
        body=body,
        site=session.site,
        dedupe_key=f"chair-alert:{alert.public_id}:{user.pk}",
    )
    audit(
        actor,
        "infusion.alert.notified",
        session.patient,
        obj=alert,
        site=session.site,
        reason=f"{reason}: {user.email}",
    )
    return notice


def notify_alert(alert: VitalAlert, *, actor) -> list[AlertNotice]:
    """Tell the course's responsible physician and the site's on-duty physician of a new alert.

    Runs inside the transaction that raised the alert, so a refused or rolled-back write
    leaves neither a notice nor a message behind.
    """
    session = alert.session
    recipients = [(session.course.responsible_physician, AlertNotice.Reason.RESPONSIBLE)]
    rota = _on_duty_rota(session.site, timezone.localdate(alert.raised_at))
    if rota:
        recipients.append((rota[0], AlertNotice.Reason.ON_DUTY))
    notices = []
    for user, reason in recipients:
        notice = _tell(alert, user, reason=reason, actor=actor)
        if notice is not None:
            notices.append(notice)
    return notices


@transaction.atomic
def acknowledge_alert(alert, *, actor) -> VitalAlert:
    """A physician has seen the alert; escalation stops. Closing it is a separate step."""
    _require_physician(actor, _("acknowledge an alert"))
    alert = (
        # Lock order: docs/architecture.md, "Locks and their order".
        VitalAlert.objects.select_for_update(of=("self",), no_key=True)
        .select_related("session__patient", "session__site")
        .get(pk=alert.pk)
    )
    if alert.acknowledged_at is not None:
        return alert
    if alert.closed_at is not None:
        raise TreatmentRefused(_("This alert has already been handled."))
    alert.acknowledged_at, alert.acknowledged_by = timezone.now(), actor
    alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
    audit(
        actor,
        "infusion.alert.acknowledged",
        alert.session.patient,
        obj=alert,
        site=alert.session.site,
    )
    return alert


def raise_overdue_vitals_alerts(now=None, *, actor) -> int:
    """Open a "vital signs overdue" alert for each monitored session whose next reading is
    past due (the board's red "overdue"), at most one open such alert per session.

    Called by the sweep (`manage.py escalate_chair_alerts`) before escalation. Each session
    is handled in its own transaction with its row locked.
    """
    from clinic.treatment.selectors import next_due

    now = now or timezone.now()
    raised = 0
    for session_id in InfusionSession.objects.filter(
        status__in=InfusionSession.MONITORED, infusion_started_at__isnull=False
    ).values_list("pk", flat=True):
        with transaction.atomic():
            session = (
                # Lock order: docs/architecture.md, "Locks and their order".
                InfusionSession.objects.select_for_update(of=("self",), no_key=True)
                .select_related("site", "patient", "chair", "course__responsible_physician")
                .get(pk=session_id)
            )
            if session.status not in InfusionSession.MONITORED:
                continue
            last = (
                session.vitals.filter(entered_in_error=False)
                .order_by("-measured_at")
                .values_list("measured_at", flat=True)
                .first()
            )
            due = next_due(session, last)
            if due is None or due >= now:
                continue
            if session.alerts.filter(
                kind=VitalAlert.Kind.VITALS_OVERDUE, closed_at__isnull=True
            ).exists():
                continue
            settings_ = rules_for(session.site)
            every = (
                settings_.vitals_every_minutes_infusing
                if session.infusion_ended_at is None
                else settings_.vitals_every_minutes_after
            )
            late = int((now - due).total_seconds() // 60)
            alert = VitalAlert.objects.create(
                session=session,
                kind=VitalAlert.Kind.VITALS_OVERDUE,
                value=late,
                limit=every,
                raised_at=now,
            )
            audit(
                actor,
                "infusion.alert.raised",
                session.patient,
                obj=alert,
                site=session.site,
                reason=alert.kind,
            )
            notify_alert(alert, actor=actor)
            raised += 1
    return raised


def escalate_overdue_alerts(now=None, *, actor) -> dict[str, int]:
    """Send chair alerts nobody acknowledged within the site's minutes to the next on the rota.

    Each alert is handled in its own transaction with its row locked, so two sweeps running
    at once escalate it once. The clock restarts at each escalation: the next physician gets
    the same number of minutes before the one after them is told.
    """
    now = now or timezone.now()
    candidates = VitalAlert.objects.filter(
        closed_at__isnull=True, acknowledged_at__isnull=True
    ).select_related("session")
    settings_by_site = {}
    due_ids = []
    for alert in candidates:
        site_id = alert.session.site_id
        if site_id not in settings_by_site:
            settings_by_site[site_id] = rules_for(alert.session.site)
        minutes = settings_by_site[site_id].alert_escalate_after_minutes
        if (alert.escalated_at or alert.raised_at) <= now - timedelta(minutes=minutes):
            due_ids.append(alert.pk)
    counts = {"escalated": 0, "no_one_left": 0}
    for alert_id in due_ids:
        with transaction.atomic():
            alert = (
                # Lock order: docs/architecture.md, "Locks and their order".
                VitalAlert.objects.select_for_update(of=("self",), no_key=True)
                .select_related("session__site", "session__patient", "session__chair")
                .get(pk=alert_id)
            )
            if alert.closed_at is not None or alert.acknowledged_at is not None:
                continue
            told = set(alert.notices.values_list("recipient_id", flat=True))
            rota = _on_duty_rota(alert.session.site, timezone.localdate(now))
            following = [user for user in rota if user.pk not in told]
            if not following:
                counts["no_one_left"] += 1
                continue
            _tell(alert, following[0], reason=AlertNotice.Reason.ESCALATION, actor=actor)
            alert.escalated_at = now
            alert.save(update_fields=["escalated_at"])
            audit(
                actor,
                "infusion.alert.escalated",
                alert.session.patient,
                obj=alert,
                site=alert.session.site,
                reason=following[0].email,
            )
            counts["escalated"] += 1
    return counts


@transaction.atomic
def resolve_alert(alert, *, action: str, note: str, actor) -> VitalAlert:
    """Close an alert with what was done (continue, slow, pause, stop, treat) and a note."""
    alert = (
        VitalAlert.objects.select_for_update(of=("self",), no_key=True)
        .select_related("session__patient")
        .get(pk=alert.pk)
    )
    if alert.closed_at is not None:
        raise TreatmentRefused(_("This alert has already been handled."))
    if action not in ALERT_ACTIONS[alert.kind] or not note.strip():
        raise TreatmentRefused(
            _("Choose an action and write a note."), action="infusion.alert.refused"
        )
    alert.action, alert.note = action, note.strip()
    alert.closed_at, alert.closed_by = timezone.now(), actor
    alert.save(update_fields=["action", "note", "closed_at", "closed_by"])
    audit(
        actor,
        "infusion.alert.resolved",
        alert.session.patient,
        obj=alert,
        site=alert.session.site,
        reason=action,
    )
    return alert


@transaction.atomic
def record_score(session, *, code: str, point: str, answers: list, actor) -> SessionScore:
    """A CADSS, MOAA/S or discharge rating, `answers` as option positions in item order.

    A discharge score at or above the site's threshold marks the patient ready for discharge;
    a lower one returns the session to monitoring."""
    session = _locked(session)
    if session.status in InfusionSession.CLOSED or session.status == Status.SCHEDULED:
        raise TreatmentRefused(_("Ratings are recorded during a session."))
    settings = rules_for(session.site)
    try:
        total = links.score_scale(code, answers, discharge_min=settings.discharge_threshold)
    except ScaleError:
        raise TreatmentRefused(_("Answer every item of the scale.")) from None
    score = SessionScore.objects.create(
        session=session,
        code=code,
        point=point,
        answers=list(answers),
        total=total,
        recorded_by=actor,
    )
    if code in DISCHARGE_SCALES and code == settings.discharge_scale and point == "discharge":
        fit = total >= settings.discharge_threshold
        if fit and session.status == Status.MONITORING:
            _move(session, Status.READY, actor=actor, reason=f"{code} {total}")
        elif not fit and session.status == Status.READY:
            _move(session, Status.MONITORING, actor=actor, reason=f"{code} {total}")
    audit(actor, "infusion.score.recorded", session.patient, obj=session, reason=f"{code}={total}")
    return score


@transaction.atomic
def record_adverse_event(session, *, term, onset_at, severity, action, outcome, note="", actor):
    """An adverse event with onset, severity, action and outcome (domain.md §3.7)."""
    session = _locked(session)
    if session.status in (Status.SCHEDULED, Status.ABORTED) and session.infusion_started_at is None:
        raise TreatmentRefused(_("Adverse events are recorded once the session is under way."))
    if onset_at > timezone.now() + CLOCK_SKEW or onset_at < (session.checked_in_at or onset_at):
        raise TreatmentRefused(_("The onset must lie within the session."))
    event = AdverseEvent.objects.create(
        session=session,
        term=term,
        onset_at=onset_at,
        severity=severity,
        action=action,
        outcome=outcome,
        note=note,
        recorded_by=actor,
    )
    audit(
        actor,
        "infusion.adverse_event.recorded",
        session.patient,
        obj=session,
        reason=f"{term}/{severity}",
    )
    return event


@transaction.atomic
def discharge_patient(
    session, *, escort_confirmed: bool, instructions_given: bool, override_reason="", actor
) -> Discharge:
    """Discharge when the criteria are met; before that only a physician's override with a
    reason. Unaccounted ketamine or an open alert refuse discharge even with an override."""
    session = _locked(session)
    if session.status not in (Status.MONITORING, Status.READY, Status.STOPPED):
        raise TreatmentRefused(
            _("Discharge follows the infusion and the observation after it."),
            action="infusion.discharge.refused",
        )
    if links.ampoule_unaccounted_mg(session) != 0:
        raise TreatmentRefused(
            _("Ketamine drawn for this session is not yet accounted for in the register."),
            action="infusion.discharge.refused",
        )
    now = timezone.now()
    unmet = unmet_discharge_criteria(
        session, escort_confirmed=escort_confirmed, instructions_given=instructions_given, now=now
    )
    blocking = [c for c in unmet if not c.overridable]
    if blocking:
        raise TreatmentRefused(
            " ".join(c.message for c in blocking), action="infusion.discharge.refused"
        )
    override_reason = override_reason.strip()
    if unmet and not override_reason:
        raise TreatmentRefused(
            _("Not yet: %(reasons)s") % {"reasons": " ".join(c.message for c in unmet)},
            action="infusion.discharge.refused",
        )
    if unmet:
        _require_physician(actor, _("discharge before the criteria are met"))
    from clinic.treatment.selectors import latest_discharge_score

    discharge = Discharge.objects.create(
        session=session,
        at=now,
        by=actor,
        score=latest_discharge_score(session),
        escort_confirmed=escort_confirmed,
        instructions_given=instructions_given,
        observed_minutes=int((now - session.infusion_started_at).total_seconds() // 60),
        unmet=[c.code for c in unmet],
        override_reason=override_reason if unmet else "",
    )
    _move(session, Status.DISCHARGED, actor=actor, at=now, reason=override_reason)
    session.discharged_at = now
    session.save(update_fields=["discharged_at"])
    # The visit's row lock comes before the audit row (docs/architecture.md, lock order).
    if session.appointment_id is not None:
        links.complete_visit(session.appointment, actor=actor)
    audit(
        actor,
        "infusion.discharged.override" if unmet else "infusion.discharged",
        session.patient,
        obj=session,
        reason=",".join(c.code for c in unmet),
    )
    return discharge


# TES -----------------------------------------------------------------------------------------


@transaction.atomic
def start_tes_session(
    patient,
    *,
    room,
    course=None,
    appointment=None,
    device,
    serial_number,
    stimulation,
    anode,
    cathode,
    electrode_area_cm2: Decimal,
    current_ma: Decimal,
    minutes: int,
    ramp_up_seconds: int,
    ramp_down_seconds: int,
    skin_before,
    skin_before_note="",
    actor,
) -> TesSession:
    """Start a TES session after the skin check; parameters above the site's limits are refused."""
    if room.kind != Room.Kind.TES or room.site_id != patient.home_site_id:
        raise TreatmentRefused(_("Choose a TES room of the patient's site."), action="tes.refused")
    if course is not None and (course.patient_id != patient.pk or course.modality != Modality.TES):
        raise TreatmentRefused(_("Choose a TES course of this patient."), action="tes.refused")
    if anode == cathode:
        raise TreatmentRefused(
            _("Anode and cathode must be at different positions."), action="tes.refused"
        )
    if appointment is not None:
        appointment = links.lock_visit(appointment)
        _check_visit(appointment, patient=patient, kind=SESSION_TES)
    if skin_before == "lesion":
        raise TreatmentRefused(
            _("Do not stimulate over damaged skin: move the electrode or postpone."),
            action="tes.refused",
        )
    derived = rules.tes_derived(
        current_ma=current_ma, minutes=minutes, electrode_area_cm2=electrode_area_cm2
    )
    problems = rules.tes_problems(
        current_ma=current_ma,
        minutes=minutes,
        charge_c=derived.charge_c,
        rules=rules_for(patient.home_site),
    )
    if problems:
        raise TreatmentRefused(" ".join(problems), action="tes.limits.refused")
    if appointment is not None:
        _check_in_visit(appointment, actor=actor)
    tes = TesSession.objects.create(
        patient=patient,
        site=patient.home_site,
        room=room,
        course=course,
        appointment=appointment,
        device=device,
        serial_number=serial_number,
        stimulation=stimulation,
        anode=anode,
        cathode=cathode,
        electrode_area_cm2=electrode_area_cm2,
        current_ma=current_ma,
        minutes=minutes,
        ramp_up_seconds=ramp_up_seconds,
        ramp_down_seconds=ramp_down_seconds,
        charge_c=derived.charge_c,
        current_density_ma_cm2=derived.current_density_ma_cm2,
        skin_before=skin_before,
        skin_before_note=skin_before_note,
        performed_by=actor,
    )
    audit(actor, "tes.started", patient, obj=tes, reason=f"{current_ma} mA {minutes} min")
    return tes


@transaction.atomic
def complete_tes_session(
    tes, *, skin_after, skin_after_note="", sensations="", adverse_effects="", actor
) -> TesSession:
    """Close a TES session with the skin check after, sensations and adverse effects."""
    tes = (
        TesSession.objects.select_for_update(of=("self",), no_key=True)
        .select_related("patient")
        .get(pk=tes.pk)
    )
    if tes.status != TesSession.Status.STARTED:
        raise TreatmentRefused(_("This session has already been completed."))
    tes.skin_after, tes.skin_after_note = skin_after, skin_after_note
    tes.sensations, tes.adverse_effects = sensations, adverse_effects
    tes.status, tes.completed_at = TesSession.Status.COMPLETED, timezone.now()
    tes.save()
    # The visit's row lock comes before the audit row (docs/architecture.md, lock order).
    if tes.appointment_id is not None:
        links.complete_visit(tes.appointment, actor=actor)
    audit(actor, "tes.completed", tes.patient, obj=tes, reason=skin_after)
    return tes


# Session notes -------------------------------------------------------------------------------


@transaction.atomic
def write_session_note(
    patient, *, kind, held_on, text, course=None, infusion=None, appointment=None, actor
) -> SessionNote:
    """A draft note of a psychotherapy, integration, body-oriented or rehabilitation session."""
    if held_on > timezone.localdate():
        raise TreatmentRefused(_("The session date cannot be in the future."))
    if infusion is not None and infusion.patient_id != patient.pk:
        raise TreatmentRefused(_("Choose an infusion of this patient."))
    if course is not None and course.patient_id != patient.pk:
        raise TreatmentRefused(_("Choose a course of this patient."))
    if appointment is not None:
        appointment = links.lock_visit(appointment)
        _check_visit(appointment, patient=patient, kind=SESSION_NOTE, today_only=False)
        if held_on != timezone.localdate(appointment.starts_at):
            raise TreatmentRefused(_("The session date must be the day of the visit."))
        if appointment.session_notes.filter(author=actor).exists():
            raise TreatmentRefused(_("You have already written the note of this visit."))
    note = SessionNote.objects.create(
        patient=patient,
        kind=kind,
        held_on=held_on,
        text=text,
        course=course,
        infusion=infusion,
        appointment=appointment,
        author=actor,
    )
    audit(actor, "note.written", patient, obj=note, reason=kind)
    return note
