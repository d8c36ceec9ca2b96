"""Raise "vital signs overdue" alerts, then escalate chair alerts nobody acknowledged in time
to the next on-duty physician: the `chair_alerts` periodic job (clinic/treatment/jobs.py), run
by hand.

Exits non-zero when an overdue alert has nobody left to go to.
"""

from django.core.management.base import BaseCommand, CommandError

from clinic.treatment.jobs import chair_alerts


class Command(BaseCommand):
    help = "Escalate unacknowledged chair alerts to the next on-duty physician."

    def handle(self, **options):
        try:
            counts = chair_alerts()
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(" ".join(f"{name}={value}" for name, value in counts.items()))
