"""The pump's record: rate changes, pauses, resumes and the end, each with its time, and the
amount given computed from them (`clinic.treatment.delivery`).

The writes here are called by the infusion steps (`infusions.start_infusion`,
`interrupt_session`, `resume_session`, `end_infusion`, `stop_session`) inside their
transactions, after the session's row lock; `change_infusion_rate` is a step of its own.
"""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.formats import localize
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clinic.core.audit import audit
from clinic.treatment import delivery
from clinic.treatment.models import PumpEvent
from clinic.treatment.selectors import pump_delivery, rules_for
from clinic.treatment.services.common import (
    CLOCK_SKEW,
    Status,
    TreatmentRefused,
    locked_session,
)

Kind = PumpEvent.Kind
Cause = PumpEvent.Cause
# Where pump events get their time when none is given. Only the demo loader replaces it, to
# lay out sessions that ran earlier today (as `controlled_drugs.ledger.clock`).
clock = timezone.now


def event_time(session, at, *, action: str):
    """The time of a pump event: now, or a time the nurse gives that lies after the session's
    last event, not in the future, and within the site's `pump_late_entry_minutes` (how far
    back a nurse may record an event she could not enter at the time: she took the patient
    to the shelter, the tablet was dark during a power cut; clinic policy)."""
    now = clock()
    if at is None:
        at = now
    if at > now + CLOCK_SKEW:
        raise TreatmentRefused(_("The time is in the future."), action=action)
    last = session.pump_events.order_by("-at", "-pk").values_list("at", flat=True).first()
    earliest = last or session.infusion_started_at
    if earliest is not None and at < earliest:
        raise TreatmentRefused(
            _("The time is before the pump's last recorded event (%(time)s).")
            % {"time": timezone.localtime(earliest).strftime("%H:%M")},
            action=action,
        )
    late_minutes = rules_for(session.site).pump_late_entry_minutes
    if at < now - timedelta(minutes=late_minutes):
        raise TreatmentRefused(
            ngettext(
                "A pump event is recorded within %(minutes)s minute of when it happened.",
                "A pump event is recorded within %(minutes)s minutes of when it happened.",
                late_minutes,
            )
            % {"minutes": late_minutes},
            action=action,
        )
    return min(at, now)


def pump_running(session) -> bool:
    """The pump is on: the session is infusing and the infusion has a recorded start."""
    return session.status == Status.INFUSING and session.pump_events.exists()


def current_rate(session) -> Decimal | None:
    """The rate the pump was last set to (start, rate change or resume)."""
    return (
        session.pump_events.exclude(rate_ml_per_h__isnull=True)
        .order_by("-at", "-pk")
        .values_list("rate_ml_per_h", flat=True)
        .first()
    )


def preparation_in_use(session):
    """The syringe or bag on the pump: named by the start or the last resume."""
    event = (
        session.pump_events.exclude(preparation__isnull=True)
        .select_related("preparation")
        .order_by("-at", "-pk")
        .first()
    )
    return event.preparation if event is not None else None


def record_pump_event(session, *, kind, at, actor, rate=None, preparation=None, cause="", note=""):
    """Append one event; the caller holds the session's lock and its transaction."""
    return PumpEvent.objects.create(
        session=session,
        kind=kind,
        at=at,
        rate_ml_per_h=rate,
        preparation=preparation,
        cause=cause,
        note=note.strip(),
        recorded_by=actor,
    )


def given_at_end(session, *, administered_mg, action: str) -> Decimal | None:
    """The amount given once the pump has stopped for good: what its events give, or what the
    nurse entered when it agrees with them within the syringe's measuring step. None for a
    session whose start was recorded before pump events existed."""
    result = pump_delivery(session)
    if result is None:
        return None
    if administered_mg is None:
        return result.total_mg
    prepared = sum((syringe.prepared_mg for syringe in result.syringes), Decimal(0))
    if administered_mg > prepared:
        raise TreatmentRefused(
            _("%(entered)s mg is more than was prepared (%(prepared)s mg).")
            % {
                "entered": localize(administered_mg.normalize()),
                "prepared": localize(prepared.normalize()),
            },
            action=action,
        )
    if administered_mg < 0 or delivery.entered_differs(administered_mg, result):
        raise TreatmentRefused(
            _(
                "You entered %(entered)s mg; the pump's record (rates, pauses and times) gives "
                "%(computed)s mg. They differ by more than the syringe's measuring step "
                "(%(step)s mg): check the volume the pump shows as infused, and record a rate "
                "change or pause that is missing; or leave the amount empty to take the "
                "computed one."
            )
            % {
                "entered": localize(administered_mg.normalize()),
                "computed": localize(result.total_mg.normalize()),
                "step": localize(result.step_mg.normalize()),
            },
            action=action,
        )
    return administered_mg


@transaction.atomic
def change_infusion_rate(session, *, rate_ml_per_h: Decimal, reason: str, at=None, actor):
    """The nurse changes the pump's rate (slower for a side effect, as the physician asks):
    recorded with its time, and refused above the site's maximum mg/kg/min."""
    action = "infusion.rate.refused"
    session = locked_session(session)
    if not pump_running(session):
        raise TreatmentRefused(_("The rate is changed while the pump is running."), action=action)
    if not reason.strip():
        raise TreatmentRefused(_("Give the reason for the rate change."), action=action)
    if rate_ml_per_h is None or rate_ml_per_h <= 0:
        raise TreatmentRefused(
            _("Enter the new rate in ml/h (to stop the pump, pause or stop)."), action=action
        )
    if rate_ml_per_h == current_rate(session):
        raise TreatmentRefused(_("The pump already runs at this rate."), action=action)
    prepared = preparation_in_use(session)
    weight = session.precheck.weight_kg
    per_kg_per_min = rate_ml_per_h * prepared.syringe().concentration_mg_per_ml / 60 / weight
    maximum = rules_for(session.site).max_rate_mg_per_kg_per_min
    if per_kg_per_min > maximum:
        raise TreatmentRefused(
            _(
                "%(rate)s ml/h of this preparation is %(per_kg)s mg/kg/min, above the site's "
                "maximum of %(max)s mg/kg/min."
            )
            % {
                "rate": localize(rate_ml_per_h),
                "per_kg": localize(per_kg_per_min.quantize(Decimal("0.00001"))),
                "max": localize(maximum),
            },
            action=action,
        )
    at = event_time(session, at, action=action)
    event = record_pump_event(
        session, kind=Kind.RATE, at=at, actor=actor, rate=rate_ml_per_h, note=reason
    )
    audit(
        actor,
        "infusion.rate.changed",
        session.patient,
        obj=session,
        reason=f"{rate_ml_per_h} ml/h: {reason.strip()}"[:500],
    )
    return event
