"""Database triggers that make a table append-only, on SQLite and on PostgreSQL.

Models opt in with the class attribute `APPEND_ONLY = True`; their migration calls `protect()`.
On SQLite, `INSERT OR REPLACE` deletes the old row without firing a DELETE trigger, so a BEFORE
INSERT guard refuses any insert that would collide with an existing row (security.md §4.4).
"""

from django.apps import apps
from django.db.models import UniqueConstraint

MESSAGE = "append-only table: rows cannot be changed or removed"


def append_only_tables() -> list[str]:
    return sorted(m._meta.db_table for m in apps.get_models() if getattr(m, "APPEND_ONLY", False))


def _collision(columns: str | tuple[str, ...]) -> str:
    if isinstance(columns, str):
        return f"{columns} = NEW.{columns}"
    return "(" + " AND ".join(f"{col} = NEW.{col}" for col in columns) + ")"


def _sqlite_statements(table: str, unique_columns) -> list[str]:
    """`unique_columns` lists a column name per unique column and a tuple per unique set."""
    collision = " OR ".join(_collision(cols) for cols in ["id", *unique_columns])
    return [
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_replace BEFORE INSERT ON {table} "
        f"WHEN EXISTS (SELECT 1 FROM {table} WHERE {collision}) "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
    ]


def _postgres_statements(table: str) -> list[str]:
    return [
        "CREATE OR REPLACE FUNCTION clinic_forbid_change() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN RAISE EXCEPTION '{MESSAGE} (%)', TG_TABLE_NAME; END $$",
        f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}",
        f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION clinic_forbid_change()",
        f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION clinic_forbid_change()",
    ]


def _run(connection, statements) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def protect(connection, table: str, unique_columns: list) -> None:
    """Install the triggers (migrations call this with `schema_editor.connection`)."""
    vendor = connection.vendor
    if vendor == "sqlite":
        statements = _sqlite_statements(table, unique_columns)
    elif vendor == "postgresql":
        statements = _postgres_statements(table)
    else:
        raise NotImplementedError(f"append-only triggers for {vendor}")
    _run(connection, statements)


def unprotect(connection, table: str) -> None:
    """Remove the triggers: for the owner's flush and for tests that simulate tampering."""
    if connection.vendor == "sqlite":
        suffixes = ("no_update", "no_delete", "no_replace")
        _run(connection, [f"DROP TRIGGER IF EXISTS {table}_{suffix}" for suffix in suffixes])
    elif connection.vendor == "postgresql":
        _run(
            connection,
            [
                f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}",
                f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
            ],
        )


def unique_columns_of(table: str) -> list:
    for model in apps.get_models():
        if model._meta.db_table == table:
            single = [f.column for f in model._meta.local_fields if f.unique and not f.primary_key]
            sets = [
                tuple(model._meta.get_field(name).column for name in constraint.fields)
                for constraint in model._meta.constraints
                if isinstance(constraint, UniqueConstraint) and constraint.condition is None
            ]
            return [*single, *sets]
    return []
