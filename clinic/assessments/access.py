"""The only way a view obtains this app's objects. Another site's object answers 404 (and the
attempt on a patient's record is audited), as patients/access.py does."""

from django.http import Http404

from clinic.assessments.models import Assessment, OnDutyPhysician, SafetyAlert, Schedule
from clinic.core.audit import audit
from clinic.core.models import AuditEvent


def _refuse(user, action, patient):
    audit(
        user, action, patient, outcome=AuditEvent.Outcome.DENIED, reason="patient of another site"
    )
    raise Http404


def get_assessment_for(user, public_id) -> Assessment:
    """An assessment of a patient at one of the user's sites (the view checks the role)."""
    assessment = (
        Assessment.objects.select_related(
            "patient", "patient__home_site", "site", "entered_by", "reviewed_by"
        )
        .filter(public_id=public_id)
        .first()
    )
    if assessment is None:
        raise Http404
    if assessment.patient.home_site_id not in user.site_ids:
        _refuse(user, "assessment.viewed", assessment.patient)
    return assessment


def get_alert_for(user, public_id) -> SafetyAlert:
    """A safety alert raised at one of the user's sites."""
    alert = (
        SafetyAlert.objects.select_related(
            "patient", "site", "assessment", "acknowledged_by", "escalated_to"
        )
        .filter(public_id=public_id)
        .first()
    )
    if alert is None:
        raise Http404
    if alert.site_id not in user.site_ids:
        _refuse(user, "assessment.alert.viewed", alert.patient)
    return alert


def get_schedule_for(user, public_id) -> Schedule:
    """A schedule for all sites, or for one of the user's."""
    schedule = Schedule.objects.select_related("site").filter(public_id=public_id).first()
    if schedule is None or (schedule.site_id is not None and schedule.site_id not in user.site_ids):
        raise Http404
    return schedule


def get_on_duty_for(user, public_id) -> OnDutyPhysician:
    entry = (
        OnDutyPhysician.objects.select_related("site", "physician")
        .filter(public_id=public_id)
        .first()
    )
    if entry is None or entry.site_id not in user.site_ids:
        raise Http404
    return entry
