"""Raise "vital signs overdue" alerts, then escalate chair alerts nobody acknowledged in time
to the next on-duty physician (cron).

Run every minute. Exits non-zero when an overdue alert has nobody left to go to, so the
cron mail reaches someone.
"""

from django.core.management.base import BaseCommand, CommandError

from clinic.accounts.models import User
from clinic.treatment.services import escalate_overdue_alerts, raise_overdue_vitals_alerts


class Command(BaseCommand):
    help = "Escalate unacknowledged chair alerts to the next on-duty physician."

    def handle(self, **options):
        system = User.objects.system_actor()
        overdue = raise_overdue_vitals_alerts(actor=system)
        counts = {"vitals_overdue": overdue, **escalate_overdue_alerts(actor=system)}
        self.stdout.write(" ".join(f"{name}={value}" for name, value in counts.items()))
        if counts["no_one_left"]:
            raise CommandError(
                f"{counts['no_one_left']} overdue chair alert(s) have nobody left on the rota"
            )
