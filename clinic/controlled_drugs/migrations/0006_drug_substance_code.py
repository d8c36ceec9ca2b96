from django.db import migrations, models


def mark_ketamine(apps, schema_editor):
    """Drugs recognised until now by their INN ("ketamine", any case) get the substance code;
    their INN, the register's legal name, is left as entered."""
    Drug = apps.get_model("controlled_drugs", "Drug")
    for drug in Drug.objects.all():
        if drug.inn.strip().casefold() == "ketamine":
            drug.substance = "ketamine"
            drug.save(update_fields=["substance"])


class Migration(migrations.Migration):
    dependencies = [
        ("controlled_drugs", "0005_add_safe_count_interval"),
    ]

    operations = [
        migrations.AddField(
            model_name="drug",
            name="substance",
            field=models.CharField(
                blank=True,
                choices=[("ketamine", "Ketamine")],
                max_length=20,
                verbose_name="active substance",
            ),
        ),
        migrations.RunPython(mark_ketamine, migrations.RunPython.noop),
    ]
