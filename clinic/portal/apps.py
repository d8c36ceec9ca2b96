from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "clinic.portal"
    verbose_name = _("Patient portal")

    def ready(self):
        from clinic.core.navigation import register

        # The staff menu (core.navigation): each site's self-service policy, for administrators.
        register("portal_staff:policies", _("Patient portal policy"), position=185)

        from datetime import timedelta

        from clinic.core import jobs
        from clinic.portal.services import forget_old_sign_ins, visit_path
        from clinic.scheduling import hooks

        # Messages about a visit link to the patient's page of it (scheduling.hooks).
        hooks.register_visit_path(visit_path)

        # The worker's periodic jobs (core.jobs).
        jobs.register(
            "portal_sign_ins",
            timedelta(hours=6),
            forget_old_sign_ins,
            label=_("Old portal sign-in codes and sessions removed"),
        )
