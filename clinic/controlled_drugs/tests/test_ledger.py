"""The register cannot be quietly changed: the database refuses, the verifier notices."""

import sqlite3
import threading
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction

from clinic.accounts.models import SYSTEM_EMAIL
from clinic.accounts.roles import Role
from clinic.conftest import make_patient, make_user
from clinic.controlled_drugs import services
from clinic.controlled_drugs.ledger import record_anchors, verify_ledger
from clinic.controlled_drugs.models import (
    Holding,
    LedgerAnchor,
    LedgerEntry,
    StockCount,
)
from clinic.controlled_drugs.tests.factories import make_drug, make_safe, receive
from clinic.core import append_only
from clinic.core.models import AuditEvent

D = Decimal
TABLE = "controlled_drugs_ledgerentry"


@pytest.fixture
def chain(officer, nurse, lot, kyiv):
    """A lot with four entries: receipt 500, then three administrations of 100 drawn."""
    patient = make_patient(kyiv, "K-9")
    for _ in range(3):
        services.record_administration(
            lot=lot, patient=patient, drawn_mg=D("100"), administered_mg=D("100"), actor=nurse
        )
    return Holding.objects.get(lot=lot)


def tamper(sql, params=()):
    """What someone with the database owner's rights could do: lift the triggers, edit rows."""
    append_only.unprotect(connection, TABLE)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def holding_id(chain):
    return chain.pk


# The database refuses ---------------------------------------------------------------------


@pytest.mark.django_db
def test_entries_cannot_be_updated(chain):
    with pytest.raises(DatabaseError), transaction.atomic():
        LedgerEntry.objects.filter(seq=2).update(quantity_mg=D("1"))
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET reason = 'x'")
    assert LedgerEntry.objects.get(seq=2).quantity_mg == D("100")


@pytest.mark.django_db
def test_entries_cannot_be_deleted(chain):
    with pytest.raises(DatabaseError), transaction.atomic():
        LedgerEntry.objects.filter(seq=4).delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE}")
    assert LedgerEntry.objects.count() == 4


@pytest.mark.django_db
def test_a_saved_entry_cannot_be_saved_again(chain):
    entry = LedgerEntry.objects.get(seq=2)
    entry.administered_mg = D("1")
    with pytest.raises(DatabaseError), transaction.atomic():
        entry.save()
    assert LedgerEntry.objects.get(seq=2).administered_mg == D("100")


@pytest.mark.django_db
def test_counts_cannot_be_changed(officer, safe, holding):
    services.record_count(
        safe=safe, lines=[(holding, D("500"), "", holding.last_seq)], actor=officer
    )
    with pytest.raises(DatabaseError), transaction.atomic():
        StockCount.objects.update(note="rewritten")
    with pytest.raises(DatabaseError), transaction.atomic():
        StockCount.objects.all().delete()
    assert StockCount.objects.get().note == ""


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_ledger_cannot_be_truncated_on_postgresql(chain):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {TABLE} CASCADE")
    assert LedgerEntry.objects.count() == 4


@pytest.mark.sqlite
@pytest.mark.django_db
@pytest.mark.parametrize("collide_on", ["id", "holding_and_seq"])
def test_insert_or_replace_cannot_overwrite_an_entry_on_sqlite(chain, collide_on):
    entry = LedgerEntry.objects.get(seq=1)
    fields = LedgerEntry._meta.local_fields
    columns = [f.column for f in fields]
    values = [f.get_db_prep_value(getattr(entry, f.attname), connection) for f in fields]
    values[columns.index("quantity_mg")] = "1"
    values[columns.index("change_mg")] = "1"
    values[columns.index("public_id")] = "0" * 32
    if collide_on == "holding_and_seq":
        columns.remove("id")
        values.pop(0)
    placeholders = ", ".join(["%s"] * len(columns))
    for verb in ("INSERT OR REPLACE", "REPLACE"):
        sql = f"{verb} INTO {TABLE} ({', '.join(columns)}) VALUES ({placeholders})"
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, values)
    assert LedgerEntry.objects.get(seq=1).quantity_mg == D("500")
    assert LedgerEntry.objects.count() == 4


@pytest.fixture
def app_role(db):
    with connection.cursor() as cursor:
        cursor.execute("CREATE ROLE clinic_app_drugs NOLOGIN")
    call_command("grant_app_role", "clinic_app_drugs", stdout=StringIO())
    return "clinic_app_drugs"


def as_role(role, sql):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {role}")
        cursor.execute(sql)


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    [
        f"UPDATE {TABLE} SET quantity_mg = 1",
        f"DELETE FROM {TABLE}",
        f"TRUNCATE {TABLE} CASCADE",
        "UPDATE controlled_drugs_stockcountline SET explanation = 'x'",
        "DELETE FROM controlled_drugs_ledgeranchor",
    ],
)
def test_the_app_role_cannot_rewrite_the_register(chain, app_role, sql):
    with pytest.raises(DatabaseError, match="permission denied"):
        as_role(app_role, sql)
    assert LedgerEntry.objects.filter(quantity_mg=D("1")).count() == 0


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_app_role_may_only_read_and_append_entries(app_role):
    with connection.cursor() as cursor:
        privileges = {}
        for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE"):
            cursor.execute("SELECT has_table_privilege(%s, %s, %s)", [app_role, TABLE, privilege])
            privileges[privilege] = cursor.fetchone()[0]
    assert privileges == {
        "SELECT": True,
        "INSERT": True,
        "UPDATE": False,
        "DELETE": False,
        "TRUNCATE": False,
    }


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_app_role_records_movements_through_the_services(officer, nurse, lot, app_role):
    # Everything a service does (lock the head, append, update the head, audit) works with the
    # application role's privileges alone.
    patient = make_patient(lot.site, "K-8")
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL ROLE {app_role}")
        services.record_administration(
            lot=lot, patient=patient, drawn_mg=D("100"), administered_mg=D("100"), actor=nurse
        )
    assert Holding.objects.get(lot=lot).balance_mg == D("400")


# The verifier notices ---------------------------------------------------------------------


@pytest.mark.django_db
def test_verify_ledger_reports_nothing_on_a_clean_register(chain):
    out = StringIO()
    call_command("verify_ledger", stdout=out)
    assert "4 entries in 1 chains" in out.getvalue()
    assert "0 findings" in out.getvalue()


@pytest.mark.django_db
def test_the_verifier_names_an_entry_edited_behind_the_applications_back(chain):
    tamper(f"UPDATE {TABLE} SET administered_mg = 10 WHERE seq = 2 AND holding_id = %s", [chain.pk])
    findings = verify_ledger()
    assert [(f.seq, "edited" in f.problem) for f in findings] == [(2, True)]
    with pytest.raises(CommandError):
        call_command("verify_ledger", stdout=StringIO())


@pytest.mark.django_db
def test_the_verifier_names_an_edited_quantity_and_its_broken_balance(chain):
    tamper(
        f"UPDATE {TABLE} SET quantity_mg = 50, change_mg = -50, drawn_mg = 50, "
        "administered_mg = 50 WHERE seq = 3"
    )
    problems = {(f.seq, p) for f in verify_ledger() for p in [f.problem]}
    assert any(seq == 3 and "edited" in p for seq, p in problems)
    assert any(seq == 3 and "balance" in p for seq, p in problems)


@pytest.mark.django_db
def test_the_verifier_names_a_deleted_entry(chain):
    tamper(f"DELETE FROM {TABLE} WHERE seq = 3")
    findings = verify_ledger()
    assert {f.seq for f in findings} == {4}
    assert any("missing" in f.problem for f in findings)


@pytest.mark.django_db
def test_the_verifier_names_reordered_entries(chain):
    tamper(f"UPDATE {TABLE} SET seq = 100 WHERE seq = 2")
    tamper(f"UPDATE {TABLE} SET seq = 2 WHERE seq = 3")
    tamper(f"UPDATE {TABLE} SET seq = 3 WHERE seq = 100")
    assert {2, 3} <= {f.seq for f in verify_ledger()}


@pytest.mark.django_db
def test_the_verifier_names_a_head_that_disagrees_with_its_chain(chain):
    # The head row is writable by the application; rewriting it does not go unnoticed.
    Holding.objects.filter(pk=chain.pk).update(balance_mg=D("999"))
    assert any("head" in f.problem for f in verify_ledger())


@pytest.mark.django_db
def test_an_anchor_reveals_entries_removed_from_the_end(chain):
    record_anchors(actor=make_user("ops@test.clinic"))
    last = LedgerEntry.objects.get(seq=4)
    tamper(f"DELETE FROM {TABLE} WHERE seq = 4")
    # The culprit also rewinds the head, so the shorter chain is consistent in itself.
    Holding.objects.filter(pk=chain.pk).update(
        last_seq=3,
        last_hash=LedgerEntry.objects.get(seq=3).row_hash,
        balance_mg=last.balance_after_mg + D("100"),
    )
    findings = verify_ledger()
    assert [(f.seq, "gone" in f.problem) for f in findings] == [(4, True)]


@pytest.mark.django_db
def test_anchor_ledger_records_each_chain_once_a_day(chain):
    out = StringIO()
    with time_machine.travel(date(2026, 12, 1)):
        call_command("anchor_ledger", stdout=out, stderr=StringIO())
        call_command("anchor_ledger", stdout=StringIO(), stderr=StringIO())
    anchor = LedgerAnchor.objects.get()
    assert (anchor.last_seq, anchor.last_hash) == (4, chain.last_hash)
    assert f"seq 4 {chain.last_hash}" in out.getvalue()
    assert verify_ledger() == []
    # A job without a person names its actor: the system user, in every row it writes.
    assert set(
        AuditEvent.objects.filter(action__startswith="drugs.ledger.anchor").values_list(
            "actor__email", "actor_label"
        )
    ) == {(SYSTEM_EMAIL, SYSTEM_EMAIL)}


@pytest.mark.django_db
def test_an_anchor_reveals_a_rewritten_chain(chain):
    record_anchors(actor=make_user("ops@test.clinic"))
    tamper(f"UPDATE {TABLE} SET row_hash = %s WHERE seq = 4", ["f" * 64])
    findings = verify_ledger()
    assert any(f.seq == 4 and "anchor" in f.problem for f in findings)


# Concurrency ------------------------------------------------------------------------------


@contextmanager
def database_shared_by_threads(tmp_path):
    """Let threads write to the test database the way processes write in production.

    PostgreSQL needs nothing. SQLite's test database lives in memory with a shared cache, where
    a second writer fails at once with "table is locked" instead of waiting its turn; copy it
    to a file (WAL, IMMEDIATE transactions, busy timeout, as settings configure) and point the
    threads' new connections at the copy.
    """
    if connection.vendor != "sqlite":
        yield
        return
    path = tmp_path / "shared.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(path)
    connection.connection.backup(target)
    target.close()
    settings_dict = connections.settings["default"]
    original = settings_dict["NAME"]
    settings_dict["NAME"] = str(path)
    try:
        yield
    finally:
        settings_dict["NAME"] = original


def in_threads(target, count, *args):
    """Run `target` in `count` threads started together; return the exceptions raised."""
    errors = []
    start = threading.Barrier(count)

    def run():
        try:
            start.wait()
            target(*args)
        except Exception as exc:  # noqa: BLE001 - collected and asserted by the caller
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def in_a_thread(function):
    result = []
    errors = in_threads(lambda: result.append(function()), 1)
    assert errors == []
    return result[0]


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_administrations_get_a_gap_free_sequence_and_exact_balance(
    kyiv, users, tmp_path
):
    officer = users[(Role.DRUG_OFFICER, "kyiv")]
    nurse = users[(Role.NURSE, "kyiv")]
    receipt = receive(officer, make_safe(kyiv), make_drug(), units=60)  # 6000 mg
    patient = make_patient(kyiv, "K-50")

    def administer_five():
        for _ in range(5):
            services.record_administration(
                lot=receipt.lot,
                patient=patient,
                drawn_mg=D("100"),
                administered_mg=D("100"),
                actor=nurse,
            )

    with database_shared_by_threads(tmp_path):
        errors = in_threads(administer_five, 10)
        seqs, balance, findings = in_a_thread(
            lambda: (
                list(
                    LedgerEntry.objects.filter(holding=receipt.holding)
                    .order_by("seq")
                    .values_list("seq", flat=True)
                ),
                Holding.objects.get(pk=receipt.holding_id).balance_mg,
                verify_ledger(),
            )
        )
    assert errors == []
    assert seqs == list(range(1, 52))
    assert balance == D("1000.000")  # 6000 - 50 whole ampoules of 100 mg
    assert findings == []


@pytest.mark.django_db
def test_a_printed_anchor_reveals_a_chain_recomputed_with_its_anchor_table(chain, tmp_path):
    printed = StringIO()
    call_command("anchor_ledger", stdout=printed, stderr=StringIO())
    anchors = tmp_path / "anchors.txt"
    anchors.write_text(printed.getvalue())
    call_command("verify_ledger", "--anchors", str(anchors), stdout=StringIO())
    # Someone with the owner's rights rewrites the last entry's hash and the anchor table too.
    tamper(f"UPDATE {TABLE} SET row_hash = %s WHERE seq = 4", ["e" * 64])
    append_only.unprotect(connection, "controlled_drugs_ledgeranchor")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE controlled_drugs_ledgeranchor SET last_hash = %s", ["e" * 64])
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("verify_ledger", "--anchors", str(anchors), stdout=out)
    assert "differs from the printed anchor" in out.getvalue()


@pytest.mark.django_db
def test_a_garbled_anchor_file_is_a_finding_not_a_crash(chain, tmp_path):
    anchors = tmp_path / "anchors.txt"
    anchors.write_text("not an anchor\n2026-12-01 holding not-a-uuid seq x y\n")
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("verify_ledger", "--anchors", str(anchors), stdout=out)
    assert out.getvalue().count("is not an anchor line") == 2


def _direct_insert(entry, **changes):
    """Insert a copy of `entry` with changes, bypassing the services."""
    fields = [f for f in LedgerEntry._meta.local_fields if f.column != "id"]
    values = {f.column: f.get_db_prep_value(getattr(entry, f.attname), connection) for f in fields}
    values["public_id"] = "f" * 32
    values.update(changes)
    columns = ", ".join(values)
    placeholders = ", ".join(["%s"] * len(values))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} ({columns}) VALUES ({placeholders})", list(values.values())
        )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "changes",
    [
        {"seq": 6},  # skips seq 5
        {"seq": 5, "prev_hash": "a" * 64},  # does not link to seq 4
        {"seq": 5, "balance_after_mg": "150"},  # 200 - 100 is not 150
    ],
)
def test_the_database_refuses_an_entry_that_breaks_its_chain(chain, changes):
    last = LedgerEntry.objects.get(seq=4)
    base = {"prev_hash": last.row_hash, "balance_after_mg": "100", "row_hash": "b" * 64}
    with pytest.raises(DatabaseError):
        _direct_insert(last, **{**base, **changes})
    assert LedgerEntry.objects.count() == 4


@pytest.mark.django_db
def test_a_direct_insert_that_continues_the_chain_is_accepted_but_fails_verification(chain):
    # The chain rule holds in the database; a forged hash is still the verifier's to find.
    last = LedgerEntry.objects.get(seq=4)
    _direct_insert(last, seq=5, prev_hash=last.row_hash, balance_after_mg="100", row_hash="b" * 64)
    findings = verify_ledger()
    assert any(f.seq == 5 and "edited" in f.problem for f in findings)
