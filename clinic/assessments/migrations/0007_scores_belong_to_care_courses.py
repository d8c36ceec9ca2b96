# The measurement-only course is gone: scores point at the course of care.
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("assessments", "0006_merge_courses_into_care_courses")]

    operations = [
        migrations.RemoveField(model_name="assessment", name="course"),
        migrations.DeleteModel(name="Course"),
        migrations.RenameField(model_name="assessment", old_name="care_course", new_name="course"),
        migrations.AlterField(
            model_name="assessment",
            name="course",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="assessments",
                to="courses.course",
                verbose_name="course",
            ),
        ),
    ]
