"""The staff roles. Each role is a Django group of the same name; a user may hold several."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", _("Administrator")
    PHYSICIAN = "physician", _("Physician")
    NURSE = "nurse", _("Nurse")
    PSYCHOTHERAPIST = "psychotherapist", _("Psychotherapist")
    RECEPTIONIST = "receptionist", _("Receptionist")
    CASHIER = "cashier", _("Cashier")
    DRUG_OFFICER = "drug_officer", _("Drug officer")
    CONTENT_EDITOR = "content_editor", _("Content editor")


# Roles whose work needs the patient record. Administrators run the centre (staff, sites,
# audit) and see no charts; drug officers and content editors have their own registers.
CLINICAL_ROLES = frozenset({Role.PHYSICIAN, Role.NURSE, Role.PSYCHOTHERAPIST, Role.RECEPTIONIST})
