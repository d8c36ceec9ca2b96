"""An infusion session step by step: opening, pre-check, dose, infusion, monitoring,
scores, adverse events and discharge.

Each step locks the session row before checking its state (two nurses on two tablets must
not both start the same infusion), writes its rows and its audit row in one transaction.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.formats import localize
from django.utils.translation import gettext as _

from clinic.core.audit import audit
from clinic.courses.models import Course, Modality
from clinic.locations.models import Room
from clinic.treatment import links, rules
from clinic.treatment.models import (
    AdverseEvent,
    Discharge,
    DoseOrder,
    DosePreparation,
    InfusionSession,
    InfusionStatusChange,
    InteractionRule,
    PreCheck,
    SessionScore,
    VitalAlert,
    VitalSigns,
)
from clinic.treatment.preparation import Prescription
from clinic.treatment.scales import DISCHARGE_SCALES, ScaleError
from clinic.treatment.selectors import (
    SESSION_INFUSION,
    pump_delivery,
    rules_for,
    unmet_discharge_criteria,
)
from clinic.treatment.services import pump
from clinic.treatment.services.alerts import notify_alert
from clinic.treatment.services.common import (
    CLOCK_SKEW,
    Status,
    TreatmentRefused,
    locked_session,
    move,
    require_physician,
)
from clinic.treatment.services.visits import (
    change_visit_room,
    check_in_visit,
    check_visit,
    visit_session_ended,
)


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
        raise TreatmentRefused(
            _("%(chair)s is taken: choose a free chair.") % {"chair": chair.name},
            action="infusion.refused",
        )
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


@transaction.atomic
def start_infusion_for_visit(appointment, *, chair=None, actor) -> InfusionSession:
    """Open the infusion of today's ketamine visit on its chair, in the patient's active IV
    ketamine course; a visit still booked is checked in first.

    `chair`, when the nurse chose another one (the booked chair is taken, or none was
    booked), becomes the visit's room: scheduling records and audits the change.
    """
    if chair is not None:
        links.lock_visit_rooms(appointment, rooms=[chair, appointment.room])
    appointment = links.lock_visit(appointment)
    check_visit(appointment, patient=appointment.patient, kind=SESSION_INFUSION)
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
    if appointment.site_id != course.site_id:
        raise TreatmentRefused(
            _("The visit is at another site than the course."), action="infusion.refused"
        )
    chair = chair or appointment.room
    if chair is None:
        raise TreatmentRefused(
            _("The visit has no chair booked: choose a free chair."), action="infusion.refused"
        )
    check_in_visit(appointment, actor=actor)
    if chair != appointment.room:
        change_visit_room(appointment, room=chair, actor=actor)
    return open_infusion_session(course, chair=chair, appointment=appointment, actor=actor)


def _check_in(session, *, actor):
    now = timezone.now()
    move(session, Status.CHECKED_IN, actor=actor, at=now)
    session.checked_in_at = now
    session.save(update_fields=["checked_in_at"])
    audit(actor, "infusion.checked_in", session.patient, obj=session)


@transaction.atomic
def check_in_patient(session, *, actor) -> InfusionSession:
    """The patient has arrived for a session scheduled ahead."""
    session = locked_session(session)
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
    allergies: str = ""
    # The nurse confirms, with a note, what she entered against the chart.
    chart_confirmed: bool = False
    chart_note: str = ""


def precheck_initial(patient) -> dict:
    """The pre-check form prefilled from the record: pregnancy and breastfeeding status, the
    usual escort (this patient's last pre-check, else the emergency contact), the latest weight
    and its date, allergies and current medicines that interact with ketamine."""
    chart = links.precheck_chart(patient)
    initial = {"weight_measured_on": timezone.localdate(), "allergies": chart.allergies}
    if chart.weight:
        initial.update(weight_kg=chart.weight[0], weight_measured_on=chart.weight[1])
    if chart.pregnant:
        initial["pregnancy"] = PreCheck.Pregnancy.PREGNANT
    elif chart.sex == "male":
        initial["pregnancy"] = PreCheck.Pregnancy.NOT_APPLICABLE
    if chart.is_breastfeeding:
        initial["breastfeeding"] = PreCheck.Breastfeeding.YES
    elif chart.breastfeeding == "none":
        initial["breastfeeding"] = PreCheck.Breastfeeding.NO
    elif chart.sex == "male":
        initial["breastfeeding"] = PreCheck.Breastfeeding.NOT_APPLICABLE
    last = (
        PreCheck.objects.filter(session__patient=patient)
        .exclude(escort_name="")
        .order_by("-recorded_at", "-pk")
        .values_list("escort_name", "escort_phone", "escort_relation")
        .first()
    )
    escort = last or chart.emergency_contact
    if escort:
        initial.update(escort_name=escort[0], escort_phone=escort[1], escort_relation=escort[2])
    codes = {code for _name, code in chart.medicines}
    if codes:
        initial["drugs"] = list(
            InteractionRule.objects.filter(is_active=True, code__in=codes).values_list(
                "pk", flat=True
            )
        )
    return initial


def chart_differences(check: PreCheckInput, chart) -> list[str]:
    """What the pre-check says against the chart, each to be confirmed by the nurse."""
    found = []
    if chart.pregnant and check.pregnancy != PreCheck.Pregnancy.PREGNANT:
        found.append(
            _("the chart records a pregnancy; the pre-check says: %(value)s")
            % {"value": PreCheck.Pregnancy(check.pregnancy).label}
        )
    if chart.is_breastfeeding and check.breastfeeding != PreCheck.Breastfeeding.YES:
        found.append(
            _("the chart records breastfeeding; the pre-check says: %(value)s")
            % {"value": PreCheck.Breastfeeding(check.breastfeeding).label}
        )
    if chart.allergies and not check.allergies.strip():
        found.append(
            _("the chart lists allergies (%(allergies)s); the pre-check records none")
            % {"allergies": chart.allergies}
        )
    ticked = {rule.code for rule in check.drugs}
    for name, code in chart.medicines:
        if code not in ticked:
            found.append(
                _("the chart lists %(drug)s, which interacts with ketamine; it is not ticked")
                % {"drug": name}
            )
    return found


@transaction.atomic
def record_precheck(session, *, check: PreCheckInput, actor) -> PreCheck:
    """Record the pre-dose checks. High pressure asks a physician; very high pressure blocks."""
    session = locked_session(session)
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
    differences = chart_differences(check, links.precheck_chart(session.patient))
    if differences and not (check.chart_confirmed and check.chart_note.strip()):
        raise TreatmentRefused(
            _(
                "The pre-check differs from the patient's chart: %(differences)s. Correct it, "
                "or confirm the differences with a note."
            )
            % {"differences": "; ".join(differences)},
            action="infusion.precheck.differs_from_chart",
        )
    skip = {"drugs", "chart_confirmed", "chart_note"}
    fields = {k: v for k, v in check.__dict__.items() if k not in skip}
    precheck = PreCheck.objects.create(
        session=session,
        **fields,
        chart_differences="\n".join(differences),
        chart_confirmation_note=check.chart_note.strip() if differences else "",
        bp_decision=PreCheck.Decision.PENDING if pressure == rules.BP_WARN else "",
        recorded_by=actor,
    )
    precheck.drugs.set(check.drugs)
    if pressure == rules.BP_NORMAL:
        move(session, Status.PRECHECKED, actor=actor)
    audit(
        actor,
        "infusion.precheck.recorded",
        session.patient,
        obj=session,
        reason=(pressure + "".join(f"; {d}" for d in differences))[:500],
    )
    return precheck


@transaction.atomic
def decide_on_blood_pressure(session, *, proceed: bool, note: str, actor) -> PreCheck:
    """A physician's decision on a pre-dose pressure above the warning threshold."""
    require_physician(actor, _("decide on the blood pressure"))
    session = locked_session(session)
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
    move(session, Status.PRECHECKED if proceed else Status.ABORTED, actor=actor, reason=note)
    if not proceed:
        visit_session_ended(session, reason=note, actor=actor)
    audit(actor, "infusion.bp_decision", session.patient, obj=session, reason=precheck.bp_decision)
    return precheck


@transaction.atomic
def sign_dose(session, *, mg_per_kg: Decimal, minutes: int, reason="", actor) -> DoseOrder:
    """A physician signs the prescription (mg/kg x the weight on the day, over so many
    minutes); a change (before or during the infusion) needs a reason. How it is made up is
    the nurse's preparation (`record_dose_preparation`), not asked of the physician.

    A change while the pump runs is refused: the pump is paused first (`interrupt_session`),
    then the new dose is signed, prepared, checked by a second person and the pump resumed
    with it (`resume_session`). We refuse rather than record a pause at the signature time
    because the signature does not stop the pump: the old syringe keeps running until
    someone at the chair presses pause, and only that person knows when it stopped. A pause
    written at the signature would leave out what ran in between, and the amount given
    (`delivery.amount_given`, from the pump's events) would no longer be exact. With the
    pause recorded when it happened, the old syringe counts up to the pause and the new one
    from the resume."""
    require_physician(actor, _("sign a dose"))
    session = locked_session(session)
    if session.status not in (Status.PRECHECKED, Status.INFUSING, Status.INTERRUPTED):
        raise TreatmentRefused(
            _("A dose is signed after the pre-check and before the infusion ends."),
            action="infusion.dose.refused",
        )
    if pump.pump_running(session):
        raise TreatmentRefused(
            _(
                "The pump is running with the current dose. Pause the infusion first (with "
                "its cause), then sign the new dose; it resumes with the new preparation once "
                "a second person has checked it."
            ),
            action="infusion.dose.refused",
        )
    precheck = session.precheck
    current = session.doses.filter(replaced_by__isnull=True).last()
    if current is not None and not reason.strip():
        raise TreatmentRefused(
            _("Changing the dose needs a reason."), action="infusion.dose.refused"
        )
    prescription = Prescription(mg_per_kg, precheck.weight_kg, minutes)
    problems = rules.dose_problems(
        mg_per_kg=mg_per_kg, dose_mg=prescription.dose_mg, rules=rules_for(session.site)
    )
    if problems:
        raise TreatmentRefused(" ".join(problems), action="infusion.dose.refused")
    order = DoseOrder.objects.create(
        session=session,
        mg_per_kg=mg_per_kg,
        weight_kg=precheck.weight_kg,
        dose_mg=prescription.dose_mg,
        minutes=minutes,
        replaces=current,
        reason=reason.strip(),
        signed_by=actor,
    )
    audit(
        actor,
        "infusion.dose.changed" if current else "infusion.dose.signed",
        session.patient,
        obj=session,
        reason=f"{prescription.dose_mg} mg",
    )
    return order


def current_dose(session) -> DoseOrder | None:
    return session.doses.filter(replaced_by__isnull=True).last()


def prepared_mg(dose: DoseOrder | None):
    """The dose actually made up for this order (the volume drawn x the ampoule's strength),
    or the signed dose when it was not prepared (orders from before preparations)."""
    if dose is None:
        return None
    prepared = DosePreparation.objects.filter(dose=dose).first()
    return dose.dose_mg if prepared is None else prepared.dose_given_mg


def _most_given_mg(dose: DoseOrder):
    # Rounding the drawn volume to what the syringe measures may put up to half a step more
    # in the syringe than was signed; that amount, shown to the physician and the checker,
    # is what the patient can receive.
    return max(dose.dose_mg, prepared_mg(dose))


@transaction.atomic
def start_infusion(session, *, actor) -> InfusionSession:
    """The pump is running: vitals are now due on the infusion schedule."""
    session = locked_session(session)
    if session.status != Status.PRECHECKED:
        # Resuming after an interruption is `resume_session`; the start time stays the first.
        raise TreatmentRefused(
            _("The infusion starts once, after the pre-check."), action="infusion.start.refused"
        )
    dose = current_dose(session)
    if dose is None:
        raise TreatmentRefused(
            _("The dose has not been signed by a physician."), action="infusion.start.refused"
        )
    prepared = DosePreparation.objects.filter(dose=dose).first()
    if prepared is None or not prepared.is_checked:
        raise TreatmentRefused(
            _(
                "The dose must be prepared and checked by a second person before the "
                "infusion starts."
            ),
            action="infusion.start.refused",
        )
    now = timezone.now()
    move(session, Status.INFUSING, actor=actor, at=now)
    session.infusion_started_at = now
    session.save(update_fields=["infusion_started_at"])
    # The pump starts at the rate the preparation computed and the checker read on it.
    pump.record_pump_event(
        session,
        kind=pump.Kind.START,
        at=pump.clock(),
        actor=actor,
        rate=prepared.rate_ml_per_h,
        preparation=prepared,
    )
    audit(actor, "infusion.started", session.patient, obj=session)
    return session


@transaction.atomic
def interrupt_session(
    session, *, reason: str = "", cause: str = pump.Cause.OTHER, at=None, actor
) -> InfusionSession:
    """An air-raid alert, a power cut, a side effect: the session pauses (and with it the
    pump, while the infusion runs) and can be resumed or ended. `reason` is the note; it is
    required when the cause is "other"."""
    session = locked_session(session)
    if cause not in pump.Cause.values or cause == pump.Cause.NONE:
        raise TreatmentRefused(
            _("Choose the cause of the interruption."), action="infusion.refused"
        )
    if cause == pump.Cause.OTHER and not reason.strip():
        raise TreatmentRefused(
            _("Give the reason for the interruption."), action="infusion.refused"
        )
    running = pump.pump_running(session)
    at = pump.event_time(session, at, action="infusion.refused") if running else timezone.now()
    label = pump.Cause(cause).label
    note = f"{label}: {reason.strip()}" if reason.strip() else str(label)
    move(session, Status.INTERRUPTED, actor=actor, reason=note[:500], at=at)
    if running:
        pump.record_pump_event(
            session, kind=pump.Kind.PAUSE, at=at, actor=actor, cause=cause, note=reason
        )
    audit(actor, "infusion.interrupted", session.patient, obj=session, reason=note[:500])
    return session


@transaction.atomic
def resume_session(session, *, at=None, actor) -> InfusionSession:
    """Back to where the interruption found the session. A pump paused mid-infusion restarts
    at its last rate, or, after the dose was changed, with the new preparation at its rate
    once a second person has checked it."""
    session = locked_session(session)
    if session.status != Status.INTERRUPTED:
        raise TreatmentRefused(_("The session is not interrupted."), action="infusion.refused")
    before = session.history.exclude(status=Status.INTERRUPTED).order_by("-at", "-pk").first()
    target = (
        Status.MONITORING if before.status in (Status.MONITORING, Status.READY) else Status.INFUSING
    )
    paused_pump = target == Status.INFUSING and session.pump_events.exists()
    if paused_pump:
        prepared = DosePreparation.objects.filter(dose=current_dose(session)).first()
        if prepared is None or not prepared.is_checked:
            raise TreatmentRefused(
                _(
                    "The dose was changed: the infusion resumes once the new dose is prepared "
                    "and checked by a second person."
                ),
                action="infusion.resume.refused",
            )
        at = pump.event_time(session, at, action="infusion.resume.refused")
        in_use = pump.preparation_in_use(session)
        if in_use is not None and in_use.pk == prepared.pk:
            rate = pump.current_rate(session)
        else:
            rate = prepared.rate_ml_per_h
        pump.record_pump_event(
            session, kind=pump.Kind.RESUME, at=at, actor=actor, rate=rate, preparation=prepared
        )
    move(session, target, actor=actor, reason="resumed", at=at if paused_pump else None)
    audit(actor, "infusion.resumed", session.patient, obj=session)
    return session


def _most_given(session, dose) -> Decimal:
    """The most this session can have given: what every syringe on its pump held, or, for a
    session started before pump events, the current dose as prepared."""
    used = pump_delivery(session)
    if used is not None and used.syringes:
        return sum((s.prepared_mg for s in used.syringes), Decimal(0))
    return _most_given_mg(dose)


def _pump_stops(session, *, kind, administered_mg, at, actor, action) -> tuple:
    """The pump's last event (complete or stopped early) and the amount given: computed from
    its events, or entered and checked against them. Sessions started before pump events
    keep the amount entered (or the dose as prepared)."""
    if session.infusion_ended_at is None and session.pump_events.exists():
        at = pump.event_time(session, at, action=action)
        pump.record_pump_event(session, kind=kind, at=at, actor=actor)
    else:
        at = timezone.now()
    given = pump.given_at_end(session, administered_mg=administered_mg, action=action)
    if given is None:
        dose = current_dose(session)
        given = prepared_mg(dose) if administered_mg is None else administered_mg
        if dose is None or given < 0 or given > _most_given_mg(dose):
            raise TreatmentRefused(
                _("The amount given must be between 0 and the signed dose."), action=action
            )
    return at, given


@transaction.atomic
def end_infusion(
    session, *, administered_mg: Decimal | None = None, at=None, actor
) -> InfusionSession:
    """The infusion is complete; observation continues on the after-infusion schedule. The
    amount given is the pump's (rates, pauses and times), or the nurse's within the
    syringe's measuring step of it."""
    session = locked_session(session)
    if session.infusion_ended_at is not None or session.infusion_started_at is None:
        raise TreatmentRefused(_("The infusion has already ended."), action="infusion.refused")
    at, given = _pump_stops(
        session,
        kind=pump.Kind.END,
        administered_mg=administered_mg,
        at=at,
        actor=actor,
        action="infusion.refused",
    )
    move(session, Status.MONITORING, actor=actor, at=at)
    session.infusion_ended_at, session.administered_mg = at, given
    session.save(update_fields=["infusion_ended_at", "administered_mg"])
    audit(actor, "infusion.ended", session.patient, obj=session, reason=f"{given} mg")
    return session


@transaction.atomic
def stop_session(session, *, reason: str, administered_mg: Decimal | None = None, at=None, actor):
    """Stop for a clinical reason. Before the drug was given the session is aborted; after,
    it is stopped and the patient is still observed until discharge. A running or paused
    pump stops early: the amount given is computed from its events (or entered and checked
    against them)."""
    session = locked_session(session)
    if not reason.strip():
        raise TreatmentRefused(_("Give the reason for stopping."), action="infusion.refused")
    if session.infusion_started_at is None:
        move(session, Status.ABORTED, actor=actor, reason=reason)
        audit(actor, "infusion.aborted", session.patient, obj=session, reason=reason)
        visit_session_ended(session, reason=reason, actor=actor)
        return session
    now = timezone.now()
    if session.infusion_ended_at is None:
        if not session.pump_events.exists() and administered_mg is None:
            raise TreatmentRefused(
                _("Give the amount given so far (between 0 and the signed dose)."),
                action="infusion.refused",
            )
        now, given = _pump_stops(
            session,
            kind=pump.Kind.STOP,
            administered_mg=administered_mg,
            at=at,
            actor=actor,
            action="infusion.refused",
        )
        session.infusion_ended_at, session.administered_mg = now, given
        session.save(update_fields=["infusion_ended_at", "administered_mg"])
    move(session, Status.STOPPED, actor=actor, reason=reason, at=now)
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
    session's page, one entry per lot: the ampoules opened (whole: a single-use ampoule never
    returns to the safe), the part of the session's given amount they account for, and the
    residue destroyed before an authenticated witness. A dose drawn from two ampoules or two
    lots is two entries, or one entry of two ampoules; together they record exactly what the
    session gave. The prescriber is the physician who signed the dose.

    `administered_mg` defaults to what of the session's amount is not yet in the register (at
    most what was drawn); another value is refused. Returns the register's administration
    entry; a refusal by the register writes nothing.
    """
    action = "infusion.administration.refused"
    session = locked_session(session)
    if session.infusion_ended_at is None or session.status == Status.DISCHARGED:
        raise TreatmentRefused(
            _("The administration is recorded once the infusion has ended or been stopped."),
            action=action,
        )
    if holding.safe.site_id != session.site_id or not links.is_ketamine(holding):
        raise TreatmentRefused(_("Choose a lot of ketamine kept at this site."), action=action)
    given = session.administered_mg
    registered = links.registered_administered_mg(session) or Decimal(0)
    rest = max(given - registered, Decimal(0)) if given is not None else Decimal(0)
    dose = current_dose(session)
    # A second entry with nothing left to give is a second ampoule opened for the dose (its
    # whole content is residue); once the ampoules drawn cover what was prepared, there is
    # none.
    covered = links.registered_drawn_mg(session) >= _most_given(session, dose)
    if given is None or (rest == 0 and covered):
        raise TreatmentRefused(
            _("The administration of this session is already in the register."), action=action
        )
    expected = min(rest, drawn_mg) if drawn_mg is not None and drawn_mg > 0 else rest
    if administered_mg is None:
        administered_mg = expected
    if administered_mg != expected:
        raise TreatmentRefused(
            _(
                "The register records what the session gave: %(expected)s mg from this entry "
                "(%(given)s mg given, %(registered)s mg already in the register). Correct the "
                "amount given at the end of the infusion, not here."
            )
            % {
                "expected": localize(expected.normalize()),
                "given": localize(given.normalize()),
                "registered": localize(Decimal(registered).normalize()),
            },
            action=action,
        )
    try:
        administration = links.register_ketamine_administration(
            session,
            holding=holding,
            drawn_mg=drawn_mg,
            administered_mg=administered_mg,
            prescribed_by=dose.signed_by,
            witness=witness,
            act_number=act_number,
            note=note,
            actor=actor,
        )
    except links.RegisterRefused as refusal:
        raise TreatmentRefused(str(refusal), action=action) from refusal
    audit(
        actor,
        "infusion.administration.recorded",
        session.patient,
        obj=session,
        reason=(
            f"{administration.lot} drawn {administration.drawn_mg} "
            f"given {administration.administered_mg} mg"
        ),
    )
    return administration


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
    session = locked_session(session)
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


@transaction.atomic
def record_score(session, *, code: str, point: str, answers: list, actor) -> SessionScore:
    """A CADSS, MOAA/S or discharge rating, `answers` as option positions in item order.

    A discharge score at or above the site's threshold marks the patient ready for discharge;
    a lower one returns the session to monitoring."""
    session = locked_session(session)
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
            move(session, Status.READY, actor=actor, reason=f"{code} {total}")
        elif not fit and session.status == Status.READY:
            move(session, Status.MONITORING, actor=actor, reason=f"{code} {total}")
    audit(actor, "infusion.score.recorded", session.patient, obj=session, reason=f"{code}={total}")
    return score


@transaction.atomic
def record_adverse_event(session, *, term, onset_at, severity, action, outcome, note="", actor):
    """An adverse event with onset, severity, action and outcome (domain.md §3.7)."""
    session = locked_session(session)
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
    session = locked_session(session)
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
        require_physician(actor, _("discharge before the criteria are met"))
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
    move(session, Status.DISCHARGED, actor=actor, at=now, reason=override_reason)
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
