"""Demo score histories: responders, a non-responder, one safety alert waiting. Idempotent."""

from datetime import timedelta

from django.utils import timezone

from clinic.accounts.models import User
from clinic.accounts.roles import Role
from clinic.assessments import services
from clinic.assessments.models import Assessment, OnDutyPhysician, Schedule
from clinic.courses.models import Course, Modality
from clinic.courses.services import open_course
from clinic.patients.models import Patient

# record number -> (course title, condition, [(scale, days ago, answers), ...])
HISTORIES = {
    "K-0001": (  # responds and remits
        "Курс кетаміну 1",
        "trd",
        [
            ("phq9", 56, [3, 3, 3, 2, 2, 3, 2, 2, 0]),
            ("madrs", 56, [4, 4, 3, 4, 3, 3, 4, 3, 3, 1]),
            ("phq9", 42, [2, 2, 2, 2, 1, 2, 2, 2, 0]),
            ("phq9", 28, [1, 1, 1, 1, 1, 1, 1, 1, 0]),
            ("madrs", 28, [2, 2, 2, 2, 1, 2, 2, 2, 2, 0]),
            ("phq9", 14, [1, 1, 1, 1, 0, 1, 0, 1, 0]),
            ("phq9", 1, [1, 0, 1, 1, 0, 0, 1, 0, 0]),
            ("madrs", 1, [1, 1, 1, 1, 0, 1, 1, 1, 1, 0]),
        ],
    ),
    "K-0002": (  # does not respond
        "Курс кетаміну 1",
        "trd",
        [
            ("phq9", 49, [3, 2, 3, 2, 2, 2, 2, 2, 0]),
            ("phq9", 35, [3, 2, 2, 2, 2, 2, 2, 2, 0]),
            ("phq9", 21, [2, 2, 2, 2, 2, 2, 2, 2, 1]),
            ("phq9", 7, [3, 2, 2, 2, 2, 2, 2, 2, 0]),
        ],
    ),
    "K-0003": (  # postpartum; the newest PHQ-9 has item 9 positive: an alert waits
        "Перинатальний курс",
        "perinatal",
        [
            ("epds", 30, [2, 2, 1, 2, 1, 1, 1, 1, 2, 3]),
            ("phq9", 30, [2, 2, 2, 2, 2, 2, 1, 1, 0]),
            ("phq9", 14, [2, 2, 2, 1, 2, 2, 1, 1, 0]),
            ("phq9", 0, [2, 2, 2, 2, 1, 2, 1, 1, 1]),
        ],
    ),
    "L-0001": (  # PTSD, responds
        "Курс кетаміну та психотерапії",
        "ptsd",
        [
            ("pcl5", 60, [3] * 10 + [2] * 10),
            ("pcl5", 30, [2] * 10 + [2, 1] * 5),
            ("pcl5", 2, [1] * 16 + [2] * 4),
        ],
    ),
    "L-0002": (
        "Курс психотерапії",
        "anxiety",
        [("gad7", 40, [3, 2, 2, 2, 2, 2, 2]), ("gad7", 10, [2, 2, 1, 2, 1, 2, 1])],
    ),
}


def _course_of_care(patient, title, condition, *, actor) -> Course:
    """The patient's active course (the treatment demo approves the ketamine ones), or a
    psychotherapy course approved by the site's physician."""
    course = Course.objects.filter(patient=patient).active().order_by("pk").first()
    if course is not None:
        return course
    physician = (
        User.objects.filter(groups__name=Role.PHYSICIAN, sites=patient.home_site)
        .order_by("pk")
        .first()
    )
    return open_course(
        patient,
        modality=Modality.PSYCHOTHERAPY,
        indication=title,
        condition=condition,
        planned_sessions=10,
        actor=physician,
    )


def load_demo(*, actor, sites):
    """Add the demo histories, schedules and on-duty rota once; a second run adds nothing."""
    today = timezone.localdate()
    patients = Patient.objects.in_bulk(HISTORIES, field_name="record_number")
    if Assessment.objects.filter(patient__in=patients.values()).exists():
        return
    for number, (title, condition, rows) in HISTORIES.items():
        patient = patients.get(number)
        if patient is None:
            continue
        first_day = max(days for _code, days, _answers in rows)
        course = _course_of_care(patient, title, condition, actor=actor)
        # Demo history: the course began before its first (baseline) score.
        began = timezone.now() - timedelta(days=first_day + 1)
        Course.objects.filter(pk=course.pk).update(
            opened_on=timezone.localdate(began), approved_at=began, condition=condition
        )
        course.history.filter(status=Course.Status.ACTIVE).update(at=began)
        for code, days_ago, answers in rows:
            # Demo history: each entry stands for one its clinician confirmed at the time.
            assessment = services.record_assessment(
                patient, code, answers, actor=actor, course=course, safety_confirmed=True
            )
            # Demo history: the scores are dated back to when they would have been taken.
            at = timezone.now() - timedelta(days=days_ago, hours=2)
            Assessment.objects.filter(pk=assessment.pk).update(completed_at=at, created_at=at)
            if days_ago:
                # Past alerts were dealt with at the time; only today's is left waiting.
                alert = getattr(assessment, "alert", None)
                if alert is not None:
                    services.acknowledge_alert(
                        alert,
                        action_taken="Телефонна розмова, план безпеки переглянуто.",
                        actor=actor,
                    )
    for code, kind, visit_type, interval, condition in (
        ("phq9", Schedule.Kind.BEFORE_VISIT, "ketamine_infusion", None, ""),
        ("phq9", Schedule.Kind.EVERY_N_DAYS, "", 7, "trd"),
        ("pcl5", Schedule.Kind.EVERY_N_DAYS, "", 30, "ptsd"),
        ("gad7", Schedule.Kind.EVERY_N_DAYS, "", 14, "anxiety"),
    ):
        if not Schedule.objects.filter(code=code, kind=kind, condition=condition).exists():
            services.create_schedule(
                actor=actor,
                code=code,
                kind=kind,
                visit_type_code=visit_type,
                interval_days=interval,
                condition=condition,
                reminder_after_hours=24,
            )
    for site in sites.values():
        physician = (
            User.objects.filter(sites=site, groups__name=Role.PHYSICIAN.value, is_active=True)
            .order_by("pk")
            .first()
        )
        if physician and not OnDutyPhysician.objects.filter(site=site).exists():
            services.add_on_duty(
                site=site,
                physician=physician,
                starts_on=today,
                ends_on=today + timedelta(days=30),
                actor=actor,
            )
