"""Fill the shared record fields from what the database already knows, and move the addenda.

- a struck-out reading: its audit row "infusion.vitals.entered_in_error" names the session
  and carries the reason; readings of one session with the same reason are paired with those
  rows in order. A reading without a matching row keeps its reason, who and when stay empty;
- a note was last changed when it was written, unless the audit trail says otherwise, and was
  signed by its author (only the author could sign: treatment.services.sign_session_note);
- every addendum of a session note moves to core.NoteAddendum, keeping author, text and time.
"""

from collections import defaultdict

from django.db import migrations


def _note_type(apps):
    content_type = apps.get_model("contenttypes", "ContentType")
    return content_type.objects.get_or_create(app_label="treatment", model="sessionnote")[0]


def _strike_outs(apps):
    audit_event = apps.get_model("core", "AuditEvent")
    vitals = apps.get_model("treatment", "VitalSigns")
    struck = defaultdict(list)
    for row in (
        vitals.objects.filter(entered_in_error=True, struck_out_at__isnull=True)
        .select_related("session")
        .order_by("pk")
    ):
        struck[(str(row.session.public_id), row.strike_out_reason[:500])].append(row)
    for (session_id, reason), rows in struck.items():
        events = audit_event.objects.filter(
            action="infusion.vitals.entered_in_error",
            object_type="treatment.infusionsession",
            object_id=session_id,
            reason=reason,
        ).order_by("seq")
        for row, event in zip(rows, events, strict=False):
            row.struck_out_at, row.struck_out_by_id = event.at, event.actor_id
            row.save(update_fields=["struck_out_at", "struck_out_by"])


def _notes(apps):
    audit_event = apps.get_model("core", "AuditEvent")
    note = apps.get_model("treatment", "SessionNote")
    for row in note.objects.all():
        edited = (
            audit_event.objects.filter(
                action="note.edited",
                object_type="treatment.sessionnote",
                object_id=str(row.public_id),
            )
            .order_by("-seq")
            .values_list("at", flat=True)
            .first()
        )
        row.updated_at = edited or row.created_at
        row.signed_by_id = row.author_id if row.signed_at else None
        row.save(update_fields=["updated_at", "signed_by"])


def forwards(apps, schema_editor):
    _strike_outs(apps)
    _notes(apps)
    old = apps.get_model("treatment", "NoteAddendum")
    new = apps.get_model("core", "NoteAddendum")
    if old.objects.exists():
        note_type = _note_type(apps)
        new.objects.bulk_create(
            new(note_type=note_type, note_id=a.note_id, author_id=a.by_id, text=a.text, added_at=a.at)
            for a in old.objects.order_by("at", "pk")
        )


def backwards(apps, schema_editor):
    old = apps.get_model("treatment", "NoteAddendum")
    new = apps.get_model("core", "NoteAddendum")
    moved = new.objects.filter(note_type=_note_type(apps)).order_by("added_at", "pk")
    old.objects.bulk_create(
        old(note_id=a.note_id, by_id=a.author_id, text=a.text, at=a.added_at) for a in moved
    )
    moved.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("treatment", "0006_shared_strike_out_and_signed_note"),
        ("core", "0006_note_addendum"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
