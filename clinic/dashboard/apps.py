from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "clinic.dashboard"
    verbose_name = _("Today")

    def ready(self):
        from clinic.core.navigation import register

        register("dashboard:today", _("Today"), position=10)
