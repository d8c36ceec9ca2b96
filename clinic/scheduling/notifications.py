"""Messages to patients about their appointments, through the outbox.

Bodies carry the date, time, site address and phone and nothing clinical: never the visit
type, which could reveal treatment ("visit" only), and never the practitioner. A visit on an
infusion chair adds how to prepare (fasting, an escort home, no driving, what to bring:
treatment/instructions.py) to its confirmation and change of time, without naming the
treatment: the patient cannot prepare otherwise. Every
message is tied to the start time it announced (`Notification.for_starts_at`), so a reminder
for a time that no longer holds is dropped instead of sent.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clinic.core.models import OutboxMessage
from clinic.core.outbox import cancel_message, enqueue_message
from clinic.core.public_url import public_url
from clinic.scheduling import hooks
from clinic.scheduling.clock import local
from clinic.scheduling.models import Appointment, Notification
from clinic.treatment.instructions import infusion_instructions, is_infusion


def _when(appointment, starts_at=None) -> dict:
    moment = local(starts_at or appointment.starts_at)
    site = appointment.site
    return {
        "date": formats.date_format(moment, "j E Y"),
        "time": moment.strftime("%H:%M"),
        "address": site.full_address or site.name,
        "phone": str(site.phone),
    }


def _texts(kind: str, appointment, extra: dict) -> tuple[str, str]:
    facts = _when(appointment) | extra
    if kind == Notification.Kind.CONFIRMATION:
        subject = _("Your visit is booked")
        body = _(
            "Your visit to the centre is booked for %(date)s at %(time)s. "
            "Address: %(address)s. Phone: %(phone)s."
        )
    elif kind == Notification.Kind.REMINDER:
        subject = _("Reminder of your visit")
        body = _(
            "Reminder: your visit to the centre is on %(date)s at %(time)s. "
            "Address: %(address)s. To change it, call %(phone)s."
        )
    elif kind == Notification.Kind.CHANGE:
        subject = _("Your visit has moved")
        body = _(
            "Your visit has moved to %(date)s at %(time)s (it was %(previous)s). "
            "Address: %(address)s. Phone: %(phone)s."
        )
    elif kind == Notification.Kind.CANCELLATION:
        subject = _("Your visit is cancelled")
        body = _(
            "Your visit on %(date)s at %(time)s is cancelled. To book another time, call %(phone)s."
        )
    else:
        subject = _("A place has become free")
        body = _(
            "A place has become free on %(date)s at %(time)s. It is kept for you until "
            "%(until)s: call %(phone)s to take it."
        )
    body = body % facts
    if kind in (Notification.Kind.CONFIRMATION, Notification.Kind.CHANGE):
        body += _preparation(appointment)
    if kind in LINKED_KINDS:
        body += _link(appointment)
    return subject, body


# Messages about a visit that still stands carry a link to the patient's own page of it.
LINKED_KINDS = (
    Notification.Kind.CONFIRMATION,
    Notification.Kind.REMINDER,
    Notification.Kind.CHANGE,
)


def _link(appointment) -> str:
    """The patient's page of the visit, absolute on the public base URL (the worker that sends
    the reminder has no request to take a host from)."""
    path = hooks.visit_path(appointment)
    if not path:
        return ""
    return "\n" + _("Your visit: %(link)s") % {"link": public_url(path)}


def _preparation(appointment) -> str:
    """How to prepare for an infusion, after the facts of the visit (in the active language)."""
    if not is_infusion(appointment.visit_type):
        return ""
    lines = infusion_instructions(appointment.site)
    return "\n" + _("How to prepare:") + " " + " ".join(lines)


def _queue(kind: str, appointment: Appointment, *, extra=None, dedupe: str) -> Notification:
    """Write a message for now (confirmation, change, cancellation, offer)."""
    notification = Notification(
        appointment=appointment, kind=kind, for_starts_at=appointment.starts_at
    )
    address = appointment.patient.message_address()
    if address is None:
        notification.state = Notification.State.DROPPED
        notification.drop_reason = "no-channel"
        notification.save()
        return notification
    channel, recipient = address
    with translation.override(appointment.patient.preferred_language):
        subject, body = _texts(kind, appointment, extra or {})
    notification.message = enqueue_message(
        channel=channel,
        recipient=recipient,
        subject=subject if channel == OutboxMessage.Channel.EMAIL else "",
        body=body,
        site=appointment.site,
        dedupe_key=dedupe,
    )
    notification.state = Notification.State.QUEUED
    notification.save()
    return notification


def _schedule_reminder(appointment: Appointment) -> Notification | None:
    send_after = appointment.starts_at - timedelta(hours=settings.REMINDER_HOURS_BEFORE)
    if send_after <= timezone.now():
        return None  # booked at short notice: the confirmation is the reminder
    return Notification.objects.create(
        appointment=appointment,
        kind=Notification.Kind.REMINDER,
        for_starts_at=appointment.starts_at,
        send_after=send_after,
    )


def withdraw_reminders(appointment: Appointment, *, reason: str) -> None:
    """The visit is cancelled or moved: its reminders must never go out."""
    pending = Notification.objects.select_related("message").filter(
        appointment=appointment,
        kind=Notification.Kind.REMINDER,
        state__in=[Notification.State.SCHEDULED, Notification.State.QUEUED],
    )
    for notification in pending:
        if notification.state == Notification.State.QUEUED and not cancel_message(
            notification.message
        ):
            continue  # already sent, failed, or being sent this instant: its record stands
        notification.state = Notification.State.DROPPED
        notification.drop_reason = reason
        notification.save(update_fields=["state", "drop_reason"])


def booked(appointment: Appointment) -> None:
    _queue(
        Notification.Kind.CONFIRMATION,
        appointment,
        dedupe=f"appt-confirm:{appointment.public_id}:{appointment.starts_at.isoformat()}",
    )
    _schedule_reminder(appointment)


def series_booked(appointments: list[Appointment]) -> None:
    """One confirmation for a whole course (listing the dates), a reminder before each."""
    first = appointments[0]
    dates = ", ".join(f"{_when(a)['date']} {_when(a)['time']}" for a in appointments)
    notification = Notification(
        appointment=first, kind=Notification.Kind.CONFIRMATION, for_starts_at=first.starts_at
    )
    address = first.patient.message_address()
    if address is None:
        notification.state, notification.drop_reason = Notification.State.DROPPED, "no-channel"
        notification.save()
    else:
        channel, recipient = address
        with translation.override(first.patient.preferred_language):
            body = _(
                "Your visits to the centre are booked: %(dates)s. "
                "Address: %(address)s. Phone: %(phone)s."
            ) % ({"dates": dates} | _when(first))
            body += _preparation(first)
            body += _link(first)
            subject = _("Your visits are booked")
        notification.message = enqueue_message(
            channel=channel,
            recipient=recipient,
            subject=subject if channel == OutboxMessage.Channel.EMAIL else "",
            body=body,
            site=first.site,
            dedupe_key=f"series-confirm:{first.series.public_id}",
        )
        notification.state = Notification.State.QUEUED
        notification.save()
    for appointment in appointments:
        _schedule_reminder(appointment)


def moved(appointment: Appointment, previous_starts_at) -> None:
    withdraw_reminders(appointment, reason="moved")
    previous = _when(appointment, previous_starts_at)
    _queue(
        Notification.Kind.CHANGE,
        appointment,
        extra={"previous": f"{previous['date']} {previous['time']}"},
        dedupe=f"appt-moved:{appointment.public_id}:{appointment.starts_at.isoformat()}",
    )
    _schedule_reminder(appointment)


def cancelled(appointment: Appointment) -> None:
    withdraw_reminders(appointment, reason="cancelled")
    _queue(
        Notification.Kind.CANCELLATION,
        appointment,
        dedupe=f"appt-cancelled:{appointment.public_id}",
    )


def offered(appointment: Appointment) -> None:
    until = local(appointment.hold_until)
    _queue(
        Notification.Kind.OFFER,
        appointment,
        extra={"until": until.strftime("%H:%M %d.%m")},
        dedupe=f"appt-offer:{appointment.public_id}",
    )


def send_due_reminders(now=None) -> dict[str, int]:
    """Hand due reminders to the outbox, or drop those whose visit no longer stands as announced.

    Each reminder is settled in its own short transaction with its row locked, so two sweeps
    running at once cannot both queue it (and the outbox's dedupe key would catch it anyway).
    """
    now = now or timezone.now()
    counts = {"queued": 0, "dropped": 0}
    due = Notification.objects.filter(
        kind=Notification.Kind.REMINDER,
        state=Notification.State.SCHEDULED,
        send_after__lte=now,
    ).values_list("pk", flat=True)
    for pk in list(due[:500]):
        with transaction.atomic():
            notification = (
                # Lock order: docs/architecture.md, "Locks and their order".
                Notification.objects.select_for_update(of=("self",), no_key=True)
                .select_related("appointment__patient", "appointment__site")
                .filter(pk=pk, state=Notification.State.SCHEDULED)
                .first()
            )
            if notification is None:
                continue
            appointment = notification.appointment
            if appointment.status != Appointment.Status.BOOKED:
                reason = "not-booked"
            elif appointment.starts_at != notification.for_starts_at:
                reason = "moved"
            elif appointment.starts_at <= now:
                reason = "too-late"
            else:
                reason = ""
            address = appointment.patient.message_address()
            if not reason and address is None:
                reason = "no-channel"
            if reason:
                notification.state = Notification.State.DROPPED
                notification.drop_reason = reason
                notification.save(update_fields=["state", "drop_reason"])
                counts["dropped"] += 1
                continue
            channel, recipient = address
            with translation.override(appointment.patient.preferred_language):
                subject, body = _texts(Notification.Kind.REMINDER, appointment, {})
            notification.message = enqueue_message(
                channel=channel,
                recipient=recipient,
                subject=subject if channel == OutboxMessage.Channel.EMAIL else "",
                body=body,
                site=appointment.site,
                dedupe_key=f"reminder:{notification.pk}",
            )
            notification.state = Notification.State.QUEUED
            notification.save(update_fields=["message", "state"])
            counts["queued"] += 1
    return counts


DROP_REASONS = {
    "no-channel": gettext_lazy("The patient has no usable message channel."),
    "moved": gettext_lazy("The visit moved."),
    "cancelled": gettext_lazy("The visit was cancelled."),
    "not-booked": gettext_lazy("The visit no longer stands."),
    "too-late": gettext_lazy("Due after the visit began."),
}
