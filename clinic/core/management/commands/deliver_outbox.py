from django.core.management.base import BaseCommand

from clinic.core.outbox import deliver_due


class Command(BaseCommand):
    help = "Send due outbox messages (run from cron as a sweeper beside the task worker)."

    def handle(self, **options):
        counts = deliver_due()
        self.stdout.write(
            f"sent {counts['sent']}, to retry {counts['retry']}, "
            f"failed permanently {counts['dead']}"
        )
