"""Reception's worklists on the staff start page (clinic.core.worklists)."""

from datetime import timedelta

from django.db.models import Exists, Max, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _

from clinic.core.models import OutboxMessage
from clinic.core.worklists import CAP, WorkItem
from clinic.scheduling.clock import day_bounds
from clinic.scheduling.models import Appointment, AppointmentEvent, Notification, OnlineBooking

# An offer whose hold ends within this is about to pass to the next patient in line.
OFFER_ENDING_SOON = timedelta(hours=2)


def _visit_url(appointment) -> str:
    return reverse("scheduling:appointment", kwargs={"appointment_id": appointment.public_id})


def arrivals(user, site) -> list[WorkItem]:
    """Today's visits at the site not yet checked in, by time; those already late first."""
    now = timezone.now()
    start, end = day_bounds(timezone.localdate(now))
    visits = (
        Appointment.objects.filter(
            site=site, status=Appointment.Status.BOOKED, starts_at__gte=start, starts_at__lt=end
        )
        .select_related("patient", "visit_type")
        .order_by("starts_at", "pk")[:CAP]
    )
    return [
        WorkItem(
            text=f"{time_format(timezone.localtime(visit.starts_at), 'H:i')} "
            f"{visit.patient.full_name}",
            url=_visit_url(visit),
            detail=str(visit.visit_type),
            urgent=visit.starts_at < now,
        )
        for visit in visits
    ]


def checked_in(user, site) -> list[WorkItem]:
    """Patients checked in and waiting for their visit to be seen and closed, by the time they
    came; one checked in on an earlier day and never closed is marked and says since when."""
    now = timezone.now()
    today_starts, today_ends = day_bounds(timezone.localdate(now))
    visits = (
        Appointment.objects.filter(
            site=site, status=Appointment.Status.CHECKED_IN, starts_at__lt=today_ends
        )
        .annotate(
            arrived_at=Max("events__at", filter=Q(events__kind=AppointmentEvent.Kind.CHECKED_IN))
        )
        .select_related("patient", "visit_type")
        .order_by("starts_at", "pk")[:CAP]
    )
    items = []
    for visit in visits:
        arrived = timezone.localtime(visit.arrived_at or visit.starts_at)
        earlier = visit.starts_at < today_starts
        items.append(
            WorkItem(
                text=f"{time_format(timezone.localtime(visit.starts_at), 'H:i')} "
                f"{visit.patient.full_name}",
                url=_visit_url(visit),
                detail=(
                    _("checked in on %(day)s and not closed") % {"day": date_format(arrived, "d.m")}
                    if earlier
                    else _("%(visit)s, waiting since %(time)s")
                    % {"visit": visit.visit_type, "time": time_format(arrived, "H:i")}
                ),
                urgent=earlier,
            )
        )
    return items


def unconfirmed(user, site) -> list[WorkItem]:
    """Tomorrow's visits that no delivered message announced at their current time.

    Patients do not confirm a visit themselves (there is no confirmation step to wait for), so
    "unconfirmed" means: neither the booking confirmation, the change of time nor the reminder
    for the time now booked has been delivered. Reception calls these patients the day before.
    """
    start, end = day_bounds(timezone.localdate() + timedelta(days=1))
    announced = Notification.objects.filter(
        appointment=OuterRef("pk"),
        for_starts_at=OuterRef("starts_at"),
        kind__in=[
            Notification.Kind.CONFIRMATION,
            Notification.Kind.CHANGE,
            Notification.Kind.REMINDER,
        ],
        message__status=OutboxMessage.Status.SENT,
    )
    visits = (
        Appointment.objects.filter(
            site=site, status=Appointment.Status.BOOKED, starts_at__gte=start, starts_at__lt=end
        )
        .exclude(Exists(announced))
        .select_related("patient", "visit_type")
        .order_by("starts_at", "pk")[:CAP]
    )
    return [
        WorkItem(
            text=f"{time_format(timezone.localtime(visit.starts_at), 'H:i')} "
            f"{visit.patient.full_name}",
            url=_visit_url(visit),
            detail=_("%(visit)s: no message about this time reached the patient; call to confirm")
            % {"visit": visit.visit_type},
        )
        for visit in visits
    ]


def offers_ending(user, site) -> list[WorkItem]:
    """Waitlist offers on hold whose time to answer ends soon."""
    now = timezone.now()
    offers = (
        Appointment.objects.filter(
            site=site,
            status=Appointment.Status.HELD,
            # Times held on the public site are the visitor's to confirm, not reception's.
            patient__isnull=False,
            hold_until__gt=now,
            hold_until__lte=now + OFFER_ENDING_SOON,
        )
        .select_related("patient")
        .order_by("hold_until", "pk")[:CAP]
    )
    return [
        WorkItem(
            text=offer.patient.full_name,
            url=_visit_url(offer),
            detail=_("the offer ends at %(time)s")
            % {"time": time_format(timezone.localtime(offer.hold_until), "H:i")},
            urgent=True,
        )
        for offer in offers
    ]


def failed_reminders(user, site) -> list[WorkItem]:
    """Messages about visits still ahead that did not reach the patient (undeliverable, or no
    channel to send them by): each is a phone call to make."""
    failed = (
        Notification.objects.filter(
            appointment__site=site,
            appointment__status=Appointment.Status.BOOKED,
            appointment__starts_at__gte=timezone.now(),
        )
        .filter(
            Q(message__status=OutboxMessage.Status.DEAD)
            | Q(state=Notification.State.DROPPED, drop_reason="no-channel")
        )
        .select_related("appointment__patient")
        .order_by("appointment__starts_at", "pk")[:CAP]
    )
    return [
        WorkItem(
            text=notification.appointment.patient.full_name,
            url=_visit_url(notification.appointment),
            detail=_("%(kind)s not delivered: call the patient")
            % {"kind": notification.get_kind_display()},
            urgent=True,
        )
        for notification in failed
    ]


def online_bookings(user, site) -> list[WorkItem]:
    """Visits booked on the public site by new people: call each back to complete their
    registration, earliest visit first."""
    bookings = (
        OnlineBooking.objects.at(site)
        .to_call_back()
        .select_related("appointment__visit_type", "patient")
        .order_by("appointment__starts_at", "pk")[:CAP]
    )
    soon = timezone.now() + timedelta(days=1)
    return [
        WorkItem(
            text=f"{booking.patient.full_name} · {booking.phone or booking.email}",
            url=_visit_url(booking.appointment),
            detail=_("%(visit)s on %(when)s: call back to complete the registration")
            % {
                "visit": booking.appointment.visit_type,
                "when": date_format(timezone.localtime(booking.appointment.starts_at), "d.m H:i"),
            },
            urgent=booking.appointment.starts_at < soon,
        )
        for booking in bookings
    ]
