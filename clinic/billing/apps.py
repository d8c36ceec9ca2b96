from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "clinic.billing"
    verbose_name = _("Billing")

    def ready(self):
        from clinic.accounts.roles import Role
        from clinic.billing import services
        from clinic.billing import worklists as lists
        from clinic.core import outbox, worklists
        from clinic.core.models import OutboxMessage
        from clinic.core.navigation import register
        from clinic.scheduling import hooks

        # A visit's end is charged inside the same transaction (scheduling.hooks).
        hooks.register(hooks.COMPLETED, services.charge_completed_visit)
        hooks.register(hooks.CANCELLED, services.charge_late_cancellation)
        hooks.register(hooks.NO_SHOW, services.charge_missed_visit)
        # Fiscal registrations are outbox deliveries of their own channel.
        outbox.register_sender(OutboxMessage.Channel.FISCAL, services.register_with_prro)

        # The staff menu (core.navigation): the policy of each page decides who sees it.
        register("billing:find", _("Patient accounts"), position=92)
        register("billing:cash", _("Cash of the day"), position=94)
        register("billing:prices", _("Prices"), position=112)
        register("billing:reports", _("Money reports"), position=114)
        worklists.register(
            "fiscal_receipts",
            _("Receipts to register again"),
            roles={Role.CASHIER, Role.RECEPTIONIST},
            items=lists.receipts_to_retry,
            empty=_("Every payment has its fiscal receipt."),
            position=95,
        )
