"""Strike-out and signed notes take the shared fields of clinic.core.records.

The reason already kept by trials and medicines is renamed, not copied, so no row loses it;
who and when are filled from the audit trail by the next migration.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

STRUCK = ["antidepressanttrial", "medication", "bodymeasurement", "bloodpressure"]


def _who_and_when(model_name):
    return [
        migrations.AddField(
            model_name=model_name,
            name="struck_out_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name=model_name,
            name="struck_out_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name=model_name,
            name="entered_in_error",
            field=models.BooleanField(default=False, verbose_name="entered in error"),
        ),
    ]


REASON = models.CharField(blank=True, max_length=500, verbose_name="reason")


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0007_prior_treatment"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameField("antidepressanttrial", "error_reason", "strike_out_reason"),
        migrations.AlterField("antidepressanttrial", "strike_out_reason", REASON),
        migrations.RenameField("medication", "error_reason", "strike_out_reason"),
        migrations.AlterField("medication", "strike_out_reason", REASON),
        migrations.AddField("bodymeasurement", "strike_out_reason", REASON),
        migrations.AddField("bloodpressure", "strike_out_reason", REASON),
        *[op for model_name in STRUCK for op in _who_and_when(model_name)],
        migrations.AddField(
            model_name="clinicalnote",
            name="signed_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
    ]
