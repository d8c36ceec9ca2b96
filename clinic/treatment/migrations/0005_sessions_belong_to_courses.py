# Sessions and notes point at `courses.Course`; the foreign keys already reference its table
# (renamed in 0004), so only Django's state changes here.
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0001_initial"),
        ("treatment", "0004_course_table_moves_to_courses"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="infusionsession",
                    name="course",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="infusions", to="courses.course"),
                ),
                migrations.AlterField(
                    model_name="tessession",
                    name="course",
                    field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="tes_sessions", to="courses.course"),
                ),
                migrations.AlterField(
                    model_name="sessionnote",
                    name="course",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="notes", to="courses.course"),
                ),
                migrations.DeleteModel(name="TreatmentCourse"),
            ],
            database_operations=[],
        )
    ]
