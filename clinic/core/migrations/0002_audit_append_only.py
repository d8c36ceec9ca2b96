"""Make the audit trail append-only in the database itself (triggers on SQLite and PostgreSQL)."""

from django.db import migrations

from clinic.core import append_only

TABLE = "core_auditevent"


def protect(apps, schema_editor):
    append_only.protect(schema_editor.connection, TABLE, ["seq", "row_hash"])


def unprotect(apps, schema_editor):
    append_only.unprotect(schema_editor.connection, TABLE)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(protect, unprotect)]
