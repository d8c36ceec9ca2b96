"""Make the register append-only in the database itself (security.md §4.1, §4.4).

Entries, counts, count lines, resolutions and anchors refuse UPDATE and DELETE (and TRUNCATE on
PostgreSQL) for every role, the owner included; the application role additionally gets only
SELECT and INSERT from `grant_app_role`. On SQLite, INSERT OR REPLACE would delete a row without
firing the DELETE trigger, so inserts that collide with an existing key are refused as well,
including the composite keys (holding, seq) and (holding, day).
"""

from django.db import migrations

from clinic.core import append_only

# table -> single-column unique keys (besides id)
TABLES = {
    "controlled_drugs_ledgerentry": ["public_id", "reverses_id"],
    "controlled_drugs_stockcount": ["public_id"],
    "controlled_drugs_stockcountline": ["adjustment_id"],
    "controlled_drugs_discrepancyresolution": ["line_id"],
    "controlled_drugs_ledgeranchor": [],
}
COMPOSITE_KEYS = {
    "controlled_drugs_ledgerentry": ("holding_id", "seq"),
    "controlled_drugs_ledgeranchor": ("holding_id", "day"),
}


def _composite_trigger(table, columns):
    match = " AND ".join(f"{c} = NEW.{c}" for c in columns)
    return (
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_replace_key BEFORE INSERT ON {table} "
        f"WHEN EXISTS (SELECT 1 FROM {table} WHERE {match}) "
        f"BEGIN SELECT RAISE(ABORT, '{append_only.MESSAGE}'); END"
    )


def protect(apps, schema_editor):
    connection = schema_editor.connection
    for table, unique_columns in TABLES.items():
        append_only.protect(connection, table, unique_columns)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for table, columns in COMPOSITE_KEYS.items():
                cursor.execute(_composite_trigger(table, columns))


def unprotect(apps, schema_editor):
    connection = schema_editor.connection
    for table in TABLES:
        append_only.unprotect(connection, table)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for table in COMPOSITE_KEYS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_replace_key")


class Migration(migrations.Migration):
    dependencies = [("controlled_drugs", "0001_initial")]
    operations = [migrations.RunPython(protect, unprotect)]
