"""Reads of the schedule: the patient's visits (for the chart), the day board, the week view."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone

from clinic.accounts.models import User
from clinic.locations.models import OpeningHours, Room
from clinic.scheduling.access import PRACTITIONER_ROLES
from clinic.scheduling.clock import day_bounds, local, window_end, window_start
from clinic.scheduling.models import (
    Absence,
    Appointment,
    AppointmentEvent,
    WaitlistEntry,
    WaitlistEvent,
    WorkingHours,
)

_RELATED = ("patient", "site", "visit_type", "practitioner", "room")


def upcoming_for_patient(patient, *, limit: int = 10):
    """The patient's next visits that stand, earliest first."""
    return list(
        Appointment.objects.for_patient(patient)
        .active()
        .upcoming()
        .select_related(*_RELATED)
        .order_by("starts_at")[:limit]
    )


def history_for_patient(patient):
    """Every appointment of the patient, latest first, with its status history."""
    return (
        Appointment.objects.for_patient(patient)
        .exclude(status=Appointment.Status.HELD)
        .select_related(*_RELATED)
        .prefetch_related(Prefetch("events", AppointmentEvent.objects.select_related("by")))
        .order_by("-starts_at")
    )


def appointment_page(appointment):
    """History rows and messages (with their outbox state) of one appointment."""
    events = appointment.events.select_related("by")
    messages = appointment.notifications.select_related("message").order_by("created_at", "pk")
    return list(events), list(messages)


@dataclass
class Column:
    kind: str  # "room" or "practitioner"
    obj: object
    cells: list = field(default_factory=list)

    @property
    def label(self):
        return self.obj.name if self.kind == "room" else self.obj.full_name


@dataclass
class Cell:
    starts_at: datetime
    column: Column
    appointment: Appointment | None = None
    first: bool = False  # the row where the appointment begins
    working: bool = True
    past: bool = False

    @property
    def query(self) -> str:
        """The booking panel's parameters for this free cell."""
        key = "room" if self.column.kind == "room" else "practitioner"
        return urlencode({"start": self.starts_at.isoformat(), key: self.column.obj.pk})


def day_board(site, day: date):
    """The day view of a site: time rows, one column per room/chair and per practitioner.

    A fixed number of queries whatever the number of appointments.
    """
    step = timedelta(minutes=settings.SCHEDULING_SLOT_STEP_MINUTES)
    hours = OpeningHours.objects.filter(site=site, weekday=day.isoweekday()).first()
    start, end = day_bounds(day)
    appointments = list(
        Appointment.objects.at(site)
        .blocking()
        .filter(starts_at__lt=end, ends_at__gt=start)
        .select_related(*_RELATED)
        .order_by("starts_at")
    )
    if hours is None:
        return {"times": [], "columns": [], "appointments": appointments, "closed": True}
    opens, closes = window_start(day, hours.opens), window_end(day, hours.closes)
    times = []
    moment = opens
    while moment < closes:
        times.append(moment)
        moment += step
    rooms = list(Room.objects.filter(site=site, is_active=True).order_by("kind", "name"))
    spans = {}
    for row in WorkingHours.objects.filter(site=site, weekday=day.isoweekday()):
        spans.setdefault(row.practitioner_id, []).append(
            (window_start(day, row.starts), window_end(day, row.ends))
        )
    absent = set(Absence.objects.overlapping(day, day).values_list("practitioner_id", flat=True))
    now = timezone.now()
    people = list(
        User.objects.filter(pk__in=spans, is_active=True, groups__name__in=PRACTITIONER_ROLES)
        .distinct()
        .order_by("full_name")
    )
    columns = [Column("room", room) for room in rooms] + [
        Column("practitioner", person) for person in people
    ]
    for column in columns:
        mine = [
            a
            for a in appointments
            if (
                a.room_id == column.obj.pk
                if column.kind == "room"
                else a.practitioner_id == column.obj.pk
            )
        ]
        for moment in times:
            cell = Cell(moment, column, past=moment < now)
            for appointment in mine:
                if appointment.starts_at < moment + step and appointment.ends_at > moment:
                    cell.appointment = appointment
                    cell.first = appointment.starts_at >= moment
                    break
            if column.kind == "practitioner":
                cell.working = column.obj.pk not in absent and any(
                    s <= moment and moment + step <= e for s, e in spans[column.obj.pk]
                )
            column.cells.append(cell)
    rows = [(moment, [column.cells[i] for column in columns]) for i, moment in enumerate(times)]
    return {
        "times": times,
        "columns": columns,
        "rows": rows,
        "appointments": appointments,
        "closed": False,
    }


def week_of(practitioner, monday: date, *, site_ids):
    """A practitioner's appointments at the given sites for the seven days from `monday`."""
    start, _ = day_bounds(monday)
    _, end = day_bounds(monday + timedelta(days=6))
    appointments = list(
        Appointment.objects.filter(practitioner=practitioner, site_id__in=site_ids)
        .blocking()
        .between(start, end)
        .select_related(*_RELATED)
        .order_by("starts_at")
    )
    days = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        days.append((day, [a for a in appointments if local(a.starts_at).date() == day]))
    return days


def waitlist_for(user, *, statuses):
    return (
        WaitlistEntry.objects.at_sites(user.site_ids)
        .filter(status__in=statuses)
        .select_related("patient", "site", "visit_type", "practitioner", "offer")
        .in_queue_order()
    )


def waitlist_history(entry):
    return list(WaitlistEvent.objects.filter(entry=entry).select_related("by"))


def waiting_count(user) -> int:
    """For the menu: entries with an offer on hold at the user's sites."""
    return (
        WaitlistEntry.objects.at_sites(user.site_ids)
        .filter(status=WaitlistEntry.Status.OFFERED)
        .count()
    )


def feed_appointments(practitioner, *, days_back=14, days_ahead=90):
    now = timezone.now()
    return (
        Appointment.objects.filter(practitioner=practitioner)
        .active()
        .between(now - timedelta(days=days_back), now + timedelta(days=days_ahead))
        .select_related("patient", "site", "room")
        .order_by("starts_at")
    )


def monday_of(day: date) -> date:
    return day - timedelta(days=day.isoweekday() - 1)
