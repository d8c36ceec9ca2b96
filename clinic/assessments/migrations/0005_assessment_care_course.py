# Scores will belong to the course of care; the new link is filled by 0006 and replaces the
# measurement-only course in 0007.
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0004_add_cadss6"),
        ("courses", "0003_fill_course_windows"),
    ]

    operations = [
        migrations.AddField(
            model_name="assessment",
            name="care_course",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="courses.course",
            ),
        ),
    ]
