import time

from django.core.management.base import BaseCommand

from clinic.core.jobs import JOBS, run_due


class Command(BaseCommand):
    help = "Run the periodic jobs (reminders, questionnaires, escalation, outbox, anchors)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run the due jobs once and stop.")
        parser.add_argument(
            "--interval", type=int, default=30, help="Seconds between looks for due jobs."
        )

    def handle(self, **options):
        self.stdout.write(f"jobs: {', '.join(sorted(JOBS))}")
        while True:
            for name, outcome in run_due().items():
                self.stdout.write(f"{name}: {outcome}")
            if options["once"]:
                return
            time.sleep(options["interval"])
