"""The booking rules, checked against the database for one proposed visit.

`check_visit` is what both a single booking and every occurrence of a series go through; it
returns nothing or raises `BookingRefused` with a message for the receptionist.
"""

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.accounts.roles import Role
from clinic.core.errors import Refused
from clinic.locations.models import Closure, OpeningHours
from clinic.scheduling.clock import local, window_end, window_start
from clinic.scheduling.models import Absence, Appointment, VisitType, WorkingHours


class BookingRefused(Refused):
    """Nothing was booked; the message says why."""

    code = "schedule.refused"


class SlotTaken(BookingRefused):
    """Someone or something needed is already booked at that time."""


def blocked_interval(visit_type: VisitType, starts_at: datetime):
    ends_at = starts_at + timedelta(minutes=visit_type.duration_minutes)
    return (
        ends_at,
        starts_at - timedelta(minutes=visit_type.buffer_before_minutes),
        ends_at + timedelta(minutes=visit_type.buffer_after_minutes),
    )


def _within(spans, day, start, end) -> bool:
    return any(
        window_start(day, opens) <= start and end <= window_end(day, closes)
        for opens, closes in spans
    )


def check_resources(visit_type, site, practitioner, room) -> None:
    """Who and what a visit type needs, independent of time."""
    if not visit_type.is_active:
        raise BookingRefused(_("This visit type is no longer offered."))
    if not site.is_active:
        raise BookingRefused(_("This site is not taking bookings."))
    role_names = set(visit_type.practitioner_roles.values_list("name", flat=True))
    if not practitioner.is_active or not (practitioner.role_names & role_names):
        raise BookingRefused(
            _("%(name)s cannot take this kind of visit.") % {"name": practitioner.full_name}
        )
    if site.pk not in practitioner.site_ids:
        raise BookingRefused(
            _("%(name)s does not work at %(site)s.")
            % {"name": practitioner.full_name, "site": site.name}
        )
    check_room(visit_type, site, room)


def check_room(visit_type, site, room) -> None:
    """The room or chair suits the visit type and is in use at the visit's site."""
    if visit_type.room_kind:
        if room is None:
            raise BookingRefused(
                _("This visit needs a %(kind)s.")
                % {"kind": visit_type.get_room_kind_display().lower()}
            )
        if room.site_id != site.pk or room.kind != visit_type.room_kind or not room.is_active:
            raise BookingRefused(_("%(room)s cannot be used for this visit.") % {"room": room.name})
    elif room is not None and room.site_id != site.pk:
        raise BookingRefused(_("%(room)s is at another site.") % {"room": room.name})


def check_hours(visit_type, site, starts_at, practitioner, *, now=None) -> None:
    """Opening hours, closures, the practitioner's week and absences, a physician on site."""
    now = now or timezone.now()
    if starts_at <= now:
        raise BookingRefused(_("That time has already passed."))
    ends_at, blocked_from, blocked_until = blocked_interval(visit_type, starts_at)
    day = local(blocked_from).date()
    if local(blocked_until - timedelta(microseconds=1)).date() != day:
        raise BookingRefused(_("A visit cannot run past midnight."))
    if Closure.objects.filter(site=site).covering(day).exists():
        raise BookingRefused(
            _("%(site)s is closed on %(day)s.")
            % {"site": site.name, "day": day.strftime("%d.%m.%Y")}
        )
    opening = OpeningHours.objects.filter(site=site, weekday=day.isoweekday()).values_list(
        "opens", "closes"
    )
    if not _within(opening, day, blocked_from, blocked_until):
        raise BookingRefused(_("That time is outside the site's opening hours."))
    if Absence.objects.filter(practitioner=practitioner).overlapping(day, day).exists():
        raise BookingRefused(
            _("%(name)s is absent on %(day)s.")
            % {"name": practitioner.full_name, "day": day.strftime("%d.%m.%Y")}
        )
    spans = WorkingHours.objects.filter(
        practitioner=practitioner, site=site, weekday=day.isoweekday()
    ).values_list("starts", "ends")
    if not _within(spans, day, blocked_from, blocked_until):
        raise BookingRefused(
            _("%(name)s does not work at that time.") % {"name": practitioner.full_name}
        )
    if visit_type.needs_physician_on_site:
        absent = Absence.objects.overlapping(day, day).values("practitioner_id")
        physicians = (
            WorkingHours.objects.filter(
                site=site,
                weekday=day.isoweekday(),
                practitioner__is_active=True,
                practitioner__groups__name=Role.PHYSICIAN,
            )
            .exclude(practitioner_id__in=absent)
            .values_list("starts", "ends")
        )
        if not _within(physicians, day, starts_at, ends_at):
            raise BookingRefused(_("No physician is on site for the whole visit at that time."))


def check_conflicts(
    *, patient, practitioner, room, starts_at, ends_at, blocked_from, blocked_until, exclude=()
) -> None:
    """Overlaps with any appointment that occupies the practitioner, the room or the patient.

    On SQLite this is the rule itself (inside the IMMEDIATE transaction no other writer can
    slip in between this check and the insert); on PostgreSQL the exclusion constraints
    enforce the same rule and this check only gives the friendlier message first.
    """
    taken = Appointment.objects.blocking().exclude(pk__in=[a for a in exclude if a])
    if taken.filter(
        practitioner=practitioner, blocked_from__lt=blocked_until, blocked_until__gt=blocked_from
    ).exists():
        raise SlotTaken(
            _("%(name)s already has a visit at that time.") % {"name": practitioner.full_name}
        )
    check_room_free(room, blocked_from, blocked_until, exclude=exclude)
    # A time held online has no patient yet (online.py): there is nobody to compare.
    if patient is None:
        return
    if taken.filter(patient=patient, starts_at__lt=ends_at, ends_at__gt=starts_at).exists():
        raise SlotTaken(_("The patient already has a visit at that time."))


def check_room_free(room, blocked_from, blocked_until, *, exclude=()) -> None:
    """No other appointment occupies the room or chair in [blocked_from, blocked_until)."""
    if room is None:
        return
    taken = Appointment.objects.blocking().exclude(pk__in=[a for a in exclude if a])
    if taken.filter(
        room=room, blocked_from__lt=blocked_until, blocked_until__gt=blocked_from
    ).exists():
        raise SlotTaken(_("%(room)s is already booked at that time.") % {"room": room.name})


def check_visit(
    *, patient, visit_type, site, starts_at, practitioner, room, exclude=(), now=None
) -> None:
    """Every rule for one proposed visit; raises BookingRefused or SlotTaken."""
    check_resources(visit_type, site, practitioner, room)
    check_hours(visit_type, site, starts_at, practitioner, now=now)
    ends_at, blocked_from, blocked_until = blocked_interval(visit_type, starts_at)
    check_conflicts(
        patient=patient,
        practitioner=practitioner,
        room=room,
        starts_at=starts_at,
        ends_at=ends_at,
        blocked_from=blocked_from,
        blocked_until=blocked_until,
        exclude=exclude,
    )
