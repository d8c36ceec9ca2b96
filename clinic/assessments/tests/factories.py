"""Plain helpers for this app's tests."""

from datetime import timedelta

from django.utils import timezone

from clinic.accounts.models import User
from clinic.assessments import services
from clinic.assessments.models import Assessment
from clinic.assessments.selectors import settings_for
from clinic.courses.tests.factories import make_care_course


def make_assessment(patient, code="phq9", answers=None, *, days_ago=0, course=None, **fields):
    """A completed, staff-entered administration dated `days_ago` days back."""
    from clinic.assessments.instruments import get

    instrument = get(code)
    answers = answers if answers is not None else [0] * len(instrument.items)
    result = instrument.score(answers, settings_for(code).thresholds())
    at = timezone.now() - timedelta(days=days_ago)
    defaults = {
        "patient": patient,
        "site_id": patient.home_site_id,
        "code": code,
        "version": result.version,
        "mode": Assessment.Mode.STAFF,
        "status": Assessment.Status.COMPLETED,
        "answers": answers,
        "total": result.total,
        "band": result.band,
        "safety": bool(result.safety),
        "completed_at": at,
        "created_at": at,
        "course": course,
    }
    defaults.update(fields)
    return Assessment.objects.create(**defaults)


def phq9_with_total(total: int, item9: int = 0) -> list[int]:
    """PHQ-9 answers reaching `total`, item 9 set as given."""
    answers = [0] * 9
    answers[8] = item9
    remaining = total - item9
    for index in range(8):
        step = min(3, remaining)
        answers[index] = step
        remaining -= step
    assert remaining == 0, "total out of reach"
    return answers


def make_course(patient, *, started_days_ago=30, condition="trd", title="Курс кетаміну"):
    return make_care_course(
        patient, opened_days_ago=started_days_ago, condition=condition, indication=title
    )


def issue_link(patient, code="phq9", **kwargs):
    return services.issue_self_report_link(
        patient, code, actor=User.objects.system_actor(), **kwargs
    )
