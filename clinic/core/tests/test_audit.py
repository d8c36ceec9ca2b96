from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from clinic.accounts.models import User
from clinic.conftest import make_patient
from clinic.core import append_only
from clinic.core.audit import GENESIS_HASH, audit, check_anchor, verify_chains
from clinic.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def write_events(n, actor=None):
    actor = actor or User.objects.system_actor()
    return [audit(actor, f"test.event.{i}") for i in range(n)]


def tamper(sql, params=()):
    """What someone with the database owner's rights could do: lift the triggers, change rows."""
    append_only.unprotect(connection, "core_auditevent")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_events_form_a_hash_chain_in_order():
    first, second, third = write_events(3)
    assert (first.seq, second.seq, third.seq) == (1, 2, 3)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.row_hash
    assert third.prev_hash == second.row_hash
    assert verify_chains() == []


def test_it_records_patient_site_and_actor(kyiv):
    patient = make_patient(kyiv)
    actor = User.objects.create_user(email="doc@test.clinic", full_name="Doc", password="x")
    event = audit(actor, "patient.chart.viewed", patient, obj=patient)
    event.refresh_from_db()
    assert event.actor == actor
    assert event.actor_label == "doc@test.clinic"
    assert event.patient == patient
    assert event.site == kyiv
    assert event.object_type == "patients.patient"
    assert event.object_id == str(patient.public_id)


def test_audit_rows_cannot_be_updated():
    write_events(1)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.update(action="rewritten")
    assert AuditEvent.objects.get().action == "test.event.0"


def test_audit_rows_cannot_be_deleted():
    write_events(2)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.all().delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent")
    assert AuditEvent.objects.count() == 2


@pytest.mark.postgres
def test_audit_table_cannot_be_truncated_on_postgresql():
    write_events(1)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE core_auditevent CASCADE")
    assert AuditEvent.objects.count() == 1


@pytest.mark.sqlite
def test_insert_or_replace_cannot_overwrite_a_row_on_sqlite():
    (event,) = write_events(1)
    columns = [f.column for f in AuditEvent._meta.local_fields]
    values = [getattr(event, f.attname) for f in AuditEvent._meta.local_fields]
    values[columns.index("action")] = "replaced"
    placeholders = ", ".join(["%s"] * len(columns))
    sql = f"INSERT OR REPLACE INTO core_auditevent ({', '.join(columns)}) VALUES ({placeholders})"
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, values)
    assert AuditEvent.objects.get().action == "test.event.0"


def test_verify_audit_reports_nothing_on_a_clean_trail():
    write_events(5)
    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert "5 rows checked, 0 findings" in out.getvalue()


def test_verify_audit_names_an_edited_row():
    write_events(4)
    tamper("UPDATE core_auditevent SET reason = 'nothing happened' WHERE seq = 2")
    findings = verify_chains()
    assert [(f.seq, "edited" in f.problem) for f in findings] == [(2, True)]
    with pytest.raises(CommandError):
        call_command("verify_audit", stdout=StringIO())


def test_verify_audit_names_a_deleted_row():
    write_events(4)
    tamper("DELETE FROM core_auditevent WHERE seq = 3")
    findings = verify_chains()
    assert {f.seq for f in findings} == {4}
    assert any("missing" in f.problem for f in findings)


def test_verify_audit_names_reordered_rows():
    write_events(4)
    # Swap the order of rows 2 and 3 (as if one had been written before the other).
    tamper("UPDATE core_auditevent SET seq = -2 WHERE seq = 2")
    tamper("UPDATE core_auditevent SET seq = 2 WHERE seq = 3")
    tamper("UPDATE core_auditevent SET seq = 3 WHERE seq = -2")
    flagged = {f.seq for f in verify_chains()}
    assert {2, 3} <= flagged


def test_a_rolled_back_change_leaves_no_audit_row():
    with pytest.raises(RuntimeError), transaction.atomic():
        write_events(1)
        raise RuntimeError("the change failed")
    assert AuditEvent.objects.count() == 0


def test_verify_audit_prints_an_anchor_and_accepts_it_later():
    write_events(3)
    out = StringIO()
    call_command("verify_audit", stdout=out)
    anchor = out.getvalue().strip().splitlines()[-1].removeprefix("anchor: ")
    write_events(2)
    out = StringIO()
    call_command("verify_audit", "--anchor", anchor, stdout=out)
    assert "0 findings" in out.getvalue()


def test_an_anchor_reveals_rows_removed_from_the_end():
    events = write_events(4)
    anchor = f"global:{events[-1].seq}:{events[-1].row_hash}"
    tamper("DELETE FROM core_auditevent WHERE seq >= 3")
    assert verify_chains() == []  # the shorter chain is still a valid chain ...
    with pytest.raises(CommandError):  # ... but not against the anchor
        call_command("verify_audit", "--anchor", anchor, stdout=StringIO())
    assert "removed from the end" in str(check_anchor(anchor)[0])


def test_a_malformed_anchor_is_a_finding_not_a_crash():
    write_events(1)
    assert check_anchor("yesterday")[0].problem.startswith("the anchor")


@pytest.mark.parametrize("nobody", [None, "anonymous user"])
def test_audit_refuses_a_missing_actor_and_writes_nothing(nobody):
    from django.contrib.auth.models import AnonymousUser

    from clinic.core.audit import MissingActor

    actor = AnonymousUser() if nobody else None
    with pytest.raises(MissingActor):
        audit(actor, "test.event")
    assert not AuditEvent.objects.exists()


def test_an_anonymous_actor_is_named_in_the_row_and_covered_by_its_hash():
    from clinic.core.audit import Anonymous

    event = audit(Anonymous("test-channel"), "test.event")
    event.refresh_from_db()
    assert (event.actor_id, event.actor_label) == (None, "anonymous:test-channel")
    tamper("UPDATE core_auditevent SET actor_label = %s WHERE seq = 1", ["anonymous:visitor"])
    assert [f.problem for f in verify_chains()] == ["content differs from its hash (edited)"]
