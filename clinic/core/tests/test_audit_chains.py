"""One hash chain per site (and one for rows without a site): sites append in parallel, and
one verifier and one anchor still cover every chain."""

import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction

from clinic.accounts.models import User
from clinic.core import append_only
from clinic.core.audit import (
    GENESIS_HASH,
    LEGACY_CHAIN,
    audit,
    chain_for,
    chain_lock_key,
    check_anchor,
    compute_hash,
    current_anchor,
    verify_chains,
)
from clinic.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def tamper(sql, params=()):
    append_only.unprotect(connection, "core_auditevent")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def write_mixed(kyiv, lviv, rounds=4):
    """Rows of three chains, interleaved in time."""
    actor = User.objects.system_actor()
    for i in range(rounds):
        audit(actor, f"test.kyiv.{i}", site=kyiv)
        audit(actor, f"test.lviv.{i}", site=lviv)
        audit(actor, f"test.none.{i}")


def test_each_site_and_the_siteless_rows_have_their_own_chain(kyiv, lviv):
    write_mixed(kyiv, lviv)
    for chain in (chain_for(kyiv.pk), chain_for(lviv.pk), "global"):
        rows = list(AuditEvent.objects.filter(chain=chain).order_by("seq"))
        assert [r.seq for r in rows] == [1, 2, 3, 4]
        assert rows[0].prev_hash == GENESIS_HASH
        assert all(b.prev_hash == a.row_hash for a, b in zip(rows, rows[1:], strict=False))
    assert set(AuditEvent.objects.filter(site=kyiv).values_list("chain", flat=True)) == {
        f"site-{kyiv.pk}"
    }
    assert verify_chains() == []


@pytest.mark.parametrize("which", ["kyiv", "lviv", "global"])
def test_an_edited_row_is_named_in_any_chain(kyiv, lviv, which):
    write_mixed(kyiv, lviv)
    chain = {"kyiv": chain_for(kyiv.pk), "lviv": chain_for(lviv.pk), "global": "global"}[which]
    tamper("UPDATE core_auditevent SET reason = 'x' WHERE chain = %s AND seq = 2", [chain])
    findings = verify_chains()
    assert [(f.chain, f.seq, "edited" in f.problem) for f in findings] == [(chain, 2, True)]


@pytest.mark.parametrize("which", ["kyiv", "lviv", "global"])
def test_a_deleted_row_is_named_in_any_chain(kyiv, lviv, which):
    write_mixed(kyiv, lviv)
    chain = {"kyiv": chain_for(kyiv.pk), "lviv": chain_for(lviv.pk), "global": "global"}[which]
    tamper("DELETE FROM core_auditevent WHERE chain = %s AND seq = 3", [chain])
    findings = verify_chains()
    assert {(f.chain, f.seq) for f in findings} == {(chain, 4)}
    assert any("missing" in f.problem for f in findings)


@pytest.mark.parametrize("which", ["kyiv", "lviv", "global"])
def test_reordered_rows_are_named_in_any_chain(kyiv, lviv, which):
    write_mixed(kyiv, lviv)
    chain = {"kyiv": chain_for(kyiv.pk), "lviv": chain_for(lviv.pk), "global": "global"}[which]
    for old, new in ((2, -2), (3, 2), (-2, 3)):
        tamper(
            "UPDATE core_auditevent SET seq = %s WHERE chain = %s AND seq = %s", [new, chain, old]
        )
    findings = verify_chains()
    assert {f.chain for f in findings} == {chain}
    assert {2, 3} <= {f.seq for f in findings}


def test_a_row_moved_to_another_sites_chain_is_named(kyiv, lviv):
    write_mixed(kyiv, lviv, rounds=2)
    tamper(
        "UPDATE core_auditevent SET site_id = %s WHERE chain = %s AND seq = 2",
        [lviv.pk, chain_for(kyiv.pk)],
    )
    problems = [f.problem for f in verify_chains()]
    assert "belongs to another site's chain" in problems


def test_rows_from_before_chains_stay_verifiable_in_the_legacy_chain(kyiv):
    # A row as the single chain wrote it: the hash covers no chain name.
    legacy = AuditEvent(
        chain=LEGACY_CHAIN,
        seq=1,
        at=AuditEvent._meta.get_field("at").default(),
        actor_label="system@clinic.invalid",
        action="test.before",
        site_id=kyiv.pk,
        prev_hash=GENESIS_HASH,
    )
    legacy.row_hash = compute_hash(legacy)
    legacy.save(force_insert=True)
    audit(User.objects.system_actor(), "test.after", site=kyiv)
    assert verify_chains() == []
    tamper("UPDATE core_auditevent SET action = 'test.rewritten' WHERE chain = 'legacy'")
    assert [(f.chain, f.seq) for f in verify_chains()] == [(LEGACY_CHAIN, 1)]


def test_the_anchor_lists_every_chain_head_and_accepts_itself_later(kyiv, lviv):
    write_mixed(kyiv, lviv, rounds=2)
    anchor = current_anchor()
    assert sorted(head.rsplit(":", 1)[0] for head in anchor.split(",")) == sorted(
        [f"site-{kyiv.pk}:2", f"site-{lviv.pk}:2", "global:2"]
    )
    write_mixed(kyiv, lviv, rounds=1)
    out = StringIO()
    call_command("verify_audit", "--anchor", anchor, stdout=out)
    assert "0 findings" in out.getvalue()
    assert out.getvalue().strip().splitlines()[-1] == f"anchor: {current_anchor()}"


@pytest.mark.parametrize("which", ["kyiv", "lviv", "global"])
def test_the_anchor_reveals_the_tail_removed_from_any_chain(kyiv, lviv, which):
    write_mixed(kyiv, lviv)
    anchor = current_anchor()
    chain = {"kyiv": chain_for(kyiv.pk), "lviv": chain_for(lviv.pk), "global": "global"}[which]
    tamper("DELETE FROM core_auditevent WHERE chain = %s AND seq >= 3", [chain])
    assert verify_chains() == []  # each shorter chain is still valid ...
    findings = check_anchor(anchor)  # ... but not against the anchor
    assert [(f.chain, f.seq) for f in findings] == [(chain, 4)]
    with pytest.raises(CommandError):
        call_command("verify_audit", "--anchor", anchor, stdout=StringIO())


def test_the_anchor_reveals_a_whole_chain_removed(kyiv, lviv):
    write_mixed(kyiv, lviv, rounds=2)
    anchor = current_anchor()
    tamper("DELETE FROM core_auditevent WHERE site_id = %s", [lviv.pk])
    assert verify_chains() == []
    assert [f.chain for f in check_anchor(anchor)] == [chain_for(lviv.pk)]


def test_a_single_chain_anchor_from_before_chains_names_the_legacy_chain():
    findings = check_anchor(f"7:{'a' * 64}")
    assert [(f.chain, f.seq) for f in findings] == [(LEGACY_CHAIN, 7)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sites_append_at_once_without_waiting_on_one_lock(kyiv, lviv):
    """Kyiv's chain lock is held by an open transaction; Lviv's append still completes, while
    a second Kyiv append waits for it."""
    actor = User.objects.system_actor()
    holder = connections.create_connection("default")
    holder.set_autocommit(False)
    with holder.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", chain_lock_key(kyiv.pk))
    done = {}

    def append(site, name):
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '3s'")
                audit(actor, f"test.{name}", site=site)
            done[name] = "written"
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test checks
            done[name] = type(exc).__name__
        finally:
            connection.close()

    try:
        lviv_writer = threading.Thread(target=append, args=(lviv, "lviv"))
        lviv_writer.start()
        lviv_writer.join(10)
        assert done.get("lviv") == "written"
        kyiv_writer = threading.Thread(target=append, args=(kyiv, "kyiv"))
        kyiv_writer.start()
        kyiv_writer.join(10)
        assert done.get("kyiv") == "OperationalError"  # waited for the held lock, timed out
    finally:
        holder.rollback()
        holder.close()
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["test.lviv"]
    assert verify_chains() == []
