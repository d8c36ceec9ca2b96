"""Vital signs and session notes take the shared fields of clinic.core.records.

The reason kept by a struck-out reading is renamed, not copied; who and when, the signer and
the time a note was last changed are filled by the next migration.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def _user():
    return models.ForeignKey(
        blank=True,
        null=True,
        on_delete=django.db.models.deletion.PROTECT,
        related_name="+",
        to=settings.AUTH_USER_MODEL,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("treatment", "0005_sessions_belong_to_courses"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameField("vitalsigns", "error_reason", "strike_out_reason"),
        migrations.AlterField(
            "vitalsigns",
            "strike_out_reason",
            models.CharField(blank=True, max_length=500, verbose_name="reason"),
        ),
        migrations.AddField(
            "vitalsigns", "struck_out_at", models.DateTimeField(blank=True, null=True)
        ),
        migrations.AddField("vitalsigns", "struck_out_by", _user()),
        migrations.AlterField(
            "vitalsigns",
            "entered_in_error",
            models.BooleanField(default=False, verbose_name="entered in error"),
        ),
        migrations.AddField("sessionnote", "signed_by", _user()),
        migrations.AddField(
            "sessionnote", "updated_at", models.DateTimeField(default=django.utils.timezone.now)
        ),
        migrations.AlterField(
            "sessionnote",
            "signed_at",
            models.DateTimeField(blank=True, null=True, verbose_name="signed"),
        ),
    ]
