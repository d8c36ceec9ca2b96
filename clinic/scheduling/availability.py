"""Slot search: which times a visit type can really be booked.

Each local day is cut into five-minute cells counted from local midnight (in UTC, so a DST day
simply has 276 or 300 cells instead of 288). A resource's day is a bit mask over those cells:
free where it works and is not busy. "The visit fits at cell i" is then a run of set bits,
found with a handful of shifts, and intersecting practitioner, room, patient and site is a
bitwise AND. The whole search loads its data in a fixed number of queries.

The search only proposes; `services.book_appointment` checks the exact times again inside
its transaction, and the database's exclusion constraints (PostgreSQL) have the last word.
"""

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from clinic.accounts.models import User
from clinic.accounts.roles import Role
from clinic.locations.models import Closure, OpeningHours, Room, Site
from clinic.scheduling.clock import (
    day_bounds,
    days,
    is_fold,
    local,
    window_end,
    window_start,
)
from clinic.scheduling.models import Absence, Appointment, VisitType, WorkingHours

CELL = timedelta(minutes=5)
CELL_SECONDS = 300


class Slot(NamedTuple):
    """A bookable time: who, where, when (a tuple: searches build thousands of them)."""

    site: Site
    starts_at: datetime
    ends_at: datetime
    practitioner: User
    room: Room | None
    # Every room or chair of the needed kind free at that time, `room` (the first) included.
    rooms: tuple = ()

    @property
    def local_start(self) -> datetime:
        return local(self.starts_at)

    @property
    def is_fold_time(self) -> bool:
        """The wall time happens twice that night: show the UTC offset beside it."""
        moment = self.local_start
        return is_fold(moment.date(), moment.time().replace(tzinfo=None))

    @property
    def key(self) -> str:
        """What a form posts back to book this slot."""
        return self.key_for(self.room)

    def key_for(self, room) -> str:
        """The key of this time with another of its free rooms or chairs."""
        room_id = room.pk if room else ""
        return f"{self.site.pk}|{self.starts_at.isoformat()}|{self.practitioner.pk}|{room_id}"

    @property
    def room_choices(self) -> list[tuple[str, str]]:
        """(key, room name) for each free room or chair, to choose one when booking."""
        return [(self.key_for(room), room.name) for room in self.rooms]


def cells_up(seconds: float) -> int:
    return -int(-seconds // CELL_SECONDS)


def cells_down(seconds: float) -> int:
    return int(seconds // CELL_SECONDS)


def inner_mask(anchor: datetime, start: datetime, end: datetime, size: int) -> int:
    """Cells lying wholly inside [start, end)."""
    first = max(cells_up((start - anchor).total_seconds()), 0)
    last = min(cells_down((end - anchor).total_seconds()), size)
    return ((1 << (last - first)) - 1) << first if last > first else 0


def touched_mask(anchor: datetime, start: datetime, end: datetime, size: int) -> int:
    """Cells that [start, end) touches at all."""
    first = max(cells_down((start - anchor).total_seconds()), 0)
    last = min(cells_up((end - anchor).total_seconds()), size)
    return ((1 << (last - first)) - 1) << first if last > first else 0


def runs(mask: int, length: int) -> int:
    """Bits i such that bits i..i+length-1 of mask are all set."""
    covered = 1
    while covered < length:
        shift = min(covered, length - covered)
        mask &= mask >> shift
        covered += shift
    return mask


def grid_mask(size: int, step_cells: int) -> int:
    mask = 0
    for i in range(0, size, step_cells):
        mask |= 1 << i
    return mask


def slot_starts(day: date, opens, closes, *, duration_minutes: int, step_minutes: int):
    """The start instants of an empty resource's slots in one opening span (UTC, ascending).

    The property test runs this for every day 2025-2030: no duplicate, none in a DST gap.
    """
    anchor, next_midnight = day_bounds(day)
    size = int((next_midnight - anchor).total_seconds()) // CELL_SECONDS
    open_mask = inner_mask(anchor, window_start(day, opens), window_end(day, closes), size)
    fits = runs(open_mask, cells_up(duration_minutes * 60)) & grid_mask(size, step_minutes // 5)
    return [anchor + CELL * i for i in _bits(fits)]


def _order(item):
    return item[:3]


def _bits(mask: int):
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


class _Busy:
    """Busy intervals per (key, local day), so a day's mask reads only that day's intervals."""

    def __init__(self):
        self.intervals = defaultdict(list)

    def add(self, key, start, end):
        day = local(start).date()
        last = local(end).date()
        while day <= last:
            self.intervals[(key, day)].append((start, end))
            day += timedelta(days=1)

    def mask(self, key, day, anchor, day_end, size) -> int:
        mask = 0
        for start, end in self.intervals.get((key, day), ()):
            if start < day_end and end > anchor:
                mask |= touched_mask(anchor, start, end, size)
        return mask


def find_slots(
    visit_type: VisitType,
    *,
    sites,
    first_day: date,
    last_day: date,
    practitioner: User | None = None,
    room: Room | None = None,
    patient=None,
    exclude=None,
    now: datetime | None = None,
    limit: int | None = None,
) -> list[Slot]:
    """Free slots for a visit type at the given sites and days, earliest first.

    Respects site hours and closures, practitioners' weekly hours and absences, preparation
    and clearing-up time, every existing booking of the practitioner, the room or chair and
    the patient, and (for infusions) a physician on site. `exclude` is an appointment being
    moved, whose own time does not count as busy.
    """
    now = now or timezone.now()
    sites = list(sites)
    site_ids = [site.pk for site in sites]
    sites_by_id = {site.pk: site for site in sites}
    step_cells = max(settings.SCHEDULING_SLOT_STEP_MINUTES // 5, 1)
    range_start, _ = day_bounds(first_day)
    _, range_end = day_bounds(last_day)

    role_ids = list(visit_type.practitioner_roles.values_list("pk", flat=True))
    people = User.objects.filter(is_active=True, groups__in=role_ids, sites__in=site_ids).distinct()
    if practitioner is not None:
        people = people.filter(pk=practitioner.pk)
    people = {person.pk: person for person in people}

    physicians = set()
    if visit_type.needs_physician_on_site:
        physicians = set(
            User.objects.filter(
                is_active=True, groups__name=Role.PHYSICIAN, sites__in=site_ids
            ).values_list("pk", flat=True)
        )

    hours = defaultdict(list)  # (person, site, weekday) -> [(starts, ends)]
    for row in WorkingHours.objects.filter(
        practitioner_id__in=set(people) | physicians, site_id__in=site_ids
    ).values_list("practitioner_id", "site_id", "weekday", "starts", "ends"):
        hours[row[:3]].append(row[3:])

    absent = defaultdict(list)
    for person_id, starts_on, ends_on in (
        Absence.objects.overlapping(first_day, last_day)
        .filter(practitioner_id__in=set(people) | physicians)
        .values_list("practitioner_id", "starts_on", "ends_on")
    ):
        absent[person_id].append((starts_on, ends_on))

    opening = {
        (site_id, weekday): (opens, closes)
        for site_id, weekday, opens, closes in OpeningHours.objects.filter(
            site_id__in=site_ids
        ).values_list("site_id", "weekday", "opens", "closes")
    }
    closures = defaultdict(list)
    for site_id, starts_on, ends_on in Closure.objects.filter(
        site_id__in=site_ids, starts_on__lte=last_day, ends_on__gte=first_day
    ).values_list("site_id", "starts_on", "ends_on"):
        closures[site_id].append((starts_on, ends_on))

    rooms_by_site = defaultdict(list)
    if visit_type.room_kind:
        candidates = Room.objects.filter(
            site_id__in=site_ids, kind=visit_type.room_kind, is_active=True
        ).order_by("name")
        if room is not None:
            candidates = candidates.filter(pk=room.pk)
        for candidate in candidates:
            rooms_by_site[candidate.site_id].append(candidate)

    busy = _Busy()
    who = Q(practitioner_id__in=list(people))
    room_ids = [room.pk for rooms in rooms_by_site.values() for room in rooms]
    if room_ids:
        who |= Q(room_id__in=room_ids)
    taken = Appointment.objects.blocking(now).filter(
        blocked_from__lt=range_end, blocked_until__gt=range_start
    )
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    for person_id, room_id, blocked_from, blocked_until in taken.filter(who).values_list(
        "practitioner_id", "room_id", "blocked_from", "blocked_until"
    ):
        busy.add(("p", person_id), blocked_from, blocked_until)
        if room_id:
            busy.add(("r", room_id), blocked_from, blocked_until)
    patient_id = patient.pk if patient is not None else None
    if patient is not None:
        for starts_at, ends_at in taken.filter(patient=patient).values_list("starts_at", "ends_at"):
            busy.add(("pt", patient_id), starts_at, ends_at)

    before = cells_up(visit_type.buffer_before_minutes * 60)
    after = visit_type.duration_minutes + visit_type.buffer_after_minutes
    blocked = before + cells_up(after * 60)
    visit = cells_up(visit_type.duration_minutes * 60)
    duration = timedelta(minutes=visit_type.duration_minutes)
    grids = {}
    slots = []

    def is_off(periods, day):
        return any(first <= day <= last for first, last in periods)

    def spans_mask(spans, day, anchor, size):
        mask = 0
        for starts, ends in spans:
            mask |= inner_mask(anchor, window_start(day, starts), window_end(day, ends), size)
        return mask

    ordered_people = sorted(people.values(), key=lambda person: person.full_name)
    person_order = {person.pk: index for index, person in enumerate(ordered_people)}
    site_order = {site_id: index for index, site_id in enumerate(site_ids)}
    for day in days(first_day, last_day):
        found = []
        anchor, day_end = day_bounds(day)
        if day_end <= now:
            continue
        size = int((day_end - anchor).total_seconds()) // CELL_SECONDS
        full = (1 << size) - 1
        if size not in grids:
            grids[size] = grid_mask(size, step_cells)
        not_past = full & ~((1 << max(cells_up((now - anchor).total_seconds()), 0)) - 1)
        weekday = day.isoweekday()
        for site_id in site_ids:
            if is_off(closures[site_id], day) or (site_id, weekday) not in opening:
                continue
            opens, closes = opening[(site_id, weekday)]
            site_open = inner_mask(anchor, window_start(day, opens), window_end(day, closes), size)
            common = grids[size] & not_past
            if patient_id is not None:
                patient_free = full & ~busy.mask(("pt", patient_id), day, anchor, day_end, size)
                common &= runs(patient_free, visit)
            if visit_type.needs_physician_on_site:
                on_site = 0
                for person_id in physicians:
                    if not is_off(absent[person_id], day):
                        spans = hours.get((person_id, site_id, weekday), ())
                        on_site |= spans_mask(spans, day, anchor, size)
                common &= runs(on_site, visit)
            if not common:
                continue
            free_chairs = defaultdict(list)  # start cell -> the chairs (by name) free for it
            if visit_type.room_kind:
                any_room = 0
                for chair in rooms_by_site[site_id]:
                    free = site_open & ~busy.mask(("r", chair.pk), day, anchor, day_end, size)
                    fits = runs(free, blocked) << before
                    for i in _bits(fits & common):
                        free_chairs[i].append(chair)
                    any_room |= fits
                common &= any_room
            for person_id in people:
                spans = hours.get((person_id, site_id, weekday))
                if not spans or is_off(absent[person_id], day):
                    continue
                free = (
                    spans_mask(spans, day, anchor, size)
                    & site_open
                    & ~busy.mask(("p", person_id), day, anchor, day_end, size)
                )
                starts = (runs(free, blocked) << before) & common
                site_index, person_index = site_order[site_id], person_order[person_id]
                for i in _bits(starts):
                    found.append((i, site_index, person_index, tuple(free_chairs.get(i, ()))))
        # Earliest first, then by site and practitioner's name: sorting small integers per
        # day is much cheaper than sorting the finished slots (the first three are unique).
        found.sort(key=_order)
        instants = {}
        for i, site_index, person_index, chairs in found:
            starts_at = instants.get(i)
            if starts_at is None:
                starts_at = instants[i] = anchor + CELL * i
            slots.append(
                Slot(
                    sites_by_id[site_ids[site_index]],
                    starts_at,
                    starts_at + duration,
                    ordered_people[person_index],
                    chairs[0] if chairs else None,
                    chairs,
                )
            )
        if limit and len(slots) >= limit:
            break
    return slots[:limit] if limit else slots
