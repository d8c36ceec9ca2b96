"""Sessions point at their scheduled visit: the placeholder UUIDs become foreign keys.

Existing references are copied by matching the appointment's public id; a reference that
matches no appointment (typed by hand before scheduling existed) is dropped.
"""

import django.db.models.deletion
from django.db import migrations, models

MODELS = ("InfusionSession", "TesSession", "SessionNote")


def copy_references(apps, schema_editor):
    Appointment = apps.get_model("scheduling", "Appointment")
    for name in MODELS:
        model = apps.get_model("treatment", name)
        rows = model.objects.filter(appointment_public_id__isnull=False)
        wanted = set(rows.values_list("appointment_public_id", flat=True))
        found = dict(
            Appointment.objects.filter(public_id__in=wanted).values_list("public_id", "pk")
        )
        taken = set()
        for row in rows.order_by("pk"):
            pk = found.get(row.appointment_public_id)
            # One infusion or TES session per appointment: a second claim stays unlinked.
            if pk is None or (name != "SessionNote" and pk in taken):
                continue
            taken.add(pk)
            model.objects.filter(pk=row.pk).update(appointment_id=pk)


def copy_back(apps, schema_editor):
    Appointment = apps.get_model("scheduling", "Appointment")
    for name in MODELS:
        model = apps.get_model("treatment", name)
        ids = dict(Appointment.objects.values_list("pk", "public_id"))
        for row in model.objects.filter(appointment__isnull=False):
            model.objects.filter(pk=row.pk).update(appointment_public_id=ids[row.appointment_id])


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0002_no_double_booking"),
        ("treatment", "0002_interaction_rules"),
    ]

    operations = [
        migrations.AddField(
            model_name="infusionsession",
            name="appointment",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="infusion_session",
                to="scheduling.appointment",
            ),
        ),
        migrations.AddField(
            model_name="tessession",
            name="appointment",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="tes_session",
                to="scheduling.appointment",
            ),
        ),
        migrations.AddField(
            model_name="sessionnote",
            name="appointment",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="session_notes",
                to="scheduling.appointment",
            ),
        ),
        migrations.RunPython(copy_references, copy_back),
        migrations.RemoveField(model_name="infusionsession", name="appointment_public_id"),
        migrations.RemoveField(model_name="tessession", name="appointment_public_id"),
        migrations.RemoveField(model_name="sessionnote", name="appointment_public_id"),
    ]
