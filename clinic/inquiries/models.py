"""Inquiries from the public contact form, and the reception's work on them."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from clinic.core.records import StatusMachine


class ConsentText(models.Model):
    """One version of the consent to personal-data processing shown on the form.

    An inquiry stores the version it was given under, so the wording a person agreed to can
    always be shown later, even after the text has changed.
    """

    version = models.PositiveIntegerField(_("version"), unique=True)
    text_uk = models.TextField(_("text (Ukrainian)"))
    text_en = models.TextField(_("text (English)"))
    effective_from = models.DateTimeField(_("in force from"), default=timezone.now)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("consent text")
        verbose_name_plural = _("consent texts")

    def __str__(self):
        return f"v{self.version}"

    def text_in(self, language: str) -> str:
        return self.text_en if language == "en" else self.text_uk


class Topic(models.TextChoices):
    TREATMENT_RESISTANT_DEPRESSION = "trd", _("Treatment-resistant depression")
    POSTPARTUM_DEPRESSION = "postpartum", _("Postpartum depression")
    ANXIETY = "anxiety", _("Anxiety and panic")
    PHOBIAS = "phobias", _("Phobias")
    PTSD = "ptsd", _("Post-traumatic stress")
    PSYCHOSOMATIC = "psychosomatic", _("Psychosomatic disorders")
    PSYCHO_ONCOLOGY = "psycho_oncology", _("Psycho-oncology support")
    KETAMINE = "ketamine", _("Ketamine infusions")
    PSYCHOTHERAPY = "psychotherapy", _("Psychotherapy")
    TES = "tes", _("Transcranial electrical stimulation")
    OTHER = "other", _("Something else")


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone call")
    EMAIL = "email", _("E-mail")
    TELEGRAM = "telegram", _("Telegram")
    VIBER = "viber", _("Viber")


class InquiryQuerySet(models.QuerySet):
    def at_sites(self, site_ids):
        return self.filter(site_id__in=site_ids)

    def new(self):
        return self.filter(status=Inquiry.Status.NEW)


class Inquiry(StatusMachine, models.Model):
    """A message from the contact form: a person asking to be contacted."""

    class Status(models.TextChoices):
        NEW = "new", _("new")
        CONTACTED = "contacted", _("contacted")
        CONVERTED = "converted", _("became a patient")
        CLOSED = "closed", _("closed")

    # Allowed moves; services check them (style: one dict of transitions).
    TRANSITIONS = {
        Status.NEW: {Status.CONTACTED, Status.CLOSED},
        Status.CONTACTED: {Status.CONVERTED, Status.CLOSED},
        Status.CONVERTED: set(),
        Status.CLOSED: {Status.CONTACTED},
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    received_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)
    name = models.CharField(_("name"), max_length=150)
    phone = PhoneNumberField(_("phone"), blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    site = models.ForeignKey(
        "locations.Site",
        on_delete=models.PROTECT,
        related_name="inquiries",
        verbose_name=_("preferred site"),
    )
    topic = models.CharField(_("topic"), max_length=20, choices=Topic.choices)
    message = models.TextField(_("message"), blank=True)
    channel = models.CharField(_("preferred channel"), max_length=10, choices=Channel.choices)
    language = models.CharField(_("language"), max_length=5)
    consent = models.ForeignKey(ConsentText, on_delete=models.PROTECT, related_name="+")
    # A keyed hash of the sender's IP: enough to rate-limit, not enough to identify.
    sender_hash = models.CharField(max_length=64, db_index=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.NEW, db_index=True
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned to"),
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = InquiryQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("inquiry")
        verbose_name_plural = _("inquiries")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(phone="") | ~models.Q(email=""), name="inquiry_has_a_contact"
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.received_at:%d.%m.%Y})"


class InquiryEvent(models.Model):
    """History of an inquiry: status changes, assignments and notes, in order."""

    class Kind(models.TextChoices):
        STATUS = "status", _("status changed")
        ASSIGNED = "assigned", _("assigned")
        NOTE = "note", _("note")

    inquiry = models.ForeignKey(Inquiry, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Inquiry.Status.choices, blank=True)
    text = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.at:%d.%m.%Y %H:%M}"
