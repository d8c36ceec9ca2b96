"""Writing and verifying the audit trail.

Every service calls `audit(...)` inside its own transaction, so the change and its audit row
commit or roll back together. Rows form one hash chain in `seq` order; appending takes a lock so
two writers cannot both extend the same tail.

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
# Any constant will do; it names the one advisory lock that serialises appends on PostgreSQL.
_CHAIN_LOCK_KEY = 0x436C696E6963  # "Clinic"

_HASHED_FIELDS = (
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


def _lock_chain() -> None:
    # SQLite needs nothing here: its transactions start IMMEDIATE (settings), so the writer
    # already holds the database's single write lock. PostgreSQL needs an explicit lock.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])


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
    with transaction.atomic():
        _lock_chain()
        last = AuditEvent.objects.order_by("-seq").values_list("seq", "row_hash").first()
        seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
        event = AuditEvent(
            seq=seq,
            at=timezone.now(),
            actor_id=actor_id,
            actor_label=actor_label,
            action=action,
            outcome=outcome,
            patient_id=patient.pk if patient is not None else None,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(getattr(obj, "public_id", getattr(obj, "pk", ""))) if obj else "",
            site_id=site.pk if site is not None else None,
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
    seq: int
    problem: str

    def __str__(self):
        return f"row {self.seq}: {self.problem}"


def verify_chain(batch_size: int = 2000) -> list[Finding]:
    """Walk the chain in `seq` order and name every row that does not fit.

    An edited row no longer matches its own hash; a deleted row leaves a gap in `seq` and a
    broken link; reordered rows break the links to their neighbours.
    """
    findings: list[Finding] = []
    expected_seq, prev_hash = 1, GENESIS_HASH
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=batch_size):
        if event.seq != expected_seq:
            findings.append(Finding(event.seq, f"rows {expected_seq}..{event.seq - 1} are missing"))
        if event.prev_hash != prev_hash:
            findings.append(Finding(event.seq, "does not link to the row before it"))
        if compute_hash(event) != event.row_hash:
            findings.append(Finding(event.seq, "content differs from its hash (edited)"))
        expected_seq, prev_hash = event.seq + 1, event.row_hash
    return findings


def check_anchor(anchor: str) -> list[Finding]:
    """Compare the trail with an anchor (`seq:hash`) recorded earlier outside the database.

    The chain alone cannot show that its newest rows were removed: what is left is still a
    valid chain. An anchor kept elsewhere (the nightly verification log) can.
    """
    try:
        seq_text, expected = anchor.split(":", 1)
        seq = int(seq_text)
    except ValueError:
        return [Finding(0, f"the anchor {anchor!r} is not SEQ:HASH")]
    stored = AuditEvent.objects.filter(seq=seq).values_list("row_hash", flat=True).first()
    if stored is None:
        return [Finding(seq, "is gone: rows were removed from the end of the trail")]
    if stored != expected:
        return [Finding(seq, "differs from the anchor recorded earlier (rewritten)")]
    return []
