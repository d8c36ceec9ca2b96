# Each measurement window (`assessments.Course`) merges into the course of care of the same
# patient whose dates overlap it (the closest by start when several do). A window that no
# plan matches becomes a follow-up course of its own, and the migration says so. Scores
# outside any window join the course open on the day they were completed.
from django.db import migrations
from django.utils import timezone



def _overlaps(course, window):
    window_end = window.ended_on
    starts_before_end = window_end is None or course.opened_on <= window_end
    ends_after_start = course.closed_on is None or course.closed_on >= window.started_on
    return starts_before_end and ends_after_start


def merge(apps, schema_editor):
    Window = apps.get_model("assessments", "Course")
    Assessment = apps.get_model("assessments", "Assessment")
    Course = apps.get_model("courses", "Course")
    CourseStatusChange = apps.get_model("courses", "CourseStatusChange")
    Patient = apps.get_model("patients", "Patient")

    windows = list(Window.objects.order_by("patient_id", "started_on", "pk"))
    courses = {}
    for course in Course.objects.filter(patient_id__in={w.patient_id for w in windows}):
        courses.setdefault(course.patient_id, []).append(course)
    # Closest starts pair first, so a long open window cannot take a plan that a window
    # opened on the plan's own day would match.
    pairs = sorted(
        (abs((c.opened_on - w.started_on).days), w.pk, c.pk, w, c)
        for w in windows
        for c in courses.get(w.patient_id, [])
        if _overlaps(c, w)
    )
    match, taken = {}, set()
    for _distance, window_pk, course_pk, _window, course in pairs:
        if window_pk not in match and course_pk not in taken:
            match[window_pk] = course
            taken.add(course_pk)

    created = []
    for window in windows:
        course = match.get(window.pk)
        if course is not None:
            if course.condition == "unspecified" and window.condition != "unspecified":
                course.condition = window.condition
                course.save(update_fields=["condition"])
        else:
            patient = Patient.objects.get(pk=window.patient_id)
            closed = window.ended_on is not None
            course = Course.objects.create(
                patient_id=window.patient_id,
                site_id=patient.home_site_id,
                condition=window.condition,
                indication=window.title,
                modality="monitoring",
                planned_sessions=None,
                approved_by_id=window.created_by_id,
                approved_at=window.created_at,
                responsible_physician_id=window.created_by_id,
                opened_on=window.started_on,
                closed_on=window.ended_on,
                status="completed" if closed else "active",
            )
            CourseStatusChange.objects.create(
                course=course, status="active", at=window.created_at, by_id=window.created_by_id
            )
            if closed:
                CourseStatusChange.objects.create(
                    course=course,
                    status="completed",
                    at=window.created_at,
                    by_id=window.created_by_id,
                    reason="measurement window closed before courses were one record",
                )
            created.append((window.pk, window.patient_id, course.pk))
        Assessment.objects.filter(course_id=window.pk).update(care_course=course)

    # Scores taken while a plan was open, but outside any measurement window, are the plan's.
    for assessment in Assessment.objects.filter(care_course__isnull=True).iterator():
        day = timezone.localdate(assessment.completed_at or assessment.created_at)
        course = (
            Course.objects.filter(patient_id=assessment.patient_id, opened_on__lte=day)
            .exclude(closed_on__lt=day)
            .order_by("-opened_on", "-pk")
            .first()
        )
        if course is not None:
            Assessment.objects.filter(pk=assessment.pk).update(care_course=course)

    for window_id, patient_id, course_id in created:
        print(
            f"\n  measurement window {window_id} (patient {patient_id}) matched no course of "
            f"care; it became follow-up course {course_id}",
            end="",
        )


class Migration(migrations.Migration):
    dependencies = [("assessments", "0005_assessment_care_course")]

    operations = [migrations.RunPython(merge, migrations.RunPython.noop)]
