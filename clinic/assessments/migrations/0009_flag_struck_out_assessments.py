from django.db import migrations


def forwards(apps, schema_editor):
    assessment = apps.get_model("assessments", "Assessment")
    assessment.objects.filter(status="entered_in_error").update(entered_in_error=True)


class Migration(migrations.Migration):
    """Every assessment whose status says "entered in error" carries the shared flag."""

    dependencies = [("assessments", "0008_shared_strike_out")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
