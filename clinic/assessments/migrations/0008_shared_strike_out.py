"""An assessment struck out records it like every other record (clinic.core.records).

Who, when and why were kept already: renamed, not copied. The flag is set by the next
migration from the status, which stays for the assessment's own state machine.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0007_scores_belong_to_care_courses"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="assessment", name="entered_in_error_has_reason"),
        migrations.RenameField("assessment", "error_reason", "strike_out_reason"),
        migrations.RenameField("assessment", "marked_in_error_at", "struck_out_at"),
        migrations.RenameField("assessment", "marked_in_error_by", "struck_out_by"),
        migrations.AlterField(
            "assessment",
            "struck_out_by",
            models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            "assessment",
            "entered_in_error",
            models.BooleanField(default=False, verbose_name="entered in error"),
        ),
    ]
