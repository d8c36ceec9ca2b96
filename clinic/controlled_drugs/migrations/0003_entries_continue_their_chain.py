"""The database itself refuses an entry that does not continue its holding's chain.

The services already compute the next sequence number, the link to the previous hash and the
running balance under the holding's lock; this trigger makes the same rule hold for anyone who
inserts rows directly (security.md §4.1 lets the server decide them): the sequence stays
gap-free, each entry links to the one before, and the stored balance is the previous one plus
the change. Hashes themselves are checked by `verify_ledger`.
"""

from django.db import migrations

TABLE = "controlled_drugs_ledgerentry"
GENESIS = "0" * 64
MESSAGE = "ledger entry does not continue its chain"

# SQLite keeps these decimals as floating point numbers: compare balances to the tenth of a
# microgram rather than exactly.
SQLITE = f"""
CREATE TRIGGER IF NOT EXISTS {TABLE}_continues_chain BEFORE INSERT ON {TABLE}
WHEN NEW.seq != COALESCE((SELECT MAX(seq) FROM {TABLE} WHERE holding_id = NEW.holding_id), 0) + 1
  OR NEW.prev_hash != COALESCE((SELECT row_hash FROM {TABLE} WHERE holding_id = NEW.holding_id
                                ORDER BY seq DESC LIMIT 1), '{GENESIS}')
  OR ABS(NEW.balance_after_mg - NEW.change_mg
         - COALESCE((SELECT balance_after_mg FROM {TABLE} WHERE holding_id = NEW.holding_id
                     ORDER BY seq DESC LIMIT 1), 0)) > 0.0000001
BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
"""

POSTGRES = [
    f"""
CREATE OR REPLACE FUNCTION {TABLE}_continues_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE last {TABLE}%ROWTYPE;
BEGIN
  SELECT * INTO last FROM {TABLE} WHERE holding_id = NEW.holding_id ORDER BY seq DESC LIMIT 1;
  IF NEW.seq <> COALESCE(last.seq, 0) + 1
     OR NEW.prev_hash <> COALESCE(last.row_hash, '{GENESIS}')
     OR NEW.balance_after_mg <> COALESCE(last.balance_after_mg, 0) + NEW.change_mg THEN
    RAISE EXCEPTION '{MESSAGE} (holding %, seq %)', NEW.holding_id, NEW.seq
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$
""",
    f"DROP TRIGGER IF EXISTS {TABLE}_continues_chain ON {TABLE}",
    f"CREATE TRIGGER {TABLE}_continues_chain BEFORE INSERT ON {TABLE} "
    f"FOR EACH ROW EXECUTE FUNCTION {TABLE}_continues_chain()",
]


def install(apps, schema_editor):
    connection = schema_editor.connection
    statements = {"sqlite": [SQLITE], "postgresql": POSTGRES}.get(connection.vendor)
    if statements is None:
        raise NotImplementedError(connection.vendor)
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def remove(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_continues_chain")
        else:
            cursor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_continues_chain ON {TABLE}")
            cursor.execute(f"DROP FUNCTION IF EXISTS {TABLE}_continues_chain()")


class Migration(migrations.Migration):
    dependencies = [("controlled_drugs", "0002_register_append_only")]
    operations = [migrations.RunPython(install, remove)]
