"""Fill the shared record fields from what the database already knows, and move the addenda.

- who struck an entry out, when and why: the audit row "patient.entry.struck_out" names the
  entry by its public id (the reason of a measurement was kept only there);
- who signed a note: only its author could sign (patients.services.sign_note);
- every addendum of a clinical note moves to core.NoteAddendum, keeping author, text and time.
"""

from django.db import migrations

STRUCK = ["AntidepressantTrial", "Medication", "BodyMeasurement", "BloodPressure"]


def _note_type(apps):
    content_type = apps.get_model("contenttypes", "ContentType")
    return content_type.objects.get_or_create(app_label="patients", model="clinicalnote")[0]


def forwards(apps, schema_editor):
    audit_event = apps.get_model("core", "AuditEvent")
    for name in STRUCK:
        model = apps.get_model("patients", name)
        for row in model.objects.filter(entered_in_error=True, struck_out_at__isnull=True):
            event = (
                audit_event.objects.filter(
                    action="patient.entry.struck_out",
                    object_type=f"patients.{name.lower()}",
                    object_id=str(row.public_id),
                )
                .order_by("seq")
                .first()
            )
            if event is None:
                continue
            row.struck_out_at, row.struck_out_by_id = event.at, event.actor_id
            row.strike_out_reason = row.strike_out_reason or event.reason
            row.save(update_fields=["struck_out_at", "struck_out_by", "strike_out_reason"])

    note = apps.get_model("patients", "ClinicalNote")
    for row in note.objects.filter(signed_at__isnull=False, signed_by__isnull=True):
        row.signed_by_id = row.author_id
        row.save(update_fields=["signed_by"])

    old = apps.get_model("patients", "NoteAddendum")
    new = apps.get_model("core", "NoteAddendum")
    if old.objects.exists():
        note_type = _note_type(apps)
        new.objects.bulk_create(
            new(
                note_type=note_type,
                note_id=a.note_id,
                author_id=a.author_id,
                text=a.text,
                added_at=a.added_at,
            )
            for a in old.objects.order_by("added_at", "pk")
        )


def backwards(apps, schema_editor):
    old = apps.get_model("patients", "NoteAddendum")
    new = apps.get_model("core", "NoteAddendum")
    moved = new.objects.filter(note_type=_note_type(apps)).order_by("added_at", "pk")
    old.objects.bulk_create(
        old(note_id=a.note_id, author_id=a.author_id, text=a.text, added_at=a.added_at)
        for a in moved
    )
    moved.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0008_shared_strike_out_and_signed_by"),
        ("core", "0006_note_addendum"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
