from django.db import migrations, models


class Migration(migrations.Migration):
    """A waitlist event is a status-history row (clinic.core.records.StatusHistory): note -> reason."""

    dependencies = [("scheduling", "0004_series_course")]

    operations = [
        migrations.RenameField("waitlistevent", "note", "reason"),
        migrations.AlterField(
            "waitlistevent", "reason", models.CharField(blank=True, max_length=500)
        ),
    ]
