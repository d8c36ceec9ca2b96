"""Every write of the scheduling context: bookings, series, the waitlist, hours and absences.

Each service runs in one transaction with its audit row. On SQLite every transaction starts
IMMEDIATE (settings), so the check in `rules.check_conflicts` and the insert that follows
cannot interleave with another writer; on PostgreSQL the exclusion constraints of migration
0002 reject an overlap that slips past the check, and `_save` turns that into the same
`SlotTaken` the check raises.
"""

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clinic.accounts.models import User
from clinic.core.audit import audit
from clinic.core.errors import refuse_on_contention
from clinic.locations.services import add_closure
from clinic.scheduling import hooks, notifications
from clinic.scheduling.availability import Slot, find_slots
from clinic.scheduling.clock import AmbiguousTime, local, local_instant
from clinic.scheduling.models import (
    Absence,
    Appointment,
    AppointmentEvent,
    CalendarFeed,
    Series,
    VisitType,
    WaitlistEntry,
    WaitlistEvent,
    WorkingHours,
)
from clinic.scheduling.rules import (
    BookingRefused,
    SlotTaken,
    blocked_interval,
    check_room,
    check_room_free,
    check_visit,
)

# Names of the PostgreSQL exclusion constraints (migration 0002) and what each protects.
CONSTRAINT_MESSAGES = {
    "appt_no_practitioner_overlap": "practitioner",
    "appt_no_room_overlap": "room",
    "appt_no_patient_overlap": "patient",
}

__all__ = ["BookingRefused", "SlotTaken"]

# A deadlock or serialisation failure between two bookings: nothing was saved.
on_contention = refuse_on_contention(
    BookingRefused,
    gettext_lazy("Another booking was being saved at the same moment. Please try again."),
)


def _conflict_from(error: IntegrityError) -> SlotTaken | None:
    name = getattr(getattr(error.__cause__, "diag", None), "constraint_name", None) or ""
    if name not in CONSTRAINT_MESSAGES:
        return None
    return SlotTaken(
        {
            "practitioner": _("The practitioner was booked by someone else a moment ago."),
            "room": _("The room or chair was booked by someone else a moment ago."),
            "patient": _("The patient was booked elsewhere at that time a moment ago."),
        }[CONSTRAINT_MESSAGES[name]]
    )


def _save(appointment: Appointment, **kwargs) -> None:
    try:
        with transaction.atomic():
            appointment.save(**kwargs)
    except IntegrityError as error:
        conflict = _conflict_from(error)
        if conflict is None:
            raise
        raise conflict from error


# Advisory lock namespaces (PostgreSQL): one lock per practitioner, room and patient.
_LOCK_SPACES = {"practitioner": 7301, "room": 7302, "patient": 7303}


def lock_resources(*, practitioners=(), rooms=(), patients=()) -> None:
    """Serialise bookings that share a practitioner, room or patient (PostgreSQL).

    The exclusion constraints alone are correct but, with two inserts racing on two of them
    at once (same patient, different practitioners), PostgreSQL may resolve the wait as a
    deadlock instead of a clean conflict. Taking the resources' locks first, always in one
    order, makes the second booking wait, then see the first one in the check. SQLite
    needs nothing: its IMMEDIATE transactions already hold the one write lock.
    """
    if connection.vendor != "postgresql":
        return
    keys = sorted(
        {(_LOCK_SPACES["practitioner"], p.pk) for p in practitioners if p is not None}
        | {(_LOCK_SPACES["room"], r.pk) for r in rooms if r is not None}
        | {(_LOCK_SPACES["patient"], p.pk) for p in patients if p is not None}
    )
    with connection.cursor() as cursor:
        for space, key in keys:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [space, key])


def _event(appointment, kind, actor, *, note="", previous_starts_at=None):
    AppointmentEvent.objects.create(
        appointment=appointment,
        kind=kind,
        status=appointment.status,
        by=actor,
        note=note[:300],
        previous_starts_at=previous_starts_at,
    )


def _release_expired_holds(actor) -> None:
    """Offers whose hold ran out stop occupying their slot (the constraint still counts them)."""
    now = timezone.now()
    # Not offered on from here: the caller is about to book a time, perhaps this very one.
    for held in Appointment.objects.filter(status=Appointment.Status.HELD, hold_until__lte=now):
        _release_offer(held, actor=actor, note="expired", reoffer=False)


def _build(patient, visit_type, site, starts_at, practitioner, room, actor, **extra):
    ends_at, blocked_from, blocked_until = blocked_interval(visit_type, starts_at)
    return Appointment(
        patient=patient,
        visit_type=visit_type,
        site=site,
        starts_at=starts_at,
        ends_at=ends_at,
        blocked_from=blocked_from,
        blocked_until=blocked_until,
        practitioner=practitioner,
        room=room if visit_type.room_kind else None,
        created_by=actor,
        **extra,
    )


@on_contention
@transaction.atomic
def book_appointment(
    patient,
    *,
    visit_type: VisitType,
    site,
    starts_at: datetime,
    practitioner: User,
    room=None,
    actor,
    idempotency_key=None,
    note: str = "",
) -> Appointment:
    """Book one visit after checking every rule; raises BookingRefused / SlotTaken.

    With an `idempotency_key` already used, the booking made with it is returned as it is.
    `note` (reception's remark when booking) is kept on the visit's "booked" history row.
    """
    lock_resources(practitioners=[practitioner], rooms=[room], patients=[patient])
    if idempotency_key is not None:
        earlier = Appointment.objects.filter(idempotency_key=idempotency_key).first()
        if earlier is not None:
            if earlier.patient_id != patient.pk:
                raise BookingRefused(_("This form was already used. Search again."))
            return earlier
    _release_expired_holds(actor)
    check_visit(
        patient=patient,
        visit_type=visit_type,
        site=site,
        starts_at=starts_at,
        practitioner=practitioner,
        room=room,
    )
    appointment = _build(
        patient,
        visit_type,
        site,
        starts_at,
        practitioner,
        room,
        actor,
        idempotency_key=idempotency_key,
    )
    _save(appointment, force_insert=True)
    _event(appointment, AppointmentEvent.Kind.BOOKED, actor, note=note.strip())
    notifications.booked(appointment)
    audit(actor, "appointment.booked", patient, obj=appointment, site=site)
    return appointment


def _locked(appointment: Appointment) -> Appointment:
    return (
        # Lock order: docs/architecture.md, "Locks and their order".
        Appointment.objects.select_for_update(of=("self",), no_key=True)
        .select_related("patient", "site", "visit_type", "practitioner", "room")
        .get(pk=appointment.pk)
    )


def _refuse_transition(appointment, status):
    if not appointment.can_move_to(status):
        raise BookingRefused(
            _("A visit that is “%(status)s” cannot be changed that way.")
            % {"status": appointment.get_status_display()}
        )


@on_contention
@transaction.atomic
def reschedule_appointment(
    appointment: Appointment,
    *,
    starts_at: datetime,
    practitioner: User | None = None,
    room=None,
    actor,
    reason: str = "",
) -> Appointment:
    """Move one visit to another time (and perhaps practitioner or room).

    The old reminder is withdrawn and a new one scheduled for the new time; the freed time
    is offered to the waitlist.
    """
    practitioner = practitioner or appointment.practitioner
    room = room if room is not None else appointment.room
    lock_resources(
        practitioners=[practitioner, appointment.practitioner],
        rooms=[room, appointment.room],
        patients=[appointment.patient],
    )
    appointment = _locked(appointment)
    if appointment.status != Appointment.Status.BOOKED:
        _refuse_transition(appointment, "moved")
    _release_expired_holds(actor)
    check_visit(
        patient=appointment.patient,
        visit_type=appointment.visit_type,
        site=appointment.site,
        starts_at=starts_at,
        practitioner=practitioner,
        room=room,
        exclude=[appointment.pk],
    )
    freed = _freed(appointment)
    previous = appointment.starts_at
    ends_at, blocked_from, blocked_until = blocked_interval(appointment.visit_type, starts_at)
    appointment.starts_at, appointment.ends_at = starts_at, ends_at
    appointment.blocked_from, appointment.blocked_until = blocked_from, blocked_until
    appointment.practitioner, appointment.room = practitioner, room
    _save(appointment)
    _event(
        appointment, AppointmentEvent.Kind.MOVED, actor, note=reason, previous_starts_at=previous
    )
    notifications.moved(appointment, previous)
    audit(actor, "appointment.moved", appointment.patient, obj=appointment, reason=reason)
    offer_freed_slot(freed, actor=actor)
    return appointment


@on_contention
@transaction.atomic
def change_room(appointment: Appointment, *, room, actor, reason: str = "") -> Appointment:
    """Put a visit booked or under way today in another room or chair of its site.

    The time, practitioner and patient stay; only the room's own bookings are checked (a
    nurse seating the patient on another chair when the booked one is taken).
    """
    lock_resources(rooms=[room, appointment.room], patients=[appointment.patient])
    appointment = _locked(appointment)
    if appointment.status not in (Appointment.Status.BOOKED, Appointment.Status.CHECKED_IN):
        raise BookingRefused(
            _("A visit that is “%(status)s” cannot be changed that way.")
            % {"status": appointment.get_status_display()}
        )
    if room == appointment.room:
        return appointment
    check_room(appointment.visit_type, appointment.site, room)
    check_room_free(
        room, appointment.blocked_from, appointment.blocked_until, exclude=[appointment.pk]
    )
    previous = appointment.room
    appointment.room = room
    _save(appointment, update_fields=["room"])
    note = f"{previous.name if previous else '—'} → {room.name}"
    if reason:
        note = f"{note}: {reason}"
    _event(appointment, AppointmentEvent.Kind.MOVED, actor, note=note)
    audit(actor, "appointment.room_changed", appointment.patient, obj=appointment, reason=note)
    return appointment


@on_contention
@transaction.atomic
def cancel_appointment(appointment: Appointment, *, reason: str, actor) -> Appointment:
    """Cancel a visit with a reason; its reminders never go, the time goes to the waitlist."""
    reason = (reason or "").strip()
    if not reason:
        raise BookingRefused(_("Give the reason for cancelling."))
    appointment = _locked(appointment)
    _refuse_transition(appointment, Appointment.Status.CANCELLED)
    if appointment.status == Appointment.Status.HELD:
        # An offer withdrawn by reception: the entry waits again, the next one is asked.
        _release_offer(appointment, actor=actor, note=reason[:300])
        return appointment
    freed = _freed(appointment)
    appointment.status = Appointment.Status.CANCELLED
    appointment.cancel_reason = reason[:300]
    appointment.save(update_fields=["status", "cancel_reason"])
    _event(appointment, AppointmentEvent.Kind.CANCELLED, actor, note=reason)
    notifications.cancelled(appointment)
    # Before the audit row: the hooks lock rows of their own (lock order, docs/architecture.md).
    hooks.run(hooks.CANCELLED, appointment, actor=actor)
    audit(actor, "appointment.cancelled", appointment.patient, obj=appointment, reason=reason)
    offer_freed_slot(freed, actor=actor)
    return appointment


def _status_change(appointment, status, kind, action, actor):
    appointment = _locked(appointment)
    _refuse_transition(appointment, status)
    if status == Appointment.Status.CHECKED_IN and local(appointment.starts_at).date() != (
        timezone.localdate()
    ):
        raise BookingRefused(_("A patient can be checked in only on the day of the visit."))
    if status == Appointment.Status.NO_SHOW and appointment.starts_at > timezone.now():
        raise BookingRefused(_("A visit that has not begun cannot be marked as missed."))
    appointment.status = status
    appointment.save(update_fields=["status"])
    _event(appointment, kind, actor)
    if status in (Appointment.Status.COMPLETED, Appointment.Status.NO_SHOW):
        # The apps that hooked in (billing's charge) act in this transaction, before the audit
        # row: they lock rows of their own (lock order, docs/architecture.md).
        hooks.run(status, appointment, actor=actor)
    audit(actor, action, appointment.patient, obj=appointment)
    return appointment


@transaction.atomic
def check_in_appointment(appointment: Appointment, *, actor) -> Appointment:
    """The patient has arrived."""
    return _status_change(
        appointment,
        Appointment.Status.CHECKED_IN,
        AppointmentEvent.Kind.CHECKED_IN,
        "appointment.checked_in",
        actor,
    )


@transaction.atomic
def mark_no_show(appointment: Appointment, *, actor) -> Appointment:
    """The patient did not come."""
    return _status_change(
        appointment,
        Appointment.Status.NO_SHOW,
        AppointmentEvent.Kind.NO_SHOW,
        "appointment.no_show",
        actor,
    )


@transaction.atomic
def complete_appointment(appointment: Appointment, *, actor) -> Appointment:
    """The visit took place."""
    return _status_change(
        appointment,
        Appointment.Status.COMPLETED,
        AppointmentEvent.Kind.COMPLETED,
        "appointment.completed",
        actor,
    )


@transaction.atomic
def note_session_ended(appointment: Appointment, *, note: str, actor) -> Appointment:
    """A history row: the treatment session of this visit ended early (an aborted infusion).

    The status stays as it was: the patient is still checked in until the visit is closed.
    """
    appointment = _locked(appointment)
    _event(appointment, AppointmentEvent.Kind.SESSION_ENDED, actor, note=note)
    audit(actor, "appointment.session_ended", appointment.patient, obj=appointment, reason=note)
    return appointment


# --- Series -----------------------------------------------------------------------------


@dataclass
class Occurrence:
    """One planned visit of a series: the proposed time, and what stands in its way."""

    number: int
    starts_at: datetime | None
    practitioner: User
    room: object
    problem: str = ""
    alternatives: list[Slot] = field(default_factory=list)
    wall_day: date | None = None

    @property
    def key(self) -> str:
        room = self.room.pk if self.room else ""
        return f"{self.starts_at.isoformat()}|{self.practitioner.pk}|{room}"


def series_days(first_day: date, weekdays: set[int], count: int) -> list[date]:
    """The first day, then the next days falling on the chosen weekdays, `count` in all."""
    found = [first_day]
    day = first_day
    while len(found) < count:
        day += timedelta(days=1)
        if day.isoweekday() in weekdays:
            found.append(day)
    return found


def plan_series(
    patient, *, visit_type, site, first_start: datetime, practitioner, room, count, weekdays
) -> list[Occurrence]:
    """Check every occurrence of a proposed course; nothing is saved.

    Each occurrence falls at the same local wall time on its day; one that cannot be booked
    carries the reason and up to three alternatives from the same and the next two days.
    """
    wall = local(first_start).time()
    plan = []
    taken_here = []  # occurrences earlier in this plan also occupy their time
    for number, day in enumerate(series_days(local(first_start).date(), weekdays, count), 1):
        occurrence = Occurrence(number, None, practitioner, room, wall_day=day)
        try:
            occurrence.starts_at = local_instant(day, wall, fold=0)
            check_visit(
                patient=patient,
                visit_type=visit_type,
                site=site,
                starts_at=occurrence.starts_at,
                practitioner=practitioner,
                room=room,
            )
            _check_within_plan(visit_type, occurrence.starts_at, taken_here)
        except (BookingRefused, AmbiguousTime) as refusal:
            occurrence.problem = str(refusal)
            occurrence.alternatives = _alternatives(
                visit_type, site, day, patient, practitioner, taken_here
            )
        else:
            taken_here.append(occurrence.starts_at)
        plan.append(occurrence)
    return plan


def _check_within_plan(visit_type, starts_at, others):
    ends_at = starts_at + timedelta(minutes=visit_type.duration_minutes)
    for other in others:
        if other < ends_at and starts_at < other + timedelta(minutes=visit_type.duration_minutes):
            raise SlotTaken(_("Two visits of this series fall at the same time."))


def _alternatives(visit_type, site, day, patient, practitioner, taken_here) -> list[Slot]:
    slots = find_slots(
        visit_type,
        sites=[site],
        first_day=day,
        last_day=day + timedelta(days=2),
        patient=patient,
    )

    def clashes(slot):
        try:
            _check_within_plan(visit_type, slot.starts_at, taken_here)
        except SlotTaken:
            return True
        return False

    slots = [slot for slot in slots if not clashes(slot)]
    # The same practitioner first: a course is easier with one familiar face.
    slots.sort(key=lambda slot: (slot.practitioner != practitioner, slot.starts_at))
    return slots[:3]


@on_contention
@transaction.atomic
def book_series(
    patient, *, visit_type, site, occurrences: list[tuple], actor, course=None
) -> tuple[Series, list[Appointment]]:
    """Book a whole series at once: every occurrence is checked, and all are saved or none.

    `occurrences` is a list of (starts_at, practitioner, room). On any refusal nothing is
    written and `SeriesRefused` lists each problem with its occurrence number. `course`, when
    given, is the course of care whose planned sessions the series books.
    """
    if not 2 <= len(occurrences) <= 40:
        raise BookingRefused(_("A series has between 2 and 40 visits."))
    if course is not None and (course.patient_id != patient.pk or not course.is_active):
        raise BookingRefused(_("Only an active course of this patient can be booked."))
    lock_resources(
        practitioners=[o[1] for o in occurrences],
        rooms=[o[2] for o in occurrences],
        patients=[patient],
    )
    _release_expired_holds(actor)
    problems = []
    seen = []
    for number, (starts_at, practitioner, room) in enumerate(occurrences, 1):
        try:
            check_visit(
                patient=patient,
                visit_type=visit_type,
                site=site,
                starts_at=starts_at,
                practitioner=practitioner,
                room=room,
            )
            _check_within_plan(visit_type, starts_at, seen)
        except BookingRefused as refusal:
            problems.append((number, str(refusal)))
        seen.append(starts_at)
    if problems:
        raise SeriesRefused(problems)
    series = Series.objects.create(
        patient=patient, visit_type=visit_type, site=site, course=course, created_by=actor
    )
    appointments = []
    for starts_at, practitioner, room in sorted(occurrences, key=lambda o: o[0]):
        appointment = _build(
            patient, visit_type, site, starts_at, practitioner, room, actor, series=series
        )
        _save(appointment, force_insert=True)
        _event(appointment, AppointmentEvent.Kind.BOOKED, actor, note="series")
        appointments.append(appointment)
    notifications.series_booked(appointments)
    audit(
        actor,
        "appointment.series.booked",
        patient,
        obj=series,
        site=site,
        reason=f"{len(appointments)} visits",
    )
    return series, appointments


class SeriesRefused(BookingRefused):
    """Nothing of the series was saved; `problems` lists (occurrence number, message)."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__(
            "; ".join(
                _("visit %(number)s: %(problem)s") % {"number": n, "problem": p}
                for n, p in problems
            )
        )


def _rest_of_series(appointment):
    return list(
        # Lock order: docs/architecture.md, "Locks and their order".
        Appointment.objects.select_for_update(of=("self",), no_key=True)
        .select_related("patient", "site", "visit_type", "practitioner", "room")
        .filter(
            series=appointment.series,
            status=Appointment.Status.BOOKED,
            starts_at__gte=appointment.starts_at,
        )
        .order_by("starts_at")
    )


@on_contention
@transaction.atomic
def reschedule_rest_of_series(
    appointment: Appointment, *, starts_at: datetime, actor, reason: str = ""
) -> list[Appointment]:
    """Move this visit and every later booked one of its series by the same calendar step:
    as many days later, at the new local time. All move or none."""
    if appointment.series_id is None:
        raise BookingRefused(_("This visit is not part of a series."))
    involved = Appointment.objects.filter(
        series=appointment.series, starts_at__gte=appointment.starts_at
    ).select_related("practitioner", "room")
    lock_resources(
        practitioners=[a.practitioner for a in involved],
        rooms=[a.room for a in involved],
        patients=[appointment.patient],
    )
    rest = _rest_of_series(appointment)
    if not rest or rest[0].pk != appointment.pk:
        raise BookingRefused(_("Only a booked visit can be moved."))
    _release_expired_holds(actor)
    shift_days = (local(starts_at).date() - local(appointment.starts_at).date()).days
    wall = local(starts_at).time()
    moves, problems, seen = [], [], []
    excluded = [a.pk for a in rest]
    for item in rest:
        day = local(item.starts_at).date() + timedelta(days=shift_days)
        try:
            new_start = local_instant(day, wall, fold=0)
            check_visit(
                patient=item.patient,
                visit_type=item.visit_type,
                site=item.site,
                starts_at=new_start,
                practitioner=item.practitioner,
                room=item.room,
                exclude=excluded,
            )
            _check_within_plan(item.visit_type, new_start, seen)
        except (BookingRefused, AmbiguousTime) as refusal:
            problems.append((local(item.starts_at).strftime("%d.%m"), str(refusal)))
            continue
        seen.append(new_start)
        moves.append((item, new_start))
    if problems:
        raise SeriesRefused(problems)
    freed = []
    # Move the latest first when shifting later (and the earliest first when earlier), so the
    # rows never overlap each other on the way and the constraint stays satisfied.
    ordered = sorted(moves, key=lambda m: m[0].starts_at, reverse=shift_days > 0)
    for item, new_start in ordered:
        freed.append(_freed(item))
        previous = item.starts_at
        ends_at, blocked_from, blocked_until = blocked_interval(item.visit_type, new_start)
        item.starts_at, item.ends_at = new_start, ends_at
        item.blocked_from, item.blocked_until = blocked_from, blocked_until
        _save(item)
        _event(item, AppointmentEvent.Kind.MOVED, actor, note=reason, previous_starts_at=previous)
        notifications.moved(item, previous)
    audit(
        actor,
        "appointment.series.moved",
        appointment.patient,
        obj=appointment.series,
        site=appointment.site,
        reason=reason,
    )
    for slot in freed:
        offer_freed_slot(slot, actor=actor)
    return [item for item, _ in moves]


@on_contention
@transaction.atomic
def cancel_rest_of_series(appointment: Appointment, *, reason: str, actor) -> list[Appointment]:
    """Cancel this visit and every later booked one of its series."""
    if appointment.series_id is None:
        raise BookingRefused(_("This visit is not part of a series."))
    if not (reason or "").strip():
        raise BookingRefused(_("Give the reason for cancelling."))
    rest = _rest_of_series(appointment)
    return [cancel_appointment(item, reason=reason, actor=actor) for item in rest]


# --- Waitlist ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FreedSlot:
    visit_type_id: int
    site_id: int
    starts_at: datetime
    practitioner_id: int
    room_id: int | None
    patient_id: int


def _freed(appointment) -> FreedSlot:
    return FreedSlot(
        appointment.visit_type_id,
        appointment.site_id,
        appointment.starts_at,
        appointment.practitioner_id,
        appointment.room_id,
        appointment.patient_id,
    )


def _waitlist_event(entry, actor, note=""):
    WaitlistEvent.objects.create(entry=entry, status=entry.status, by=actor, reason=note[:500])


@transaction.atomic
def add_to_waitlist(
    patient,
    *,
    visit_type,
    site,
    earliest_on: date,
    latest_on: date,
    practitioner=None,
    day_starts: time | None = None,
    day_ends: time | None = None,
    priority: int = WaitlistEntry.Priority.NORMAL,
    note: str = "",
    actor,
) -> WaitlistEntry:
    """Put a patient on the waitlist for a visit type at a site, within a window of days."""
    if latest_on < earliest_on:
        raise BookingRefused(_("The last day is before the first."))
    if day_starts and day_ends and day_ends <= day_starts:
        raise BookingRefused(_("“Not after” must be later than “not before”."))
    if latest_on < timezone.localdate():
        raise BookingRefused(_("The window of days has already passed."))
    entry = WaitlistEntry.objects.create(
        patient=patient,
        visit_type=visit_type,
        site=site,
        practitioner=practitioner,
        earliest_on=earliest_on,
        latest_on=latest_on,
        day_starts=day_starts,
        day_ends=day_ends,
        priority=priority,
        note=note[:300],
        created_by=actor,
    )
    _waitlist_event(entry, actor, note="added")
    audit(actor, "waitlist.added", patient, obj=entry, site=site)
    return entry


def _eligible(entry: WaitlistEntry, freed: FreedSlot) -> bool:
    moment = local(freed.starts_at)
    if not entry.earliest_on <= moment.date() <= entry.latest_on:
        return False
    if entry.practitioner_id and entry.practitioner_id != freed.practitioner_id:
        return False
    if entry.day_starts and moment.time() < entry.day_starts:
        return False
    visit_end = (moment + timedelta(minutes=entry.visit_type.duration_minutes)).time()
    return not (entry.day_ends and visit_end > entry.day_ends)


def offer_freed_slot(freed: FreedSlot, *, actor, skip_entry_ids=()) -> WaitlistEntry | None:
    """Offer a time that just became free to the first eligible waiting patient, on hold.

    Entries are tried in queue order (priority, then time of joining); the rest keep their
    places. A patient who already let an offer of this same time go is not asked again.
    """
    if freed.starts_at <= timezone.now():
        return None
    candidates = (
        WaitlistEntry.objects.waiting()
        .filter(visit_type_id=freed.visit_type_id, site_id=freed.site_id)
        .exclude(pk__in=skip_entry_ids)
        .exclude(patient_id=freed.patient_id)
        .select_related("patient", "visit_type", "site")
        .in_queue_order()
    )
    visit_type = VisitType.objects.get(pk=freed.visit_type_id)
    practitioner = User.objects.get(pk=freed.practitioner_id)
    for entry in candidates:
        if not _eligible(entry, freed):
            continue
        declined_before = Appointment.objects.filter(
            patient=entry.patient,
            status=Appointment.Status.CANCELLED,
            starts_at=freed.starts_at,
            events__kind=AppointmentEvent.Kind.RELEASED,
        ).exists()
        if declined_before:
            continue
        room = entry.site.rooms.filter(pk=freed.room_id).first() if freed.room_id else None
        lock_resources(practitioners=[practitioner], rooms=[room], patients=[entry.patient])
        try:
            with transaction.atomic():
                check_visit(
                    patient=entry.patient,
                    visit_type=visit_type,
                    site=entry.site,
                    starts_at=freed.starts_at,
                    practitioner=practitioner,
                    room=room,
                )
                held = _build(
                    entry.patient,
                    visit_type,
                    entry.site,
                    freed.starts_at,
                    practitioner,
                    room,
                    actor,
                    status=Appointment.Status.HELD,
                    hold_until=timezone.now() + timedelta(minutes=settings.WAITLIST_HOLD_MINUTES),
                )
                _save(held, force_insert=True)
        except BookingRefused:
            continue  # e.g. this patient is busy then: the next one is asked
        _event(held, AppointmentEvent.Kind.OFFERED, actor)
        entry.status = WaitlistEntry.Status.OFFERED
        entry.offer = held
        entry.save(update_fields=["status", "offer"])
        _waitlist_event(entry, actor, note="offered")
        notifications.offered(held)
        audit(actor, "waitlist.offered", entry.patient, obj=entry, site=entry.site)
        return entry
    return None


def _locked_entry(entry):
    return (
        # Lock order: docs/architecture.md, "Locks and their order".
        WaitlistEntry.objects.select_for_update(of=("self",), no_key=True)
        .select_related("patient", "site", "visit_type", "offer")
        .get(pk=entry.pk)
    )


@on_contention
@transaction.atomic
def confirm_offer(entry: WaitlistEntry, *, actor) -> Appointment:
    """The patient takes the place offered: the hold becomes a booking."""
    entry = _locked_entry(entry)
    if entry.status != WaitlistEntry.Status.OFFERED or entry.offer is None:
        raise BookingRefused(_("There is no offer to confirm."))
    held = _locked(entry.offer)
    if held.status != Appointment.Status.HELD or held.hold_until <= timezone.now():
        raise BookingRefused(_("The hold on this place has run out."))
    held.status = Appointment.Status.BOOKED
    held.hold_until = None
    held.save(update_fields=["status", "hold_until"])
    _event(held, AppointmentEvent.Kind.CONFIRMED, actor)
    entry.status = WaitlistEntry.Status.BOOKED
    entry.save(update_fields=["status"])
    _waitlist_event(entry, actor, note="booked")
    notifications.booked(held)
    audit(actor, "waitlist.booked", entry.patient, obj=held, site=entry.site)
    return held


def _release_offer(held: Appointment, *, actor, note: str, reoffer: bool = True) -> None:
    entry = (
        # Lock order: docs/architecture.md, "Locks and their order".
        WaitlistEntry.objects.select_for_update(of=("self",), no_key=True)
        .filter(offer=held)
        .select_related("site")
        .first()
    )
    freed = _freed(held)
    held.status = Appointment.Status.CANCELLED
    held.cancel_reason = note
    held.save(update_fields=["status", "cancel_reason"])
    _event(held, AppointmentEvent.Kind.RELEASED, actor, note=note)
    skip = []
    if entry is not None:
        entry.status = WaitlistEntry.Status.WAITING
        entry.offer = None
        entry.save(update_fields=["status", "offer"])
        _waitlist_event(entry, actor, note=note)
        audit(actor, "waitlist.offer_released", held.patient, obj=entry, reason=note)
        skip.append(entry.pk)
    if reoffer:
        offer_freed_slot(freed, actor=actor, skip_entry_ids=skip)


@on_contention
@transaction.atomic
def decline_offer(entry: WaitlistEntry, *, actor) -> WaitlistEntry:
    """The patient cannot come then: they keep waiting, the place goes to the next in line."""
    entry = _locked_entry(entry)
    if entry.status != WaitlistEntry.Status.OFFERED or entry.offer is None:
        raise BookingRefused(_("There is no offer to decline."))
    _release_offer(_locked(entry.offer), actor=actor, note="declined")
    return WaitlistEntry.objects.get(pk=entry.pk)


@on_contention
@transaction.atomic
def withdraw_from_waitlist(entry: WaitlistEntry, *, actor, note: str = "") -> WaitlistEntry:
    """The patient no longer waits (booked otherwise, or changed their mind)."""
    entry = _locked_entry(entry)
    if not entry.can_move_to(WaitlistEntry.Status.WITHDRAWN):
        raise BookingRefused(_("This entry is closed already."))
    held = entry.offer if entry.status == WaitlistEntry.Status.OFFERED else None
    entry.status = WaitlistEntry.Status.WITHDRAWN
    entry.offer = None
    entry.save(update_fields=["status", "offer"])
    _waitlist_event(entry, actor, note=note or "withdrawn")
    if held is not None and held.status == Appointment.Status.HELD:
        _release_offer(_locked(held), actor=actor, note="withdrawn")
    audit(actor, "waitlist.withdrawn", entry.patient, obj=entry, reason=note)
    return entry


@transaction.atomic
def release_expired_offers(*, actor) -> int:
    """Offers whose hold ran out go to the next in line (run by `send_reminders`)."""
    expired = list(
        # Lock order: docs/architecture.md, "Locks and their order".
        Appointment.objects.select_for_update(of=("self",), no_key=True).filter(
            status=Appointment.Status.HELD, hold_until__lte=timezone.now()
        )
    )
    for held in expired:
        _release_offer(held, actor=actor, note="expired")
    return len(expired)


# --- Practitioners' hours, absences, visit types, days off ---------------------------------


@transaction.atomic
def set_working_hours(practitioner: User, site, *, spans: dict, actor) -> None:
    """Replace a practitioner's weekly hours at a site; `spans` maps weekday -> [(from, to)]."""
    for items in spans.values():
        ordered = sorted(items)
        for (_s1, e1), (s2, _e2) in zip(ordered, ordered[1:], strict=False):
            if s2 < e1:
                raise BookingRefused(_("Two spans of the same day overlap."))
        for starts, ends in ordered:
            if ends <= starts:
                raise BookingRefused(_("Each span must end after it starts."))
    WorkingHours.objects.filter(practitioner=practitioner, site=site).delete()
    WorkingHours.objects.bulk_create(
        WorkingHours(practitioner=practitioner, site=site, weekday=w, starts=s, ends=e)
        for w, items in spans.items()
        for s, e in items
    )
    audit(actor, "schedule.hours.changed", obj=practitioner, site=site)


@transaction.atomic
def add_absence(
    practitioner: User, *, kind: str, starts_on: date, ends_on: date, note: str = "", actor
) -> Absence:
    """Record leave or sickness; visits already booked in those days are listed for moving."""
    if ends_on < starts_on:
        raise BookingRefused(_("The last day is before the first."))
    absence = Absence.objects.create(
        practitioner=practitioner,
        kind=kind,
        starts_on=starts_on,
        ends_on=ends_on,
        note=note[:200],
        created_by=actor,
    )
    audit(actor, "schedule.absence.added", obj=absence)
    return absence


@transaction.atomic
def remove_absence(absence: Absence, *, actor) -> None:
    """Take back an absence entered by mistake (schedule data, not a clinical record)."""
    audit(actor, "schedule.absence.removed", obj=absence)
    absence.delete()


@transaction.atomic
def save_visit_type(visit_type: VisitType, *, roles, actor) -> VisitType:
    """Create or change a visit type (administrators)."""
    created = visit_type.pk is None
    visit_type.name = visit_type.name_uk
    visit_type.full_clean()
    visit_type.save()
    visit_type.practitioner_roles.set(roles)
    audit(
        actor,
        "schedule.visit_type.created" if created else "schedule.visit_type.changed",
        obj=visit_type,
    )
    return visit_type


@transaction.atomic
def confirm_day_off(site, *, day: date, name: str, actor):
    """An administrator confirms a suggested public holiday as a closure of the site."""
    from clinic.locations.models import Closure

    if Closure.objects.filter(site=site).covering(day).exists():
        raise BookingRefused(_("The site is already closed that day."))
    return add_closure(site, starts_on=day, ends_on=day, reason=name[:200], actor=actor)


@transaction.atomic
def issue_calendar_feed(practitioner: User, *, actor) -> CalendarFeed:
    """Create or replace the secret address of a practitioner's calendar feed."""
    feed, _created = CalendarFeed.objects.update_or_create(
        practitioner=practitioner,
        defaults={"token": secrets.token_urlsafe(32), "created_at": timezone.now()},
    )
    audit(actor, "schedule.calendar_feed.issued", obj=practitioner)
    return feed
