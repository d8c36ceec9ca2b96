from django.core.management.base import BaseCommand

from clinic.accounts.models import User
from clinic.controlled_drugs.ledger import record_anchors
from clinic.core.audit import audit


class Command(BaseCommand):
    help = (
        "Record today's anchor (last sequence number and hash) of every register chain and "
        "print them (one line each, for verify_ledger --anchors); keep the printout outside the "
        "database (run daily from cron)."
    )

    def handle(self, **options):
        system = User.objects.system_actor()
        anchors = record_anchors(actor=system)
        for anchor in anchors:
            self.stdout.write(
                f"{anchor.day:%Y-%m-%d} holding {anchor.holding.public_id} "
                f"seq {anchor.last_seq} {anchor.last_hash}"
            )
        audit(system, "drugs.ledger.anchored", reason=f"{len(anchors)} chains")
        self.stderr.write(f"{len(anchors)} anchors recorded")
