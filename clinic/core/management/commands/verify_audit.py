from django.core.management.base import BaseCommand, CommandError

from clinic.core.audit import check_anchor, verify_chain
from clinic.core.models import AuditEvent


class Command(BaseCommand):
    help = (
        "Check the audit trail's hash chain; names edited, deleted or reordered rows. "
        "With --anchor SEQ:HASH (printed by an earlier run and kept outside the database), "
        "also detects rows removed from the end of the trail."
    )

    def add_arguments(self, parser):
        parser.add_argument("--anchor", help="SEQ:HASH printed by an earlier run")

    def handle(self, **options):
        findings = verify_chain()
        if options["anchor"]:
            findings += check_anchor(options["anchor"])
        total = AuditEvent.objects.count()
        for finding in findings:
            self.stdout.write(str(finding))
        self.stdout.write(f"{total} rows checked, {len(findings)} findings")
        last = AuditEvent.objects.order_by("-seq").values_list("seq", "row_hash").first()
        if last:
            self.stdout.write(f"anchor: {last[0]}:{last[1]}")
        if findings:
            raise CommandError("the audit trail has been tampered with")
