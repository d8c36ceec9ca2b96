from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "clinic.core"
    verbose_name = _("Core")

    def ready(self):
        from clinic.core.navigation import register

        # The staff menu (core.navigation): this app's pages and where they stand in it.
        register("core:audit_log", _("Audit log"), position=210)
        register("core:outbox", _("Outgoing messages"), position=220)

        from datetime import timedelta

        from clinic.core import jobs, outbox

        # The worker's periodic jobs: the outbox sweep catches messages whose delivery task was
        # lost (a worker restarted between the commit and the task).
        jobs.register(
            "outbox",
            timedelta(minutes=1),
            outbox.deliver_due,
            label=_("Sending of outgoing messages"),
        )

        from clinic.core.audit import verify_trail

        jobs.register(
            "audit_verification",
            timedelta(days=1),
            verify_trail,
            label=_("Verification of the audit trail"),
            verification=True,
        )

        from clinic.core import worklists
        from clinic.core.policy import ADMINISTRATOR

        # The administrator's worklists on the start page (core.worklists).
        worklists.register(
            "dead_letters",
            _("Messages that failed"),
            roles={ADMINISTRATOR},
            items=worklists.dead_letters,
            empty=_("No message failed."),
            position=200,
        )
        worklists.register(
            "jobs",
            _("Periodic jobs that need attention"),
            roles={ADMINISTRATOR},
            items=worklists.stale_jobs,
            empty=_("Every periodic job ran on time."),
            position=210,
        )
        worklists.register(
            "verification",
            _("Audit trail and drug register checks"),
            roles={ADMINISTRATOR},
            items=worklists.verification_results,
            empty=worklists.verification_summary,
            position=220,
        )
