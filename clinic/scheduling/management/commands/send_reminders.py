from django.core.management.base import BaseCommand

from clinic.accounts.models import User
from clinic.core.outbox import deliver_due
from clinic.scheduling.notifications import send_due_reminders
from clinic.scheduling.services import release_expired_offers


class Command(BaseCommand):
    help = (
        "Hand due appointment reminders to the outbox (dropping those whose visit was "
        "cancelled or moved), pass expired waitlist offers on, then deliver. Run from cron "
        "every few minutes (docs/deploy.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-deliver", action="store_true", help="leave delivery to the outbox worker"
        )

    def handle(self, **options):
        released = release_expired_offers(actor=User.objects.system_actor())
        counts = send_due_reminders()
        self.stdout.write(
            f"reminders queued {counts['queued']}, dropped {counts['dropped']}; "
            f"expired offers passed on {released}"
        )
        if not options["no_deliver"]:
            sent = deliver_due()
            self.stdout.write(
                f"sent {sent['sent']}, to retry {sent['retry']}, failed permanently {sent['dead']}"
            )
