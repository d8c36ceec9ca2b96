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

        from clinic.controlled_drugs.jobs import ledger_anchors, ledger_verification
        from clinic.core import jobs

        # The worker's periodic jobs (core.jobs).
        jobs.register(
            "ledger_anchors",
            timedelta(hours=1),
            ledger_anchors,
            label=_("Daily anchors of the drug ledger"),
        )
        jobs.register(
            "ledger_verification",
            timedelta(days=1),
            ledger_verification,
            label=_("Verification of the drug register"),
            verification=True,
        )

        from clinic.accounts.roles import Role
        from clinic.controlled_drugs import worklists as lists
        from clinic.core import worklists

        # The staff start page's worklists (core.worklists).
        worklists.register(
            "residues",
            _("Residues to destroy before a witness"),
            roles={Role.NURSE, Role.PHYSICIAN, Role.DRUG_OFFICER},
            items=lists.residues,
            empty=_("Every drawn dose is accounted for."),
            position=100,
        )
        worklists.register(
            "counts_due",
            _("Counts due"),
            roles={Role.DRUG_OFFICER},
            items=lists.counts_due,
            empty=_("Every safe holding stock has been counted on schedule."),
            position=105,
        )
        worklists.register(
            "discrepancies",
            _("Count discrepancies to resolve"),
            roles={Role.DRUG_OFFICER},
            items=lists.discrepancies,
            empty=_("No open count discrepancy."),
            position=110,
        )
        worklists.register(
            "expiring_lots",
            _("Lots expiring soon"),
            roles={Role.DRUG_OFFICER},
            items=lists.lots_expiring,
            empty=_("No lot in stock expires soon."),
            position=120,
        )
