from django.core.management.base import BaseCommand, CommandError

from clinic.controlled_drugs.ledger import verify_ledger
from clinic.controlled_drugs.models import Holding, LedgerAnchor, LedgerEntry


class Command(BaseCommand):
    help = (
        "Check every chain of the controlled-drug register and the recorded anchors; names "
        "altered, deleted, reordered or missing entries. Run daily and before every count."
    )

    def handle(self, **options):
        findings = verify_ledger()
        for finding in findings:
            self.stdout.write(str(finding))
        self.stdout.write(
            f"{LedgerEntry.objects.count()} entries in {Holding.objects.count()} chains, "
            f"{LedgerAnchor.objects.count()} anchors checked, {len(findings)} findings"
        )
        if findings:
            raise CommandError("the controlled-drug register has been tampered with")
