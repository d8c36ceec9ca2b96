"""No two active appointments may overlap for one practitioner, one room or one patient.

PostgreSQL enforces it with exclusion constraints over the blocked interval (btree_gist lets
the integer key and the range share one GiST index). They are created here, guarded by the
vendor, because an ExclusionConstraint in Meta breaks SQLite migrations (stack.md). On
SQLite the booking service applies the same rule inside IMMEDIATE transactions.
Cancelled appointments do not count; an offer on hold does, until it is released.
"""

from django.db import migrations

CONSTRAINTS = {
    "appt_no_practitioner_overlap": (
        "practitioner_id WITH =, tstzrange(blocked_from, blocked_until, '[)') WITH &&",
        "status <> 'cancelled'",
    ),
    "appt_no_room_overlap": (
        "room_id WITH =, tstzrange(blocked_from, blocked_until, '[)') WITH &&",
        "status <> 'cancelled' AND room_id IS NOT NULL",
    ),
    "appt_no_patient_overlap": (
        "patient_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&",
        "status <> 'cancelled'",
    ),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    for name, (elements, condition) in CONSTRAINTS.items():
        schema_editor.execute(
            f"ALTER TABLE scheduling_appointment ADD CONSTRAINT {name} "
            f"EXCLUDE USING gist ({elements}) WHERE ({condition})"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in CONSTRAINTS:
        schema_editor.execute(f"ALTER TABLE scheduling_appointment DROP CONSTRAINT {name}")


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
