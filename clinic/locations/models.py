"""The centre's sites, their rooms and infusion chairs, opening hours and closures."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField


class Site(models.Model):
    """A clinic site (Kyiv, Lviv). Names and addresses in both languages (modeltranslation)."""

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    # The street and building; the town and postal code apart, as a postal address has them.
    address = models.CharField(_("address"), max_length=300, blank=True)
    locality = models.CharField(_("town"), max_length=100, blank=True, db_default="")
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True, db_default="")
    phone = PhoneNumberField(_("phone"))
    email = models.EmailField(
        _("e-mail"), blank=True, help_text=_("Where new inquiries for this site are announced.")
    )
    # A local crisis line shown on the contact form beside the emergency number 112.
    crisis_line = models.CharField(_("crisis line"), max_length=100, blank=True)
    map_url = models.URLField(_("map link"), blank=True)
    # How far ahead the public site offers free times for online booking (the clinic decides).
    online_booking_days = models.PositiveSmallIntegerField(
        _("online booking: days ahead"), default=14, db_default=14
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        constraints = [
            models.CheckConstraint(
                condition=Q(online_booking_days__gte=1, online_booking_days__lte=90),
                name="site_online_booking_days_1_to_90",
            )
        ]

    def __str__(self):
        return self.name

    @property
    def full_address(self) -> str:
        """The street, the town and the postal code, in the active language ("" if unknown)."""
        return ", ".join(part for part in (self.address, self.locality, self.postal_code) if part)


class OpeningHours(models.Model):
    """The regular hours of one weekday at a site; a weekday without a row is closed."""

    class Weekday(models.IntegerChoices):
        # ISO order, Monday first, as timetables in Ukraine are written.
        MONDAY = 1, _("Monday")
        TUESDAY = 2, _("Tuesday")
        WEDNESDAY = 3, _("Wednesday")
        THURSDAY = 4, _("Thursday")
        FRIDAY = 5, _("Friday")
        SATURDAY = 6, _("Saturday")
        SUNDAY = 7, _("Sunday")

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        ordering = ["site", "weekday"]
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        constraints = [
            models.UniqueConstraint(fields=["site", "weekday"], name="one_hours_row_per_weekday"),
            models.CheckConstraint(
                condition=Q(opens__lt=models.F("closes")), name="opens_before_closes"
            ),
            models.CheckConstraint(condition=Q(weekday__gte=1, weekday__lte=7), name="iso_weekday"),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class Room(models.Model):
    """A bookable place: a consulting room, an infusion chair or a TES room."""

    class Kind(models.TextChoices):
        CONSULTING = "consulting", _("Consulting room")
        INFUSION_CHAIR = "infusion_chair", _("Infusion chair")
        TES = "tes", _("TES room")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="rooms")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["site", "kind", "name"]
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        constraints = [
            models.UniqueConstraint(fields=["site", "name"], name="room_name_unique_per_site")
        ]

    def __str__(self):
        return f"{self.name} ({self.site})"


class ClosureQuerySet(models.QuerySet):
    def current_and_upcoming(self, today=None):
        return self.filter(ends_on__gte=today or timezone.localdate())

    def covering(self, day):
        return self.filter(starts_on__lte=day, ends_on__gte=day)


class Closure(models.Model):
    """Dates when a site is closed (holidays, works, outages), set by administrators.

    Ukraine's public holidays are suspended under martial law, so closures cannot be derived
    from a holiday calendar; they are entered here (stack.md, `holidays`).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="closures")
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    reason = models.CharField(_("reason"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ClosureQuerySet.as_manager()

    class Meta:
        ordering = ["starts_on"]
        verbose_name = _("closure")
        verbose_name_plural = _("closures")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="closure_ends_after_start"
            )
        ]

    def __str__(self):
        return f"{self.site}: {self.starts_on}–{self.ends_on}"
