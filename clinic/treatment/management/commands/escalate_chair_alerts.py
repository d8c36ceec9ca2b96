"""Escalate chair alerts nobody acknowledged in time to the next on-duty physician (cron).

Run every minute. Exits non-zero when an overdue alert has nobody left to go to, so the
cron mail reaches someone.
"""

from django.core.management.base import BaseCommand, CommandError

from clinic.accounts.models import User
from clinic.treatment.services import escalate_overdue_alerts


class Command(BaseCommand):
    help = "Escalate unacknowledged chair alerts to the next on-duty physician."

    def handle(self, **options):
        counts = escalate_overdue_alerts(actor=User.objects.system_actor())
        self.stdout.write(" ".join(f"{name}={value}" for name, value in counts.items()))
        if counts["no_one_left"]:
            raise CommandError(
                f"{counts['no_one_left']} overdue chair alert(s) have nobody left on the rota"
            )
