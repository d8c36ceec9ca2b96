# The old retry columns go in a migration of their own: on PostgreSQL a table whose rows were
# just updated (with deferred foreign-key checks pending) cannot be altered in the same
# transaction.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0004_fiscal_receipts_through_outbox"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="fiscalreceipt",
            name="billing_fis_status_d2e710_idx",
        ),
        migrations.AlterField(
            model_name="fiscalreceipt",
            name="status",
            field=models.CharField(
                choices=[("pending", "Waiting to be registered"), ("registered", "Registered")],
                default="pending",
                max_length=10,
            ),
        ),
        migrations.RemoveField(
            model_name="fiscalreceipt",
            name="attempts",
        ),
        migrations.RemoveField(
            model_name="fiscalreceipt",
            name="last_error",
        ),
        migrations.RemoveField(
            model_name="fiscalreceipt",
            name="lease_until",
        ),
        migrations.RemoveField(
            model_name="fiscalreceipt",
            name="next_attempt_at",
        ),
    ]
