"""Rating scales' worklist on the staff start page (clinic.core.worklists)."""

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from clinic.assessments.models import SafetyAlert
from clinic.core.worklists import CAP, WorkItem


def safety_alerts(user, site) -> list[WorkItem]:
    """Open safety alerts at the site: a positive safety item nobody has acted on yet."""
    alerts = (
        SafetyAlert.objects.open()
        .at_sites([site.pk])
        .select_related("patient", "assessment")
        .order_by("raised_at", "pk")[:CAP]
    )
    return [
        WorkItem(
            text=alert.patient.full_name,
            url=reverse("assessments:alert", kwargs={"alert_id": alert.public_id}),
            detail=f"{alert.assessment.get_code_display()}, "
            f"{date_format(timezone.localtime(alert.raised_at), 'd.m.Y H:i')}",
            urgent=True,
        )
        for alert in alerts
    ]
