from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "clinic.portal"
    verbose_name = _("Patient portal")

    def ready(self):
        from clinic.core.navigation import register

        # The staff menu (core.navigation): each site's self-service policy, for administrators.
        register("portal_staff:policies", _("Patient portal policy"), position=195)
