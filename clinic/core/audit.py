"""Writing and verifying the audit trail.

Every service calls `audit(...)` inside its own transaction, so the change and its audit row
commit or roll back together. Rows form hash chains, one per site (`site-<id>`) and one for rows
without a site (`global`), each in its own `seq` order; appending takes that chain's lock, so two
writers cannot both extend the same tail while writers at different sites do not wait for each
other. Rows written before chains existed stay in the closed chain `legacy`, hashed as they were.
`verify_chains()` checks every chain; an anchor lists every chain's head.

Every row names its actor. A signed-in person or a background job (the system user,
`User.objects.system_actor()`) is stored as `actor` plus `actor_label` (the e-mail at the
time). Someone without an account (a visitor of the contact form, a patient holding a
self-report link) is an `Anonymous` actor: no `actor` row, and `actor_label` says how they
reached us ("anonymous:contact-form"). `audit()` refuses None and Django's AnonymousUser, so a
row can never be silently written by nobody.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC

from django.db import connection, transaction
from django.utils import timezone

from clinic.core import context
from clinic.core.models import AuditEvent

GENESIS_HASH = "0" * 64
# The first half of each chain's advisory lock key on PostgreSQL; the second is the site's id
# (0 for the chain of rows without a site). Any constant will do.
_CHAIN_LOCK_CLASS = 0x41756474  # "Audt"

LEGACY_CHAIN = "legacy"
GLOBAL_CHAIN = "global"

_HASHED_FIELDS = (
    "chain",
    "seq",
    "at",
    "actor_id",
    "actor_label",
    "action",
    "outcome",
    "patient_id",
    "object_type",
    "object_id",
    "site_id",
    "ip",
    "user_agent",
    "request_id",
    "reason",
    "prev_hash",
)


def compute_hash(event: AuditEvent) -> str:
    payload = {}
    for name in _HASHED_FIELDS:
        if name == "chain" and event.chain == LEGACY_CHAIN:
            continue  # legacy rows were hashed before chains existed
        value = getattr(event, name)
        if name == "at":
            value = value.astimezone(UTC).isoformat(timespec="microseconds")
        payload[name] = value
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


class MissingActor(ValueError):
    """`audit()` was called without saying who acted."""


@dataclass(frozen=True)
class Anonymous:
    """Someone acting without an account, named by the way they reached the system."""

    channel: str  # short, stable, ASCII: it is stored in every row this actor writes
    pk = None
    is_authenticated = False

    @property
    def label(self) -> str:
        return f"anonymous:{self.channel}"


# Anyone not signed in, where no narrower channel applies (a refused page, a failed sign-in).
VISITOR = Anonymous("visitor")


def _actor_fields(actor) -> tuple[int | None, str]:
    if isinstance(actor, Anonymous):
        return None, actor.label
    if actor is None or not actor.is_authenticated or actor.pk is None:
        raise MissingActor(
            "audit() needs a named actor: a user, the system user or an Anonymous channel"
        )
    return actor.pk, actor.email


def chain_for(site_id: int | None) -> str:
    return f"site-{site_id}" if site_id is not None else GLOBAL_CHAIN


def chain_lock_key(site_id: int | None) -> tuple[int, int]:
    """The two-part advisory lock key of a site's chain (PostgreSQL)."""
    return _CHAIN_LOCK_CLASS, site_id or 0


def _lock_chain(site_id: int | None) -> None:
    # SQLite needs nothing here: its transactions start IMMEDIATE (settings), so the writer
    # already holds the database's single write lock. PostgreSQL needs an explicit lock, one
    # per chain, held to the end of the transaction.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", chain_lock_key(site_id))


def audit(
    actor,
    action: str,
    patient=None,
    *,
    obj=None,
    site=None,
    outcome: str = AuditEvent.Outcome.SUCCESS,
    reason: str = "",
) -> AuditEvent:
    """Append one event. `actor` is a user or an `Anonymous` channel; None is refused."""
    actor_id, actor_label = _actor_fields(actor)
    ctx = context.current()
    if obj is not None and site is None:
        site = getattr(obj, "site", None)
    if patient is not None and site is None:
        site = getattr(patient, "home_site", None)
    site_id = site.pk if site is not None else None
    chain = chain_for(site_id)
    with transaction.atomic():
        _lock_chain(site_id)
        last = (
            AuditEvent.objects.filter(chain=chain)
            .order_by("-seq")
            .values_list("seq", "row_hash")
            .first()
        )
        seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
        event = AuditEvent(
            chain=chain,
            seq=seq,
            at=timezone.now(),
            actor_id=actor_id,
            actor_label=actor_label,
            action=action,
            outcome=outcome,
            patient_id=patient.pk if patient is not None else None,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(getattr(obj, "public_id", getattr(obj, "pk", ""))) if obj else "",
            site_id=site_id,
            ip=ctx.ip,
            user_agent=ctx.user_agent[:300],
            request_id=ctx.request_id,
            reason=reason[:500],
            prev_hash=prev_hash,
        )
        event.row_hash = compute_hash(event)
        event.save(force_insert=True)
    return event


@dataclass(frozen=True)
class Finding:
    chain: str
    seq: int
    problem: str

    def __str__(self):
        return f"chain {self.chain} row {self.seq}: {self.problem}"


def chains() -> list[str]:
    return sorted(AuditEvent.objects.order_by().values_list("chain", flat=True).distinct())


def verify_chain(chain: str, batch_size: int = 2000) -> list[Finding]:
    """Walk one chain in `seq` order and name every row that does not fit.

    An edited row no longer matches its own hash; a deleted row leaves a gap in `seq` and a
    broken link; reordered rows break the links to their neighbours. A row of a site's chain
    must belong to that site, so a row moved between chains is named too.
    """
    findings: list[Finding] = []
    expected_seq, prev_hash = 1, GENESIS_HASH
    rows = AuditEvent.objects.filter(chain=chain).order_by("seq").iterator(chunk_size=batch_size)
    for event in rows:
        if event.seq != expected_seq:
            findings.append(
                Finding(chain, event.seq, f"rows {expected_seq}..{event.seq - 1} are missing")
            )
        if event.prev_hash != prev_hash:
            findings.append(Finding(chain, event.seq, "does not link to the row before it"))
        if compute_hash(event) != event.row_hash:
            findings.append(Finding(chain, event.seq, "content differs from its hash (edited)"))
        if chain != LEGACY_CHAIN and chain_for(event.site_id) != chain:
            findings.append(Finding(chain, event.seq, "belongs to another site's chain"))
        expected_seq, prev_hash = event.seq + 1, event.row_hash
    return findings


def verify_chains(batch_size: int = 2000) -> list[Finding]:
    """Every chain, each walked on its own."""
    return [f for chain in chains() for f in verify_chain(chain, batch_size)]


def current_anchor() -> str:
    """Every chain's head as `CHAIN:SEQ:HASH`, comma-separated; empty for an empty trail."""
    heads = []
    for chain in chains():
        seq, row_hash = (
            AuditEvent.objects.filter(chain=chain)
            .order_by("-seq")
            .values_list("seq", "row_hash")
            .first()
        )
        heads.append(f"{chain}:{seq}:{row_hash}")
    return ",".join(heads)


def check_anchor(anchor: str) -> list[Finding]:
    """Compare the trail with an anchor recorded earlier outside the database.

    A chain alone cannot show that its newest rows were removed (what is left is still a valid
    chain), nor that a whole chain was removed. An anchor kept elsewhere (the nightly
    verification log) lists every chain's head as `CHAIN:SEQ:HASH`, comma-separated, and can.
    An anchor of the single chain before chains existed (`SEQ:HASH`) names the legacy chain.
    """
    findings: list[Finding] = []
    for head in anchor.split(","):
        parts = head.strip().split(":")
        if len(parts) == 2:
            parts = [LEGACY_CHAIN, *parts]
        try:
            chain, seq_text, expected = parts
            seq = int(seq_text)
        except ValueError:
            return [Finding("", 0, f"the anchor {anchor!r} is not CHAIN:SEQ:HASH,...")]
        stored = (
            AuditEvent.objects.filter(chain=chain, seq=seq)
            .values_list("row_hash", flat=True)
            .first()
        )
        if stored is None:
            findings.append(
                Finding(chain, seq, "is gone: rows were removed from the end of the chain")
            )
        elif stored != expected:
            findings.append(Finding(chain, seq, "differs from the anchor recorded earlier"))
    return findings
