# What a patient was treated with before the clinic is history, not a course of care.
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("patients", "0006_add_messenger_channels")]

    operations = [
        migrations.RenameModel(old_name="TreatmentCourse", new_name="PriorTreatment"),
        migrations.AlterField(
            model_name="priortreatment",
            name="patient",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="prior_treatments",
                to="patients.patient",
            ),
        ),
    ]
