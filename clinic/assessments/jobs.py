"""This app's periodic jobs (clinic.core.jobs), registered in AssessmentsConfig.ready."""

from clinic.accounts.models import User
from clinic.assessments.services import escalate_overdue_alerts, send_due_assessments


def due_questionnaires() -> dict:
    return send_due_assessments(actor=User.objects.system_actor())


def alert_escalation() -> dict:
    counts = escalate_overdue_alerts(actor=User.objects.system_actor())
    if counts["no_one_on_duty"]:
        # Shown as a failed run on the heartbeats: nobody could be told of the overdue alert.
        raise RuntimeError(
            f"{counts['no_one_on_duty']} overdue safety alert(s) have no on-duty physician"
        )
    return counts
