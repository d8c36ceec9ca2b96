from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from clinic.accounts.roles import Role
from clinic.assessments.models import Assessment
from clinic.assessments.services import record_assessment
from clinic.conftest import make_patient
from clinic.core.models import AuditEvent
from clinic.courses import services
from clinic.courses.access import get_course_for, get_patient_course_for
from clinic.courses.models import Course, CourseStatusChange
from clinic.courses.tests.factories import make_care_course

PHQ9_MILD = [1, 1, 1, 1, 1, 1, 0, 0, 0]


@pytest.fixture
def patient(kyiv):
    return make_patient(kyiv, "K-0001")


@pytest.fixture
def physician(users):
    return users[(Role.PHYSICIAN, "kyiv")]


def _open(patient, actor, **fields):
    return services.open_course(
        patient,
        modality="psychotherapy",
        indication="Тривожний розлад",
        condition="anxiety",
        planned_sessions=10,
        actor=actor,
        **fields,
    )


def test_approving_a_course_opens_its_window_with_a_history_row_and_an_audit_row(
    patient, physician
):
    course = _open(patient, physician)
    assert course.opened_on == timezone.localdate() and course.closed_on is None
    assert course.responsible_physician == physician and course.site == patient.home_site
    assert [(h.status, h.by) for h in course.history.all()] == [("active", physician)]
    assert AuditEvent.objects.filter(action="course.approved", patient=patient).count() == 1


def test_only_a_physician_approves_a_course_and_a_refusal_writes_nothing(patient, users):
    with pytest.raises(services.CourseRefused):
        _open(patient, users[(Role.NURSE, "kyiv")])
    with pytest.raises(services.CourseRefused):
        # The responsible physician must work at the patient's site.
        _open(patient, users[(Role.PHYSICIAN, "kyiv")], responsible_physician=users[
            (Role.PHYSICIAN, "lviv")
        ])  # fmt: skip
    assert not Course.objects.exists() and not CourseStatusChange.objects.exists()
    assert not AuditEvent.objects.filter(action="course.approved").exists()


def test_closing_a_course_ends_its_window_and_keeps_the_history(patient, physician):
    course = _open(patient, physician)
    services.close_course(course, status="completed", reason="Курс завершено", actor=physician)
    course.refresh_from_db()
    assert course.status == "completed" and course.closed_on == timezone.localdate()
    assert [h.status for h in course.history.all()] == ["active", "completed"]
    assert AuditEvent.objects.filter(action="course.closed", patient=patient).count() == 1


def test_a_closed_course_cannot_be_closed_again_or_before_it_opened(patient, physician):
    course = _open(patient, physician)
    with pytest.raises(services.CourseRefused):
        services.close_course(
            course,
            status="stopped",
            reason="x",
            actor=physician,
            closed_on=course.opened_on - timedelta(days=1),
        )
    services.close_course(course, status="completed", reason="done", actor=physician)
    with pytest.raises(services.CourseRefused):
        services.close_course(course, status="stopped", reason="again", actor=physician)
    course.refresh_from_db()
    assert course.status == "completed"
    assert course.history.count() == 2
    assert AuditEvent.objects.filter(action="course.closed").count() == 1


def test_scores_belong_to_the_course_open_on_their_day_and_not_after_it_closed(patient, physician):
    course = _open(patient, physician)
    inside = record_assessment(patient, "phq9", PHQ9_MILD, actor=physician)
    assert inside.course == course
    services.close_course(course, status="completed", reason="done", actor=physician)
    Course.objects.filter(pk=course.pk).update(
        opened_on=course.opened_on - timedelta(days=10),
        closed_on=course.opened_on - timedelta(days=1),
    )
    after = record_assessment(patient, "phq9", PHQ9_MILD, actor=physician)
    assert after.course is None
    assert Assessment.objects.filter(course=course).count() == 1


def test_treating_staff_of_the_site_see_a_course_and_other_sites_get_an_audited_404(patient, users):
    course = make_care_course(patient)
    assert get_course_for(users[(Role.NURSE, "kyiv")], course.public_id) == course
    with pytest.raises(Http404):
        get_course_for(users[(Role.PHYSICIAN, "lviv")], course.public_id)
    assert AuditEvent.objects.filter(action="course.viewed", outcome="denied").count() == 1
    with pytest.raises(PermissionDenied):
        get_course_for(users[(Role.RECEPTIONIST, "kyiv")], course.public_id)


def test_booking_staff_reach_a_course_only_through_its_own_patient(patient, kyiv, users):
    course = make_care_course(patient)
    reception = users[(Role.RECEPTIONIST, "kyiv")]
    assert get_patient_course_for(reception, patient, course.public_id) == course
    with pytest.raises(Http404):
        get_patient_course_for(reception, make_patient(kyiv, "K-0002"), course.public_id)
