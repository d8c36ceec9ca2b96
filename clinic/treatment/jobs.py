"""This app's periodic jobs (clinic.core.jobs), registered in TreatmentConfig.ready."""

from clinic.accounts.models import User
from clinic.treatment.services import escalate_overdue_alerts, raise_overdue_vitals_alerts


def chair_alerts() -> dict:
    """Raise "vital signs overdue" alerts, then escalate chair alerts nobody acknowledged."""
    system = User.objects.system_actor()
    counts = {
        "vitals_overdue": raise_overdue_vitals_alerts(actor=system),
        **escalate_overdue_alerts(actor=system),
    }
    if counts["no_one_left"]:
        # Shown as a failed run on the heartbeats: nobody could be told of the overdue alert.
        raise RuntimeError(
            f"{counts['no_one_left']} overdue chair alert(s) have nobody left on the rota"
        )
    return counts
