from datetime import timedelta

from django.utils import timezone

from clinic.accounts.models import User
from clinic.courses.models import Course, CourseStatusChange


def make_care_course(
    patient,
    *,
    opened_days_ago=30,
    condition="trd",
    indication="Курс",
    modality="monitoring",
    planned_sessions=None,
    physician=None,
):
    """A course of care as it stands after approval (test data, written directly)."""
    physician = physician or User.objects.system_actor()
    approved_at = timezone.now() - timedelta(days=opened_days_ago)
    course = Course.objects.create(
        patient=patient,
        site_id=patient.home_site_id,
        condition=condition,
        indication=indication,
        modality=modality,
        planned_sessions=planned_sessions,
        approved_by=physician,
        approved_at=approved_at,
        responsible_physician=physician,
        opened_on=timezone.localdate(approved_at),
    )
    CourseStatusChange.objects.create(course=course, status="active", at=approved_at, by=physician)
    return course
