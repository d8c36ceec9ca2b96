from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    name = "clinic.courses"
    verbose_name = _("Courses of care")
