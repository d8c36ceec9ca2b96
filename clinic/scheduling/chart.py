"""The patient chart's visits section and its "next visit" fact (see patients/chart.py)."""

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from clinic.accounts.roles import CLINICAL_ROLES
from clinic.patients.access import can_read_demographics
from clinic.patients.chart import ChartSection, TimelineItem
from clinic.scheduling.models import Appointment
from clinic.scheduling.selectors import history_for_patient, upcoming_for_patient

PAST_SHOWN = 10


def visits(patient, user):
    """Upcoming visits and the latest past ones; reception sees this part of the chart too."""
    if not can_read_demographics(user, patient):
        return None
    upcoming = upcoming_for_patient(patient, limit=10)
    now = timezone.now()
    past = list(history_for_patient(patient).filter(starts_at__lt=now)[:PAST_SHOWN])
    timeline = [
        TimelineItem(
            a.starts_at,
            "visit",
            _("%(visit)s (%(status)s)")
            % {"visit": a.visit_type.name, "status": a.get_status_display()},
            reverse("scheduling:appointment", args=[a.public_id]),
        )
        for a in past
        if a.status != Appointment.Status.CANCELLED
    ]
    return ChartSection(
        "visits",
        _("Visits"),
        "scheduling/_chart_section.html",
        {"upcoming": upcoming, "past": past, "can_book": user.has_role(*CLINICAL_ROLES)},
        timeline,
    )


def next_visit(patient, user):
    """(label, value) for the chart's summary line."""
    if not can_read_demographics(user, patient):
        return None
    upcoming = upcoming_for_patient(patient, limit=1)
    if not upcoming:
        return None
    visit = upcoming[0]
    when = formats.date_format(timezone.localtime(visit.starts_at), "d.m.Y H:i")
    return (_("Next visit"), f"{when}, {visit.visit_type.name}")
