from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ControlledDrugsConfig(AppConfig):
    name = "clinic.controlled_drugs"
    verbose_name = _("Controlled drugs")
