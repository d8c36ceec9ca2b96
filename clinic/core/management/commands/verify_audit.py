from django.core.management.base import BaseCommand, CommandError

from clinic.core.audit import verify_chain
from clinic.core.models import AuditEvent


class Command(BaseCommand):
    help = "Check the audit trail's hash chain; names edited, deleted or reordered rows."

    def handle(self, **options):
        findings = verify_chain()
        total = AuditEvent.objects.count()
        for finding in findings:
            self.stdout.write(str(finding))
        self.stdout.write(f"{total} rows checked, {len(findings)} findings")
        if findings:
            raise CommandError("the audit trail has been tampered with")
