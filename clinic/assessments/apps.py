from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentsConfig(AppConfig):
    name = "clinic.assessments"
    verbose_name = _("Rating scales and outcomes")

    def ready(self):
        from clinic.assessments.selectors import open_alerts_count
        from clinic.core.navigation import register

        # The staff menu (core.navigation): this app's pages and where they stand in it.
        register("assessments:alerts", _("Alerts"), position=50, counter=open_alerts_count)
        register("assessments:outcomes", _("Outcomes"), position=60)
        register("assessments:settings", _("Rating scales"), position=70)

        from datetime import timedelta

        from clinic.assessments.jobs import alert_escalation, due_questionnaires
        from clinic.core import jobs

        # The worker's periodic jobs (core.jobs).
        jobs.register(
            "due_questionnaires",
            timedelta(minutes=15),
            due_questionnaires,
            label=_("Questionnaires due"),
        )
        jobs.register(
            "alert_escalation",
            timedelta(minutes=5),
            alert_escalation,
            label=_("Escalation of overdue safety alerts"),
        )

        from clinic.accounts.roles import Role
        from clinic.assessments import worklists as lists
        from clinic.core import worklists

        # The staff start page's worklists (core.worklists).
        worklists.register(
            "safety_alerts",
            _("Safety alerts"),
            roles={Role.PHYSICIAN},
            items=lists.safety_alerts,
            empty=_("No open safety alert at this site."),
            position=30,
        )
        worklists.register(
            "worsening_scores",
            _("New scores with a worsening or a safety item"),
            roles={Role.PHYSICIAN},
            items=lists.worsening_scores,
            empty=_("No new score is worse than its baseline or has a positive safety item."),
            position=32,
        )
        worklists.register(
            "scores_to_review",
            _("New scores to review"),
            roles={Role.PHYSICIAN},
            items=lists.scores_to_review,
            empty=_("Every completed score has been reviewed."),
            position=34,
        )
