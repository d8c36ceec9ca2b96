"""Send the self-report links that schedules make due, and reminders (run from cron)."""

from django.core.management.base import BaseCommand

from clinic.accounts.models import User
from clinic.assessments.services import send_due_assessments


class Command(BaseCommand):
    help = "Issue and send due self-report links through the outbox, then reminders."

    def handle(self, **options):
        counts = send_due_assessments(actor=User.objects.system_actor())
        self.stdout.write(" ".join(f"{name}={value}" for name, value in counts.items()))
