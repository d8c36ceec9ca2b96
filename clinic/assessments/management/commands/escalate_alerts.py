"""Escalate safety alerts nobody acknowledged in time to the site's on-duty physician (cron).

Exits non-zero when an overdue alert has nobody to go to, so the cron mail reaches someone.
"""

from django.core.management.base import BaseCommand, CommandError

from clinic.accounts.models import User
from clinic.assessments.services import escalate_overdue_alerts


class Command(BaseCommand):
    help = "Escalate unacknowledged safety alerts to the on-duty physician."

    def handle(self, **options):
        counts = escalate_overdue_alerts(actor=User.objects.system_actor())
        self.stdout.write(" ".join(f"{name}={value}" for name, value in counts.items()))
        if counts["no_one_on_duty"]:
            raise CommandError(
                f"{counts['no_one_on_duty']} overdue safety alert(s) have no on-duty physician"
            )
