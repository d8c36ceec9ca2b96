"""The patient: identity, contact details, home site and care team."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField


class PatientQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Patients of the sites the user works at; nothing for non-clinical roles."""
        if not user.is_clinical:
            return self.none()
        return self.filter(home_site_id__in=user.site_ids)

    def at(self, site):
        return self.filter(home_site=site)


class Patient(models.Model):
    """A person treated at the centre, registered at one home site."""

    class Language(models.TextChoices):
        UKRAINIAN = "uk", "Українська"
        ENGLISH = "en", "English"

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        EMAIL = "email", _("E-mail")
        NONE = "none", _("No messages")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    record_number = models.CharField(_("record number"), max_length=20, unique=True)
    family_name = models.CharField(_("family name"), max_length=100)
    given_name = models.CharField(_("given name"), max_length=100)
    patronymic = models.CharField(_("patronymic"), max_length=100, blank=True)
    birth_date = models.DateField(_("date of birth"))
    home_site = models.ForeignKey(
        "locations.Site",
        on_delete=models.PROTECT,
        related_name="patients",
        verbose_name=_("home site"),
    )
    phone = PhoneNumberField(_("phone"), blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=2, choices=Language.choices, default=Language.UKRAINIAN
    )
    # Reminders and questionnaire links go by this channel; "none" means staff call instead.
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=10, choices=Channel.choices, default=Channel.SMS
    )
    physician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="patients_as_physician",
        verbose_name=_("treating physician"),
    )
    psychotherapist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="patients_as_psychotherapist",
        verbose_name=_("psychotherapist"),
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["family_name", "given_name"]
        verbose_name = _("patient")
        verbose_name_plural = _("patients")

    def __str__(self):
        return self.full_name

    @property
    def initials(self) -> str:
        """What a shared screen or a calendar feed may show instead of the name."""
        return "".join(p[:1] + "." for p in (self.given_name, self.family_name) if p)

    def message_address(self) -> tuple[str, str] | None:
        """(channel, recipient) for reminders and links, or None when no channel is usable."""
        if self.preferred_channel == self.Channel.SMS and self.phone:
            return (self.Channel.SMS, str(self.phone))
        if self.preferred_channel == self.Channel.EMAIL and self.email:
            return (self.Channel.EMAIL, self.email)
        return None

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.family_name, self.given_name, self.patronymic) if p)
