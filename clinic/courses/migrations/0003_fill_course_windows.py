# Existing plans get their measurement window and status history from what is on file:
# opened on the day of approval; a course already completed or stopped closes on the day of
# its last recorded session step (or of its approval, when it had none). The approving
# physician becomes the responsible physician.
from django.db import migrations
from django.db.models import Max
from django.utils import timezone

MIGRATED = "recorded before courses kept a status history"


def fill(apps, schema_editor):
    Course = apps.get_model("courses", "Course")
    CourseStatusChange = apps.get_model("courses", "CourseStatusChange")
    InfusionStatusChange = apps.get_model("treatment", "InfusionStatusChange")
    for course in Course.objects.order_by("pk").iterator():
        course.opened_on = timezone.localdate(course.approved_at)
        course.responsible_physician_id = course.approved_by_id
        CourseStatusChange.objects.create(
            course=course, status="active", at=course.approved_at, by_id=course.approved_by_id
        )
        if course.status != "active":
            last = InfusionStatusChange.objects.filter(session__course=course).aggregate(
                at=Max("at")
            )["at"]
            closed_at = max(last, course.approved_at) if last else course.approved_at
            course.closed_on = timezone.localdate(closed_at)
            CourseStatusChange.objects.create(
                course=course,
                status=course.status,
                at=closed_at,
                by_id=course.approved_by_id,
                reason=(course.status_reason or MIGRATED)[:500],
            )
        course.save(update_fields=["opened_on", "closed_on", "responsible_physician"])


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0002_course_of_care_fields"),
        ("treatment", "0005_sessions_belong_to_courses"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
