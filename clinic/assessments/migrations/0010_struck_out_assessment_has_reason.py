from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("assessments", "0009_flag_struck_out_assessments")]

    operations = [
        migrations.AddConstraint(
            model_name="assessment",
            constraint=models.CheckConstraint(
                condition=~models.Q(status="entered_in_error")
                | (models.Q(entered_in_error=True) & ~models.Q(strike_out_reason="")),
                name="entered_in_error_has_reason",
            ),
        ),
    ]
