"""The redesign's data migration: rows of the old shape (a treatment plan, measurement
windows, scores) come out as courses of care with their windows, history and scores."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

KYIV = ZoneInfo("Europe/Kyiv")
OLD = [
    ("assessments", "0004_add_cadss6"),
    ("treatment", "0003_link_sessions_to_appointments"),
    ("patients", "0006_add_messenger_channels"),
    ("scheduling", "0003_add_session_ended_event"),
]

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("migrations")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_plans_and_measurement_windows_become_one_course_of_care():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    old = _migrate(OLD)
    try:
        Site = old.get_model("locations", "Site")
        User = old.get_model("accounts", "User")
        Patient = old.get_model("patients", "Patient")
        Plan = old.get_model("treatment", "TreatmentCourse")
        Window = old.get_model("assessments", "Course")
        Assessment = old.get_model("assessments", "Assessment")
        site = Site.objects.create(code="kyiv", name="Київ")
        doctor = User.objects.create(email="doc@example.org", full_name="Лікар")
        patient = Patient.objects.create(
            home_site=site, record_number="K-1", family_name="Коваль", given_name="Олена",
            birth_date=date(1990, 1, 1), created_by=doctor,
        )  # fmt: skip
        plan = Plan.objects.create(
            patient=patient, site=site, indication="ТРД", modality="psychotherapy",
            planned_sessions=6, approved_by=doctor,
            approved_at=datetime(2026, 3, 2, 10, tzinfo=KYIV), status="completed",
        )  # fmt: skip
        matched = Window.objects.create(
            patient=patient, title="Курс", condition="trd", started_on=date(2026, 3, 1),
            ended_on=date(2026, 4, 30), created_by=doctor,
        )  # fmt: skip
        lonely = Window.objects.create(
            patient=patient, title="Спостереження", condition="anxiety",
            started_on=date(2025, 1, 10), ended_on=None, created_by=doctor,
        )  # fmt: skip
        common = {
            "patient": patient, "site": site, "code": "phq9", "version": "1", "mode": "staff",
            "status": "completed", "answers": [0] * 9, "total": 0,
        }  # fmt: skip
        in_plan = Assessment.objects.create(
            course=matched, completed_at=datetime(2026, 3, 3, 9, tzinfo=KYIV), **common
        )
        in_lonely = Assessment.objects.create(
            course=lonely, completed_at=datetime(2025, 2, 1, 9, tzinfo=KYIV), **common
        )
        outside = Assessment.objects.create(
            course=None, completed_at=datetime(2026, 3, 20, 9, tzinfo=KYIV), **common
        )
        new = _migrate(latest)
        Course = new.get_model("courses", "Course")
        NewAssessment = new.get_model("assessments", "Assessment")

        assert Course.objects.count() == 2
        course = Course.objects.get(pk=plan.pk)
        assert (course.opened_on, course.closed_on) == (date(2026, 3, 2), date(2026, 3, 2))
        assert course.condition == "trd" and course.responsible_physician_id == doctor.pk
        assert list(course.history.values_list("status", flat=True)) == ["active", "completed"]
        follow_up = Course.objects.exclude(pk=plan.pk).get()
        assert follow_up.modality == "monitoring" and follow_up.indication == "Спостереження"
        assert (follow_up.opened_on, follow_up.status) == (date(2025, 1, 10), "active")
        assert NewAssessment.objects.get(pk=in_plan.pk).course_id == course.pk
        assert NewAssessment.objects.get(pk=in_lonely.pk).course_id == follow_up.pk
        # A score no window held joins the course open on its day: the plan closed on 2 March,
        # the follow-up course was still open on the 20th.
        assert NewAssessment.objects.get(pk=outside.pk).course_id == follow_up.pk
        assert new.get_model("patients", "PriorTreatment")._meta.db_table.endswith("priortreatment")
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
