from django.core.management.base import BaseCommand, CommandError

from clinic.controlled_drugs.ledger import check_printed_anchors, verify_ledger
from clinic.controlled_drugs.models import Holding, LedgerAnchor, LedgerEntry


class Command(BaseCommand):
    help = (
        "Check every chain of the controlled-drug register and the recorded anchors; names "
        "altered, deleted, reordered or missing entries. With --anchors FILE, also checks the "
        "anchor lines printed by anchor_ledger and kept outside the database. Run daily and "
        "before every count."
    )

    def add_arguments(self, parser):
        parser.add_argument("--anchors", help="a file of lines printed by anchor_ledger")

    def handle(self, **options):
        findings = verify_ledger()
        if options["anchors"]:
            try:
                with open(options["anchors"], encoding="utf-8") as printed:
                    findings += check_printed_anchors(printed.read().splitlines())
            except OSError as exc:
                raise CommandError(f"cannot read the anchors: {exc}") from exc
        for finding in findings:
            self.stdout.write(str(finding))
        self.stdout.write(
            f"{LedgerEntry.objects.count()} entries in {Holding.objects.count()} chains, "
            f"{LedgerAnchor.objects.count()} anchors checked, {len(findings)} findings"
        )
        if findings:
            raise CommandError("the controlled-drug register has been tampered with")
