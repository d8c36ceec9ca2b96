from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "clinic.core"
    verbose_name = _("Core")

    def ready(self):
        from clinic.core.navigation import register

        # The staff menu (core.navigation): this app's pages and where they stand in it.
        register("core:audit_log", _("Audit log"), position=210)
        register("core:outbox", _("Outgoing messages"), position=220)
