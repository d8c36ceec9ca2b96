from django.core.management.base import BaseCommand, CommandError

from clinic.core.audit import check_anchor, current_anchor, verify_chains
from clinic.core.models import AuditEvent


class Command(BaseCommand):
    help = (
        "Check every chain of the audit trail; names edited, deleted or reordered rows. "
        "With --anchor (printed by an earlier run and kept outside the database), also "
        "detects rows removed from the end of any chain."
    )

    def add_arguments(self, parser):
        parser.add_argument("--anchor", help="CHAIN:SEQ:HASH,... printed by an earlier run")

    def handle(self, **options):
        findings = verify_chains()
        if options["anchor"]:
            findings += check_anchor(options["anchor"])
        total = AuditEvent.objects.count()
        for finding in findings:
            self.stdout.write(str(finding))
        self.stdout.write(f"{total} rows checked, {len(findings)} findings")
        anchor = current_anchor()
        if anchor:
            self.stdout.write(f"anchor: {anchor}")
        if findings:
            raise CommandError("the audit trail has been tampered with")
