"""The ledger's chain: appending an entry to a holding, and verifying every chain.

Each holding (a lot in a safe) has its own chain. Appending locks the holding's head row, takes
the next sequence number, links the entry to the previous hash and stores the new balance on
both the entry and the head, all in the caller's transaction. The verifier recomputes every
chain from the rows alone and compares it with the heads and with the day's anchors, so a row
edited, deleted, reordered or removed from the end behind the application's back is named.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.controlled_drugs.models import (
    DIRECTION,
    ZERO,
    Holding,
    LedgerAnchor,
    LedgerEntry,
)
from clinic.core.errors import Refused

GENESIS_HASH = "0" * 64
# Where entries get their time. Only the demo loader replaces it, to lay out a past month.
clock = timezone.now
QUANTUM = Decimal("0.001")

# Everything that says what happened, who did it and in which order; the hash covers them all.
_HASHED_FIELDS = (
    "public_id",
    "site_id",
    "drug_id",
    "lot_id",
    "safe_id",
    "holding_id",
    "seq",
    "kind",
    "quantity_mg",
    "change_mg",
    "balance_after_mg",
    "recorded_at",
    "actor_id",
    "witness_id",
    "reason",
    "supplier_id",
    "document_number",
    "document_date",
    "patient_id",
    "prescribed_by_id",
    "clinical_reference",
    "drawn_mg",
    "administered_mg",
    "administration_id",
    "reverses_id",
    "transfer_id",
    "prev_hash",
)


class LedgerRefused(Refused):
    """The movement was not written; the message says why, for the person at the screen."""

    code = "drugs.refused"


def _canonical(value):
    if value is None or isinstance(value, int | str):
        return value
    if isinstance(value, Decimal):
        # SQLite and PostgreSQL hand decimals back with different exponents; fix three places.
        return f"{value.quantize(QUANTUM):f}"
    if hasattr(value, "astimezone"):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return str(value)  # dates, UUIDs


def compute_hash(entry: LedgerEntry) -> str:
    payload = {name: _canonical(getattr(entry, name)) for name in _HASHED_FIELDS}
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def lock_holding(holding: Holding) -> Holding:
    """Re-read the head row under a lock (never trust a stale instance: Saleor's rule)."""
    return (
        # Lock order: docs/architecture.md, "Locks and their order".
        Holding.objects.select_for_update(of=("self",), no_key=True)
        .select_related("lot__drug", "safe__site")
        .get(pk=holding.pk)
    )


def lock_holdings(*holdings: Holding) -> list[Holding]:
    # Always in primary-key order, so two transfers in opposite directions cannot deadlock.
    ids = sorted({h.pk for h in holdings})
    locked = {
        h.pk: h
        # Lock order: docs/architecture.md, "Locks and their order".
        for h in Holding.objects.select_for_update(of=("self",), no_key=True)
        .select_related("lot__drug", "safe__site")
        .filter(pk__in=ids)
        .order_by("pk")
    }
    return [locked[h.pk] for h in holdings]


def append(holding: Holding, *, kind: str, quantity_mg: Decimal, actor, change_mg=None, **fields):
    """Append one entry to a locked holding. The caller holds a transaction and the lock.

    Refuses (LedgerRefused) a movement that would take the balance below zero; the database
    CHECKs refuse it too, should a caller forget.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("ledger appends must run inside the caller's transaction")
    quantity_mg = Decimal(quantity_mg).quantize(QUANTUM)
    if change_mg is None:
        change_mg = quantity_mg * DIRECTION[kind]
    change_mg = Decimal(change_mg).quantize(QUANTUM)
    balance = holding.balance_mg + change_mg
    if balance < ZERO:
        raise LedgerRefused(_("Not enough stock: the balance would fall below zero."))
    entry = LedgerEntry(
        holding=holding,
        site=holding.safe.site,
        drug=holding.lot.drug,
        lot=holding.lot,
        safe=holding.safe,
        seq=holding.last_seq + 1,
        kind=kind,
        quantity_mg=quantity_mg,
        change_mg=change_mg,
        balance_after_mg=balance,
        recorded_at=clock(),
        actor=actor,
        prev_hash=holding.last_hash,
        **fields,
    )
    entry.row_hash = compute_hash(entry)
    entry.save(force_insert=True)
    Holding.objects.filter(pk=holding.pk).update(
        balance_mg=balance, last_seq=entry.seq, last_hash=entry.row_hash
    )
    holding.balance_mg, holding.last_seq, holding.last_hash = balance, entry.seq, entry.row_hash
    return entry


@dataclass(frozen=True)
class Finding:
    holding: str
    seq: int
    problem: str

    def __str__(self):
        return f"{self.holding} seq {self.seq}: {self.problem}"


def _label(holding: Holding) -> str:
    lot = holding.lot
    return f"{holding.safe.site.code}/{lot.drug.code}/{lot.batch_number}/{holding.safe.name}"


def verify_holding(holding: Holding) -> list[Finding]:
    """Walk one chain in sequence order and name every row that does not fit."""
    label = _label(holding)
    findings: list[Finding] = []
    expected_seq, prev_hash, balance = 1, GENESIS_HASH, ZERO
    for entry in LedgerEntry.objects.filter(holding=holding).order_by("seq").iterator(2000):
        if entry.seq != expected_seq:
            findings.append(
                Finding(label, entry.seq, f"entries {expected_seq}..{entry.seq - 1} are missing")
            )
        if entry.prev_hash != prev_hash:
            findings.append(Finding(label, entry.seq, "does not link to the entry before it"))
        if compute_hash(entry) != entry.row_hash:
            findings.append(Finding(label, entry.seq, "content differs from its hash (edited)"))
        if entry.balance_after_mg != balance + entry.change_mg:
            findings.append(
                Finding(label, entry.seq, "balance is not the previous balance plus the change")
            )
        expected_seq, prev_hash, balance = entry.seq + 1, entry.row_hash, entry.balance_after_mg
    last_seq = expected_seq - 1
    if holding.last_seq != last_seq or holding.last_hash != prev_hash:
        findings.append(
            Finding(
                label,
                holding.last_seq,
                f"the head says entry {holding.last_seq}, the chain ends at {last_seq} "
                "(entries removed from the end, or the head rewritten)",
            )
        )
    if holding.balance_mg != balance:
        findings.append(
            Finding(label, last_seq, "the head's balance differs from the chain's balance")
        )
    return findings


def check_anchors(holding: Holding) -> list[Finding]:
    """Compare the chain with every anchor recorded for it: an anchored entry must still be
    there with the same hash."""
    label = _label(holding)
    findings = []
    stored = dict(LedgerEntry.objects.filter(holding=holding).values_list("seq", "row_hash"))
    for anchor in holding.anchors.all():
        if anchor.last_seq == 0:
            continue
        found = stored.get(anchor.last_seq)
        if found is None:
            findings.append(
                Finding(
                    label,
                    anchor.last_seq,
                    f"anchored on {anchor.day:%Y-%m-%d} but gone (entries removed)",
                )
            )
        elif found != anchor.last_hash:
            findings.append(
                Finding(
                    label,
                    anchor.last_seq,
                    f"differs from the anchor of {anchor.day:%Y-%m-%d} (rewritten)",
                )
            )
    return findings


def check_printed_anchors(lines) -> list[Finding]:
    """Compare the chains with anchor lines printed by `anchor_ledger` and kept outside the
    database (`DAY holding UUID seq N HASH`). Whoever can rewrite the chains can rewrite the
    anchor table too; they cannot rewrite a printout kept elsewhere."""
    findings = []
    for number, line in enumerate(lines, start=1):
        parts = line.split()
        if not parts:
            continue
        try:
            _day, word, holding_id, seq_word, seq, expected = parts
            if (word, seq_word) != ("holding", "seq"):
                raise ValueError
            seq = int(seq)
            holding = (
                Holding.objects.select_related("lot__drug", "safe__site")
                .filter(public_id=holding_id)
                .first()
            )
        except (ValueError, ValidationError):
            findings.append(Finding("anchors", number, f"line {number} is not an anchor line"))
            continue
        if holding is None:
            findings.append(Finding(holding_id, seq, "the anchored chain is gone"))
            continue
        stored = holding.entries.filter(seq=seq).values_list("row_hash", flat=True).first()
        if stored is None:
            findings.append(Finding(_label(holding), seq, "anchored but gone (entries removed)"))
        elif stored != expected:
            findings.append(
                Finding(_label(holding), seq, "differs from the printed anchor (rewritten)")
            )
    return findings


def verify_ledger() -> list[Finding]:
    """Every chain and every anchor. An empty list means the register is intact."""
    findings: list[Finding] = []
    for holding in Holding.objects.select_related("lot__drug", "safe__site").prefetch_related(
        "anchors"
    ):
        findings += verify_holding(holding)
        findings += check_anchors(holding)
    return findings


@transaction.atomic
def record_anchors(*, actor, day=None) -> list[LedgerAnchor]:
    """Record today's head of every chain (idempotent: a holding anchored today is skipped)."""
    day = day or timezone.localdate()
    done = set(LedgerAnchor.objects.filter(day=day).values_list("holding_id", flat=True))
    anchors = []
    for holding in Holding.objects.exclude(pk__in=done).order_by("pk"):
        # Taken from the chain itself, not the head row the application may update.
        last = holding.entries.order_by("-seq").values_list("seq", "row_hash").first()
        if last is None:
            continue
        anchors.append(
            LedgerAnchor(
                holding=holding,
                day=day,
                last_seq=last[0],
                last_hash=last[1],
                recorded_at=timezone.now(),
                recorded_by=actor,
            )
        )
    LedgerAnchor.objects.bulk_create(anchors)
    return anchors
