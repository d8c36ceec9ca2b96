"""Online booking of a first visit from the public site, for someone not yet registered.

The steps: choose a site, a visit type that may be booked online and a free time; the time
is held (an appointment `held`, with no patient yet) while the person gives the minimum
identity and consents; a one-time code goes to their phone or e-mail through the outbox;
the right code registers them as a patient of the site and turns the hold into a booking,
which lands in reception's worklist to call back and complete the registration.

Why a patient record at once rather than a pending registration: an appointment belongs to a
patient, and every rule that keeps a patient from being booked twice (the exclusion
constraint included) works on that record. The record is opened with what the person gave,
as reception would after a phone call; reception completes it when calling back.

Every write goes through the booking services' own pieces (`lock_resources`,
`check_visit`, `_save` with the exclusion constraints, `_release_expired_holds`), so a time
is never held or booked twice whoever asks. The visitor never learns whether a phone or an
e-mail is already known: nothing here looks a patient up.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clinic.accounts.models import User
from clinic.core.audit import Anonymous, audit
from clinic.core.models import AuditEvent, OutboxMessage
from clinic.core.outbox import enqueue_message
from clinic.inquiries.services import current_consent
from clinic.locations.models import Room, Site
from clinic.patients.models import Patient
from clinic.patients.services import next_record_number, register_patient
from clinic.scheduling import notifications
from clinic.scheduling.availability import Slot, find_slots
from clinic.scheduling.clock import local
from clinic.scheduling.models import (
    Appointment,
    AppointmentEvent,
    OnlineBooking,
    VisitType,
)
from clinic.scheduling.rules import BookingRefused, SlotTaken, check_visit
from clinic.scheduling.services import (
    _build,
    _event,
    _locked,
    _release_expired_holds,
    _release_offer,
    _save,
    lock_resources,
    on_contention,
)

# Who books on the public site: a visitor without an account.
ONLINE_BOOKING = Anonymous("online-booking")
CODE_DIGITS = 6


class OnlineBookingRefused(BookingRefused):
    """Nothing was held or booked; the message is for the visitor."""

    code = "schedule.online.refused"


class TooManyRequests(OnlineBookingRefused):
    """Too many holds or codes from one connection or for one phone or e-mail (answer 429)."""

    code = "schedule.online.rate_limited"


class HoldLost(OnlineBookingRefused):
    """The time chosen is no longer held for this visitor: they choose another."""

    code = "schedule.online.hold_lost"


def _keyed(purpose: str, value: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def sender_hash(ip: str | None) -> str:
    """A keyed hash of the visitor's address: enough to count, not enough to identify."""
    return _keyed("online-booking-sender", ip or "-")


def contact_hash(contact: str) -> str:
    return _keyed("online-booking-contact", contact.strip().lower())


def _code_hash(booking: OnlineBooking, code: str) -> str:
    return _keyed(f"online-booking-code:{booking.public_id}", code.strip())


# --- Reads ------------------------------------------------------------------------------


def online_visit_types():
    """Visit types the clinic lets people book on the public site."""
    return VisitType.objects.filter(is_active=True, booking=VisitType.Booking.ONLINE_REQUEST)


def booking_window(site, *, now=None) -> tuple:
    """The first and last day the public site offers (the site's `online_booking_days`)."""
    today = timezone.localdate(now or timezone.now())
    return today, today + timedelta(days=site.online_booking_days - 1)


def free_times(visit_type: VisitType, site, *, now=None) -> list[Slot]:
    """Free times at a site over its online window, one per start time (earliest first).

    Who sees the person is the clinic's choice: the first practitioner free then is taken.
    """
    first_day, last_day = booking_window(site, now=now)
    seen, times = set(), []
    for slot in find_slots(visit_type, sites=[site], first_day=first_day, last_day=last_day):
        if slot.starts_at not in seen:
            seen.add(slot.starts_at)
            times.append(slot)
    return times


def resolve_time(site_id: int, practitioner_id: int, room_id: int | None):
    """The site, practitioner and room a posted slot key names; refused if any is gone."""
    site = Site.objects.filter(pk=site_id, is_active=True).first()
    practitioner = User.objects.filter(pk=practitioner_id, is_active=True).first()
    room = Room.objects.filter(pk=room_id, site_id=site_id).first() if room_id else None
    if site is None or practitioner is None or (room_id and room is None):
        raise HoldLost(_("That time is no longer offered. Please choose another."))
    return site, practitioner, room


# --- Writes -----------------------------------------------------------------------------


def _count_since(field: str, value: str, since) -> int:
    return (
        OnlineBooking.objects.filter(**{field: value}, last_code_sent_at__gte=since).aggregate(
            n=Sum("codes_sent")
        )["n"]
        or 0
    )


@on_contention
@transaction.atomic
def hold_online_time(
    *, visit_type: VisitType, site, starts_at, practitioner: User, room, ip, language, actor
) -> OnlineBooking:
    """Hold a free time for a visitor while they give their details (no patient yet)."""
    now = timezone.now()
    sender = sender_hash(ip)
    recent = OnlineBooking.objects.filter(
        sender_hash=sender, created_at__gte=now - timedelta(hours=1)
    )
    if recent.count() >= settings.ONLINE_BOOKING_HOLDS_PER_IP_PER_HOUR:
        raise TooManyRequests(
            _("Too many bookings from your connection in the last hour. Please call us instead.")
        )
    if visit_type.booking != VisitType.Booking.ONLINE_REQUEST or not visit_type.is_active:
        raise OnlineBookingRefused(_("This kind of visit cannot be booked online."))
    first_day, last_day = booking_window(site, now=now)
    if not first_day <= local(starts_at).date() <= last_day:
        raise OnlineBookingRefused(_("That time cannot be booked online. Choose another."))
    system = User.objects.system_actor()
    lock_resources(practitioners=[practitioner], rooms=[room])
    _release_expired_holds(system)
    try:
        check_visit(
            patient=None,
            visit_type=visit_type,
            site=site,
            starts_at=starts_at,
            practitioner=practitioner,
            room=room,
        )
        held = _build(
            None,
            visit_type,
            site,
            starts_at,
            practitioner,
            room,
            system,
            status=Appointment.Status.HELD,
            hold_until=now + timedelta(minutes=settings.ONLINE_BOOKING_HOLD_MINUTES),
        )
        _save(held, force_insert=True)
    except SlotTaken:
        # The receptionist's message names the practitioner; the visitor needs none of it.
        raise HoldLost(_("Someone has just taken that time. Please choose another.")) from None
    _event(held, AppointmentEvent.Kind.HELD_ONLINE, system)
    booking = OnlineBooking.objects.create(
        appointment=held, sender_hash=sender, language=language[:2]
    )
    audit(actor, "appointment.online.held", obj=held, site=site)
    return booking


@transaction.atomic
def release_online_hold(booking: OnlineBooking, *, actor) -> None:
    """The visitor chose another time: the one held before is free again at once."""
    held, booking = _locked_booking(booking)
    if booking.confirmed_at is not None or held.status != Appointment.Status.HELD:
        return
    _release_offer(held, actor=User.objects.system_actor(), note="online: another time chosen")
    audit(actor, "appointment.online.released", obj=held, site=held.site)


def _locked_booking(booking: OnlineBooking) -> tuple[Appointment, OnlineBooking]:
    # Lock order: docs/architecture.md, "Locks and their order" (the appointment, then its
    # online booking: parent before child).
    held = _locked(booking.appointment)
    booking = (
        OnlineBooking.objects.select_for_update(of=("self",), no_key=True)
        .select_related("appointment")
        .get(pk=booking.pk)
    )
    return held, booking


def _refuse_unless_open(held: Appointment, booking: OnlineBooking, now) -> None:
    if booking.confirmed_at is not None:
        raise OnlineBookingRefused(_("This booking is already confirmed."))
    if held.status != Appointment.Status.HELD or held.hold_until <= now:
        raise HoldLost(
            _("The time you chose is no longer held for you. Please choose a time again.")
        )


@on_contention
@transaction.atomic
def send_booking_code(
    booking: OnlineBooking,
    *,
    family_name: str,
    given_name: str,
    patronymic: str,
    birth_date,
    phone,
    email: str,
    channel: str,
    consent_version: int,
    ip,
    actor,
) -> OnlineBooking:
    """Keep the visitor's details and consent, and send a one-time code to confirm.

    The same answer whatever the phone or e-mail: nothing here looks a patient up.
    """
    now = timezone.now()
    held, booking = _locked_booking(booking)
    _refuse_unless_open(held, booking, now)
    email = email.strip().lower()
    contact = email if channel == OnlineBooking.Channel.EMAIL else str(phone)
    if not contact:
        raise OnlineBookingRefused(_("Give the phone or e-mail the code should go to."))
    since = now - timedelta(hours=1)
    sender, identifier = sender_hash(ip), contact_hash(contact)
    if (
        _count_since("sender_hash", sender, since) >= settings.ONLINE_BOOKING_CODES_PER_IP_PER_HOUR
        or _count_since("identifier_hash", identifier, since)
        >= settings.ONLINE_BOOKING_CODES_PER_CONTACT_PER_HOUR
    ):
        raise TooManyRequests(
            _("Too many codes have been asked for in the last hour. Please call us instead.")
        )
    consent = current_consent()
    if consent is None or consent.version != consent_version:
        raise OnlineBookingRefused(
            _("The consent text has just changed. Please read it again and confirm.")
        )
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    booking.family_name, booking.given_name = family_name.strip(), given_name.strip()
    booking.patronymic, booking.birth_date = patronymic.strip(), birth_date
    booking.phone, booking.email, booking.channel = phone or "", email, channel
    booking.consent, booking.sender_hash, booking.identifier_hash = consent, sender, identifier
    booking.code_hash = _code_hash(booking, code)
    booking.code_expires_at = now + timedelta(minutes=settings.ONLINE_BOOKING_CODE_MINUTES)
    booking.codes_sent += 1
    booking.last_code_sent_at = now
    booking.wrong_codes = 0
    booking.save()
    # The time stays held while the code is valid.
    if held.hold_until < booking.code_expires_at:
        held.hold_until = booking.code_expires_at
        held.save(update_fields=["hold_until"])
    site = held.site
    with translation.override(booking.language):
        body = _(
            "%(site)s: your code to confirm the booking is %(code)s. It is valid for "
            "%(minutes)s minutes. If you did not ask for it, ignore this message."
        ) % {"site": site.name, "code": code, "minutes": settings.ONLINE_BOOKING_CODE_MINUTES}
        subject = _("Your booking code")
    enqueue_message(
        channel=OutboxMessage.Channel.EMAIL
        if channel == OnlineBooking.Channel.EMAIL
        else OutboxMessage.Channel.SMS,
        recipient=contact,
        subject=subject if channel == OnlineBooking.Channel.EMAIL else "",
        body=body,
        site=site,
        carries_secret=True,
    )
    audit(actor, "appointment.online.code_sent", obj=held, site=site)
    return booking


@transaction.atomic
def _check_code(booking: OnlineBooking, code: str, *, actor) -> OnlineBookingRefused | None:
    """Count a wrong code in its own transaction (a refusal must keep the count); after the
    last allowed attempt the code dies and the time is freed."""
    now = timezone.now()
    held, booking = _locked_booking(booking)
    _refuse_unless_open(held, booking, now)
    if not booking.code_hash:
        return OnlineBookingRefused(_("Ask for a code first."))
    if booking.code_expires_at <= now:
        return OnlineBookingRefused(_("The code has expired. Ask for a new one."))
    if hmac.compare_digest(_code_hash(booking, code), booking.code_hash):
        return None
    booking.wrong_codes += 1
    left = settings.ONLINE_BOOKING_MAX_WRONG_CODES - booking.wrong_codes
    if left <= 0:
        booking.code_hash = ""
        booking.save(update_fields=["wrong_codes", "code_hash"])
        _release_offer(held, actor=User.objects.system_actor(), note="online: wrong codes")
        refusal = HoldLost(
            _("Too many wrong codes. The time is no longer held; please start again.")
        )
    else:
        booking.save(update_fields=["wrong_codes"])
        refusal = OnlineBookingRefused(
            _("The code is not right. Attempts left: %(left)s.") % {"left": left}
        )
    audit(
        actor,
        "appointment.online.wrong_code",
        obj=held,
        site=held.site,
        outcome=AuditEvent.Outcome.DENIED,
        reason=f"attempt {booking.wrong_codes}",
    )
    refusal.audited = True
    return refusal


def confirm_online_booking(booking: OnlineBooking, *, code: str, actor) -> Appointment:
    """The right code: register the person at the site and book the held time for them."""
    refusal = _check_code(booking, code, actor=actor)
    if refusal is not None:
        raise refusal
    return _confirm(booking, code, actor=actor)


@on_contention
@transaction.atomic
def _confirm(booking: OnlineBooking, code: str, *, actor) -> Appointment:
    now = timezone.now()
    held = booking.appointment
    system = User.objects.system_actor()
    lock_resources(practitioners=[held.practitioner], rooms=[held.room])
    # The site row first (it numbers records), then the appointment and its booking.
    record_number = next_record_number(held.site)
    held, booking = _locked_booking(booking)
    if booking.confirmed_at is not None:
        raise OnlineBookingRefused(_("This booking is already confirmed."))
    # Checked again under the lock: the code is single-use even against a double submit.
    if not booking.code_hash or not hmac.compare_digest(
        _code_hash(booking, code), booking.code_hash
    ):
        raise OnlineBookingRefused(_("The code is not right."))
    if held.status != Appointment.Status.HELD:
        raise HoldLost(
            _("The time you chose is no longer held for you. Please choose a time again.")
        )
    if held.hold_until <= now:
        # Ran out, even if the job has not released it yet: the time may be someone else's.
        raise HoldLost(
            _("The time you chose is no longer held for you. Please choose a time again.")
        )
    by_email = booking.channel == OnlineBooking.Channel.EMAIL
    patient = register_patient(
        record_number=record_number,
        family_name=booking.family_name,
        given_name=booking.given_name,
        patronymic=booking.patronymic,
        birth_date=booking.birth_date,
        home_site=held.site,
        # The record's author is the system: the person has no account of their own.
        actor=system,
        phone=booking.phone,
        email=booking.email,
        preferred_language="en" if booking.language == "en" else "uk",
        preferred_channel=Patient.Channel.EMAIL if by_email else Patient.Channel.SMS,
    )
    held.patient = patient
    held.status = Appointment.Status.BOOKED
    held.hold_until = None
    _save(held, update_fields=["patient", "status", "hold_until"])
    _event(held, AppointmentEvent.Kind.BOOKED, system, note="online")
    booking.patient, booking.confirmed_at, booking.code_hash = patient, now, ""
    booking.save(update_fields=["patient", "confirmed_at", "code_hash"])
    notifications.booked(held)
    audit(actor, "appointment.booked_online", patient, obj=held, site=held.site)
    return held


def booking_of(appointment: Appointment) -> OnlineBooking | None:
    """The online booking that made this appointment, if it was booked on the public site."""
    return OnlineBooking.objects.filter(appointment=appointment).first()


@transaction.atomic
def record_call_back(appointment: Appointment, *, actor) -> OnlineBooking:
    """Reception has called the person back and completed the registration."""
    booking = booking_of(appointment)
    if booking is None:
        raise BookingRefused(_("There is no online booking waiting for a call."))
    held, booking = _locked_booking(booking)
    if booking.confirmed_at is None or booking.called_back_at is not None:
        raise BookingRefused(_("There is no online booking waiting for a call."))
    booking.called_back_at, booking.called_back_by = timezone.now(), actor
    booking.save(update_fields=["called_back_at", "called_back_by"])
    audit(actor, "appointment.online.called_back", booking.patient, obj=held, site=held.site)
    return booking
