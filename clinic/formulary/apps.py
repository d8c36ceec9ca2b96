from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FormularyConfig(AppConfig):
    name = "clinic.formulary"
    verbose_name = _("Formulary")
