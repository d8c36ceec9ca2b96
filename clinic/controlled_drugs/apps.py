from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ControlledDrugsConfig(AppConfig):
    name = "clinic.controlled_drugs"
    verbose_name = _("Controlled drugs")

    def ready(self):
        from clinic.controlled_drugs.selectors import attention_count
        from clinic.core.navigation import register

        # The staff menu (core.navigation): this app's pages and where they stand in it.
        register(
            "controlled_drugs:overview", _("Controlled drugs"), position=40, counter=attention_count
        )

        from datetime import timedelta

        from clinic.controlled_drugs.jobs import ledger_anchors
        from clinic.core import jobs

        # The worker's periodic jobs (core.jobs).
        jobs.register(
            "ledger_anchors",
            timedelta(hours=1),
            ledger_anchors,
            label=_("Daily anchors of the drug ledger"),
        )
