from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "clinic.billing"
    verbose_name = _("Billing")

    def ready(self):
        from datetime import timedelta

        from clinic.billing import services
        from clinic.core import jobs
        from clinic.scheduling import hooks

        # A visit's end is charged inside the same transaction (scheduling.hooks).
        hooks.register(hooks.COMPLETED, services.charge_completed_visit)
        hooks.register(hooks.CANCELLED, services.charge_late_cancellation)
        hooks.register(hooks.NO_SHOW, services.charge_missed_visit)
        jobs.register(
            "fiscal_receipts",
            timedelta(minutes=1),
            services.register_due_receipts_job,
            label=_("Fiscal receipts"),
        )
