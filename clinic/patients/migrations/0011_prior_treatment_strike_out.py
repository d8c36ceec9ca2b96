"""A treatment of the history strikes out like every other record (core.records.StrikeOut).

The reason it already kept is renamed, not copied; who and when stay empty for rows struck
out before, since the history row never kept them.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0010_delete_noteaddendum"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameField("priortreatment", "error_reason", "strike_out_reason"),
        migrations.AlterField(
            "priortreatment",
            "strike_out_reason",
            models.CharField(blank=True, max_length=500, verbose_name="reason"),
        ),
        migrations.AlterField(
            "priortreatment",
            "entered_in_error",
            models.BooleanField(default=False, verbose_name="entered in error"),
        ),
        migrations.AddField(
            model_name="priortreatment",
            name="struck_out_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="priortreatment",
            name="struck_out_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
    ]
