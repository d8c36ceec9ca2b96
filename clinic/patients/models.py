"""The patient: identity and home site. Clinical content arrives with later issues."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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
    def full_name(self) -> str:
        return " ".join(p for p in (self.family_name, self.given_name, self.patronymic) if p)
