"""How views obtain scheduling objects: one function per object type.

Staff see the schedule of the sites they work at. Another site's appointment or waitlist entry
answers 404, as if absent, and the attempt is audited.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from clinic.accounts.models import User
from clinic.accounts.roles import Role
from clinic.core.audit import audit
from clinic.core.models import AuditEvent
from clinic.patients.access import get_patient_for
from clinic.patients.models import Patient
from clinic.scheduling.models import (
    Absence,
    Appointment,
    CalendarFeed,
    OnlineBooking,
    VisitType,
    WaitlistEntry,
)

# The session key listing the online bookings this browser started (public_views.py).
ONLINE_BOOKINGS_KEY = "online_bookings"

PRACTITIONER_ROLES = (Role.PHYSICIAN, Role.NURSE, Role.PSYCHOTHERAPIST)


def _denied(user, action, patient, obj):
    audit(
        user,
        action,
        patient,
        obj=obj,
        outcome=AuditEvent.Outcome.DENIED,
        reason="object of another site",
    )
    raise Http404


def get_appointment_for(user, public_id) -> Appointment:
    """An appointment at one of the user's sites, for a clinical role."""
    if not user.is_clinical:
        raise PermissionDenied
    appointment = (
        Appointment.objects.select_related(
            "patient", "site", "visit_type", "practitioner", "room", "series"
        )
        .filter(public_id=public_id)
        .first()
    )
    # A time held on the public site has nobody's visit to show yet.
    if appointment is None or appointment.patient_id is None:
        raise Http404
    if appointment.site_id not in user.site_ids:
        _denied(user, "appointment.viewed", appointment.patient, appointment)
    return appointment


def get_waitlist_entry_for(user, public_id) -> WaitlistEntry:
    if not user.is_clinical:
        raise PermissionDenied
    entry = (
        WaitlistEntry.objects.select_related(
            "patient", "site", "visit_type", "practitioner", "offer"
        )
        .filter(public_id=public_id)
        .first()
    )
    if entry is None:
        raise Http404
    if entry.site_id not in user.site_ids:
        _denied(user, "waitlist.viewed", entry.patient, entry)
    return entry


def get_bookable_patient_for(user, public_id) -> Patient:
    """A patient the user may book for: the patients' own funnel decides (home site)."""
    return get_patient_for(user, public_id)


def find_patients_for(user, query: str, limit: int = 20) -> list[Patient]:
    """Patients of the user's sites found by the record's own search (names in any case and
    script, phone, date of birth, record number)."""
    query = query.strip()
    if not query or len(query) > 100 or "\x00" in query:
        return []
    return list(
        Patient.objects.visible_to(user).matching(query).select_related("home_site")[:limit]
    )


def get_practitioner_for(user, public_id) -> User:
    """A practitioner working at one of the (administrator's or colleague's) own sites."""
    person = (
        User.objects.filter(
            public_id=public_id, groups__name__in=PRACTITIONER_ROLES, sites__in=user.site_ids
        )
        .distinct()
        .first()
    )
    if person is None:
        raise Http404
    return person


def get_absence_for(user, practitioner, public_id) -> Absence:
    absence = Absence.objects.filter(practitioner=practitioner, public_id=public_id).first()
    if absence is None:
        raise Http404
    return absence


def get_visit_type_for(user, code) -> VisitType:
    visit_type = VisitType.objects.filter(code=code).first()
    if visit_type is None:
        raise Http404
    return visit_type


def get_feed_by_token(token: str) -> CalendarFeed:
    """The feed a secret address points to; anything else answers 404."""
    if not token or len(token) > 64:
        raise Http404
    feed = CalendarFeed.objects.select_related("practitioner").filter(token=token).first()
    if feed is None or not feed.practitioner.is_active:
        raise Http404
    return feed


def get_online_booking_for(request, public_id) -> OnlineBooking:
    """An online booking started in this browser's session; any other answers 404.

    The address alone opens nothing: a link passed on or guessed finds no session.
    """
    if str(public_id) not in request.session.get(ONLINE_BOOKINGS_KEY, []):
        raise Http404
    booking = (
        OnlineBooking.objects.select_related(
            "appointment__site", "appointment__visit_type", "patient"
        )
        .filter(public_id=public_id)
        .first()
    )
    if booking is None:
        raise Http404
    return booking


def open_online_bookings_for(request) -> list[OnlineBooking]:
    """The bookings this session started and has not confirmed (their holds may be live)."""
    started = request.session.get(ONLINE_BOOKINGS_KEY, [])
    return list(
        OnlineBooking.objects.filter(public_id__in=started, confirmed_at__isnull=True)
        .select_related("appointment")
        .order_by("pk")
    )


def remember_online_booking(request, booking: OnlineBooking) -> None:
    """Let this session open the booking it has just started (the last few only)."""
    started = request.session.get(ONLINE_BOOKINGS_KEY, [])
    request.session[ONLINE_BOOKINGS_KEY] = [*started, str(booking.public_id)][-5:]
