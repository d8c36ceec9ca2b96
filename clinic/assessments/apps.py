from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentsConfig(AppConfig):
    name = "clinic.assessments"
    verbose_name = _("Rating scales and outcomes")
