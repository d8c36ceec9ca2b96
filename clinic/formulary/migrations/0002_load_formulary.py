from django.db import migrations


def load(apps, schema_editor):
    from clinic.formulary.defaults import load_formulary

    load_formulary(apps)


class Migration(migrations.Migration):
    dependencies = [("formulary", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
