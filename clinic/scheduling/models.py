"""Visit types, practitioners' hours and absences, appointments and series, the waitlist, and the
messages each appointment caused.

Double booking is prevented by the database on PostgreSQL (exclusion constraints over the
blocked interval, migration 0002) and by the booking service inside SQLite's IMMEDIATE
transactions; both refuse the same overlaps, the same rule in both.
"""

import uuid

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from clinic.core.records import StatusHistory, StatusMachine
from clinic.locations.models import OpeningHours, Room


class VisitType(models.Model):
    """A kind of visit the centre offers, with what it needs (configured by administrators)."""

    class Booking(models.TextChoices):
        STAFF_ONLY = "staff", _("Staff only")
        ONLINE_REQUEST = "request", _("Staff, or requested online")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    duration_minutes = models.PositiveSmallIntegerField(_("duration, minutes"))
    buffer_before_minutes = models.PositiveSmallIntegerField(_("preparation, minutes"), default=0)
    buffer_after_minutes = models.PositiveSmallIntegerField(_("clearing up, minutes"), default=0)
    practitioner_roles = models.ManyToManyField(
        Group,
        related_name="+",
        verbose_name=_("practitioner roles"),
        help_text=_("The practitioner booked for the visit holds one of these roles."),
    )
    room_kind = models.CharField(
        _("room needed"), max_length=20, choices=Room.Kind.choices, blank=True
    )
    needs_physician_on_site = models.BooleanField(
        _("a physician must be on site"),
        default=False,
        help_text=_("Some physician works at the site for the whole visit (not booked)."),
    )
    booking = models.CharField(
        _("who may book"), max_length=10, choices=Booking.choices, default=Booking.STAFF_ONLY
    )
    is_active = models.BooleanField(_("offered"), default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("visit type")
        verbose_name_plural = _("visit types")
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=5, duration_minutes__lte=600),
                name="visit_duration_5_to_600",
            ),
            models.CheckConstraint(
                condition=Q(buffer_before_minutes__lte=120, buffer_after_minutes__lte=120),
                name="visit_buffers_at_most_120",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def blocked_minutes(self) -> int:
        return self.buffer_before_minutes + self.duration_minutes + self.buffer_after_minutes


class WorkingHours(models.Model):
    """One span of a practitioner's regular week at a site (several spans make a split shift)."""

    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="working_hours"
    )
    site = models.ForeignKey("locations.Site", on_delete=models.CASCADE, related_name="+")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=OpeningHours.Weekday.choices)
    starts = models.TimeField(_("from"))
    ends = models.TimeField(_("until"))

    class Meta:
        ordering = ["practitioner", "site", "weekday", "starts"]
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        constraints = [
            models.CheckConstraint(
                condition=Q(starts__lt=F("ends")), name="work_starts_before_end"
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=1, weekday__lte=7), name="work_iso_weekday"
            ),
            models.UniqueConstraint(
                fields=["practitioner", "site", "weekday", "starts"], name="one_span_per_start"
            ),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.starts:%H:%M}–{self.ends:%H:%M}"


class AbsenceQuerySet(models.QuerySet):
    def overlapping(self, first_day, last_day):
        return self.filter(starts_on__lte=last_day, ends_on__gte=first_day)


class Absence(models.Model):
    """Days a practitioner does not work (leave, sickness), at every site."""

    class Kind(models.TextChoices):
        LEAVE = "leave", _("Leave")
        SICK = "sick", _("Sick leave")
        TRAINING = "training", _("Training")
        OTHER = "other", _("Other")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="absences"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = AbsenceQuerySet.as_manager()

    class Meta:
        ordering = ["starts_on"]
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="absence_ends_after_start"
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.starts_on}–{self.ends_on}"


class Series(models.Model):
    """A course booked in one step (e.g. six infusions, twice a week)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    visit_type = models.ForeignKey(VisitType, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey("locations.Site", on_delete=models.PROTECT, related_name="+")
    # The course of care the series books (blank for a series booked outside a course).
    course = models.ForeignKey(
        "courses.Course",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="series",
        verbose_name=_("course"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("series")
        verbose_name_plural = _("series")

    def __str__(self):
        return f"{self.visit_type} × {self.patient.initials}"


class AppointmentQuerySet(models.QuerySet):
    def active(self):
        """Visits that stand: booked, under way or done (not cancelled, not an open offer)."""
        return self.filter(status__in=Appointment.ACTIVE_STATUSES)

    def blocking(self, now=None):
        """Appointments that occupy their resources: active ones and offers still on hold."""
        now = now or timezone.now()
        return self.filter(
            Q(status__in=Appointment.ACTIVE_STATUSES)
            | Q(status=Appointment.Status.HELD, hold_until__gt=now)
        )

    def on(self, day):
        """Appointments starting on a local calendar day (Europe/Kyiv)."""
        from clinic.scheduling.clock import day_bounds

        start, end = day_bounds(day)
        return self.filter(starts_at__gte=start, starts_at__lt=end)

    def at(self, site):
        return self.filter(site=site)

    def for_patient(self, patient):
        return self.filter(patient=patient)

    def between(self, start, end):
        """Appointments overlapping [start, end)."""
        return self.filter(starts_at__lt=end, ends_at__gt=start)

    def upcoming(self, now=None):
        return self.filter(starts_at__gte=now or timezone.now())


class Appointment(StatusMachine, models.Model):
    """One visit: a patient, a practitioner, perhaps a room or chair, at a site and time.

    `blocked_from`/`blocked_until` include the visit type's preparation and clearing-up time:
    that is what the practitioner and the room are busy for. The patient is busy only for the
    visit itself (`starts_at`..`ends_at`).
    """

    class Status(models.TextChoices):
        HELD = "held", _("Offered, on hold")
        BOOKED = "booked", _("Booked")
        CHECKED_IN = "checked_in", _("Checked in")
        COMPLETED = "completed", _("Completed")
        NO_SHOW = "no_show", _("Did not attend")
        CANCELLED = "cancelled", _("Cancelled")

    ACTIVE_STATUSES = ("booked", "checked_in", "completed", "no_show")
    # The one place the allowed status changes are written down; services check it.
    TRANSITIONS = {
        "held": {"booked", "cancelled"},
        "booked": {"checked_in", "no_show", "cancelled"},
        "checked_in": {"completed", "cancelled"},
        "completed": set(),
        "no_show": set(),
        "cancelled": set(),
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Empty only while a time chosen on the public site is held for someone not yet
    # registered (online.py); confirming it registers them first. A check keeps it so.
    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
        verbose_name=_("patient"),
    )
    visit_type = models.ForeignKey(
        VisitType, on_delete=models.PROTECT, related_name="+", verbose_name=_("visit type")
    )
    site = models.ForeignKey(
        "locations.Site", on_delete=models.PROTECT, related_name="+", verbose_name=_("site")
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    blocked_from = models.DateTimeField()
    blocked_until = models.DateTimeField()
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name=_("practitioner"),
    )
    room = models.ForeignKey(
        Room,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("room"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.BOOKED
    )
    series = models.ForeignKey(
        Series, on_delete=models.PROTECT, null=True, blank=True, related_name="appointments"
    )
    hold_until = models.DateTimeField(null=True, blank=True)
    # The booking form's key: the same form submitted twice (a double click, a retry after a
    # lost answer) finds the first booking instead of making or refusing a second one.
    idempotency_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        indexes = [
            models.Index(fields=["site", "blocked_from"]),
            models.Index(fields=["practitioner", "blocked_from"]),
            models.Index(fields=["patient", "starts_at"]),
            # The day board: a site's visits overlapping a day (ends_at > day start and
            # starts_at < day end). Leading with ends_at skips the site's whole history; the
            # starts_at bound is checked in the index without reading the rows.
            models.Index(fields=["site", "ends_at", "starts_at"], name="appt_site_day_range"),
            # Releasing expired offers reads only the (few) held rows.
            models.Index(
                fields=["hold_until"], condition=Q(status="held"), name="appt_held_expiry"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="appt_ends_after"),
            models.CheckConstraint(
                condition=Q(blocked_from__lte=F("starts_at"), blocked_until__gte=F("ends_at")),
                name="appt_blocked_covers_visit",
            ),
            models.CheckConstraint(
                condition=~Q(status="held") | Q(hold_until__isnull=False),
                name="appt_hold_has_expiry",
            ),
            models.CheckConstraint(
                condition=Q(patient__isnull=False) | Q(status__in=["held", "cancelled"]),
                name="appt_patient_unless_online_hold",
            ),
        ]

    def __str__(self):
        return f"{self.visit_type} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    @property
    def is_changeable(self) -> bool:
        """Still ahead and not yet under way: it may be moved or cancelled by reception."""
        return self.status in (self.Status.BOOKED, self.Status.HELD)


# Notes the services write on history rows as codes (scheduling/services.py), in words. Any
# other note was typed by a person and is shown as written.
EVENT_NOTES = {
    "added": _("added to the waitlist"),
    "offered": _("a place was offered"),
    "booked": _("the offered place was booked"),
    "declined": _("the patient could not come then"),
    "withdrawn": _("taken off the waitlist"),
    "expired": _("the offer lapsed unanswered"),
    "series": _("booked as part of a series"),
}


def event_note_text(note: str) -> str:
    """A history row's note for the page: a service's code in words, a person's text as typed."""
    label = EVENT_NOTES.get(note)
    return str(label) if label is not None else note


class AppointmentEvent(models.Model):
    """One step in an appointment's history: booked, moved, checked in, cancelled..."""

    class Kind(models.TextChoices):
        BOOKED = "booked", _("Booked")
        HELD_ONLINE = "held_online", _("Held on the public site")
        OFFERED = "offered", _("Offered from the waitlist")
        CONFIRMED = "confirmed", _("Offer confirmed")
        MOVED = "moved", _("Moved")
        CHECKED_IN = "checked_in", _("Checked in")
        COMPLETED = "completed", _("Completed")
        NO_SHOW = "no_show", _("Did not attend")
        CANCELLED = "cancelled", _("Cancelled")
        RELEASED = "released", _("Offer released")
        SESSION_ENDED = "session_end", _("Treatment session ended early")

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    status = models.CharField(max_length=12, choices=Appointment.Status.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    previous_starts_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.kind} {self.at:%Y-%m-%d %H:%M}"

    @property
    def note_text(self) -> str:
        return event_note_text(self.note)


class Notification(models.Model):
    """A message about an appointment, tied to the start time it announced.

    A reminder waits as `scheduled` until it is due; the sweep (`send_reminders`) hands it to
    the outbox only if the appointment still stands at that same time, otherwise drops it. A
    cancellation or a move drops scheduled reminders and withdraws queued ones at once.
    """

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", _("Booking confirmation")
        REMINDER = "reminder", _("Reminder")
        CHANGE = "change", _("Change of time")
        CANCELLATION = "cancellation", _("Cancellation")
        OFFER = "offer", _("Waitlist offer")

    class State(models.TextChoices):
        SCHEDULED = "scheduled", _("scheduled")
        QUEUED = "queued", _("handed to the outbox")
        DROPPED = "dropped", _("not sent")

    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    for_starts_at = models.DateTimeField()
    send_after = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=10, choices=State.choices, default=State.SCHEDULED)
    drop_reason = models.CharField(max_length=200, blank=True)
    message = models.OneToOneField(
        "core.OutboxMessage", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["state", "send_after"])]

    def __str__(self):
        return f"{self.kind} for {self.for_starts_at:%Y-%m-%d %H:%M}"

    @property
    def delivery_state(self) -> str:
        """What staff see: scheduled, queued, retrying, sent, failed or cancelled.

        `sent` only when the outbox recorded the sender's confirmation.
        """
        from clinic.core.models import OutboxMessage

        if self.state == self.State.DROPPED:
            return "cancelled"
        if self.message is None:
            return "scheduled"
        status = self.message.status
        if status == OutboxMessage.Status.SENT:
            return "sent"
        if status == OutboxMessage.Status.DEAD:
            return "failed"
        if status == OutboxMessage.Status.CANCELLED:
            return "cancelled"
        return "retrying" if self.message.attempts else "queued"


class WaitlistEntryQuerySet(models.QuerySet):
    def waiting(self):
        return self.filter(status=WaitlistEntry.Status.WAITING)

    def at_sites(self, site_ids):
        return self.filter(site_id__in=site_ids)

    def in_queue_order(self):
        return self.order_by("priority", "created_at", "pk")


class WaitlistEntry(StatusMachine, models.Model):
    """A patient waiting for an earlier or any place of a visit type at a site."""

    class Priority(models.IntegerChoices):
        URGENT = 1, _("Urgent")
        HIGH = 2, _("High")
        NORMAL = 3, _("Normal")

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        OFFERED = "offered", _("Offered a place")
        BOOKED = "booked", _("Booked")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    STATUS_HISTORY = "events"
    TRANSITIONS = {
        "waiting": {"offered", "withdrawn"},
        "offered": {"waiting", "booked", "withdrawn"},
        "booked": set(),
        "withdrawn": set(),
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="+", verbose_name=_("patient")
    )
    visit_type = models.ForeignKey(
        VisitType, on_delete=models.PROTECT, related_name="+", verbose_name=_("visit type")
    )
    site = models.ForeignKey(
        "locations.Site", on_delete=models.PROTECT, related_name="+", verbose_name=_("site")
    )
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("practitioner"),
    )
    earliest_on = models.DateField(_("from"))
    latest_on = models.DateField(_("until"))
    day_starts = models.TimeField(_("not before"), null=True, blank=True)
    day_ends = models.TimeField(_("not after"), null=True, blank=True)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.WAITING
    )
    offer = models.ForeignKey(
        Appointment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = WaitlistEntryQuerySet.as_manager()

    class Meta:
        ordering = ["priority", "created_at", "pk"]
        verbose_name = _("waitlist entry")
        verbose_name_plural = _("waitlist entries")
        constraints = [
            models.CheckConstraint(
                condition=Q(latest_on__gte=F("earliest_on")), name="waitlist_window_order"
            ),
            models.CheckConstraint(
                condition=Q(day_starts__isnull=True)
                | Q(day_ends__isnull=True)
                | Q(day_starts__lt=F("day_ends")),
                name="waitlist_day_window_order",
            ),
        ]

    def __str__(self):
        return f"{self.visit_type} · {self.patient.initials}"


class WaitlistEvent(StatusHistory):
    """History of a waitlist entry: added, offered, declined, expired, booked, withdrawn."""

    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=10, choices=WaitlistEntry.Status.choices)

    class Meta(StatusHistory.Meta):
        pass

    @property
    def note_text(self) -> str:
        return event_note_text(self.reason)


class CalendarFeed(models.Model):
    """The secret address of a practitioner's iCalendar feed; resetting it revokes the old one."""

    practitioner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"calendar feed of {self.practitioner}"


class OnlineBookingQuerySet(models.QuerySet):
    def at(self, site):
        return self.filter(appointment__site=site)

    def to_call_back(self):
        """Confirmed online, not yet called back by reception to complete the registration."""
        return self.filter(confirmed_at__isnull=False, called_back_at__isnull=True)


class OnlineBooking(models.Model):
    """A first visit booked on the public site by someone not yet registered.

    It holds the time (its appointment, `held` with no patient), the few details the person
    gave, their consent and the one-time code that confirms it. Confirming registers the
    person as a patient and books the appointment; reception then calls them back to complete
    the registration (`called_back_at`). Only a keyed hash of the code is kept.
    """

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS to my phone")
        EMAIL = "email", _("E-mail")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    appointment = models.OneToOneField(
        Appointment, on_delete=models.PROTECT, related_name="online_booking"
    )
    family_name = models.CharField(_("family name"), max_length=100, blank=True)
    given_name = models.CharField(_("given name"), max_length=100, blank=True)
    patronymic = models.CharField(_("patronymic"), max_length=100, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    phone = PhoneNumberField(_("phone"), blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    channel = models.CharField(
        _("code sent by"), max_length=10, choices=Channel.choices, default=Channel.SMS
    )
    language = models.CharField(max_length=2, default="uk")
    consent = models.ForeignKey(
        "inquiries.ConsentText", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Keyed hashes: enough to count requests per connection and per phone or e-mail.
    sender_hash = models.CharField(max_length=64, db_index=True)
    identifier_hash = models.CharField(max_length=64, blank=True, db_index=True)
    code_hash = models.CharField(max_length=64, blank=True)
    code_expires_at = models.DateTimeField(null=True, blank=True)
    codes_sent = models.PositiveSmallIntegerField(default=0)
    last_code_sent_at = models.DateTimeField(null=True, blank=True)
    wrong_codes = models.PositiveSmallIntegerField(default=0)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    called_back_at = models.DateTimeField(null=True, blank=True)
    called_back_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = OnlineBookingQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("online booking")
        verbose_name_plural = _("online bookings")
        indexes = [
            models.Index(
                fields=["confirmed_at"],
                condition=Q(called_back_at__isnull=True, confirmed_at__isnull=False),
                name="online_booking_to_call",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(confirmed_at__isnull=True) | Q(patient__isnull=False),
                name="online_booking_confirmed_has_patient",
            ),
            models.CheckConstraint(
                condition=Q(called_back_at__isnull=True) | Q(confirmed_at__isnull=False),
                name="online_booking_called_back_after_confirmed",
            ),
        ]

    def __str__(self):
        return f"online {self.appointment}"

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.family_name, self.given_name, self.patronymic) if p)
