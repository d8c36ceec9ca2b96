import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0004_course_window_required"),
        ("scheduling", "0003_add_session_ended_event"),
    ]

    operations = [
        migrations.AddField(
            model_name="series",
            name="course",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="series",
                to="courses.course",
                verbose_name="course",
            ),
        ),
    ]
