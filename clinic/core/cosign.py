"""Changes to clinical thresholds that take effect only with a physician's co-signature.

An administrator's change is stored as a `ProposedChange` (who, what values, when); the values
in force stay as they were. A physician other than the proposer co-signs it, and only then the
owning app applies the values, in the same transaction, audited; or a physician rejects it with
a reason. Each app decides who may co-sign what (a site's physicians for a site's settings);
this module keeps the rules every such change shares: one pending change per subject, never
co-signed by its proposer, decided once.
"""

from collections.abc import Callable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.core.audit import audit
from clinic.core.errors import Refused
from clinic.core.models import ProposedChange
from clinic.core.records import transition


class CoSignRefused(Refused):
    """The change was not proposed, co-signed or rejected; nothing was written."""

    code = "change.refused"


def pending_change(kind: str, subject: str) -> ProposedChange | None:
    return (
        ProposedChange.objects.filter(kind=kind, subject=subject, status="pending")
        .select_related("proposed_by")
        .first()
    )


def propose_change(
    *, kind: str, subject: str, site, values: dict, previous: dict, actor
) -> ProposedChange:
    """Store a proposed change (runs in the caller's transaction, which audits it)."""
    if transaction.get_autocommit():
        raise RuntimeError("propose_change runs inside the caller's transaction")
    if pending_change(kind, subject) is not None:
        raise CoSignRefused(
            _("A change is already awaiting a physician's co-signature; it is decided first.")
        )
    values = {name: _text(value) for name, value in values.items()}
    previous = {name: _text(value) for name, value in previous.items()}
    return ProposedChange.objects.create(
        kind=kind, subject=subject, site=site, values=values, previous=previous, proposed_by=actor
    )


def _text(value) -> str:
    # str() keeps what a model field's to_python() reads back: "True", "0.50", "140".
    return "" if value is None else str(value)


def _locked(change: ProposedChange) -> ProposedChange:
    # Lock order: docs/architecture.md, "Locks and their order" (a record being changed).
    return (
        ProposedChange.objects.select_for_update(of=("self",), no_key=True)
        .select_related("proposed_by", "site")
        .get(pk=change.pk)
    )


def co_sign_change(
    change: ProposedChange, *, actor, apply: Callable[[ProposedChange], None]
) -> ProposedChange:
    """A second person co-signs: `apply` puts the values in force, then the change is closed.
    Runs in the caller's transaction, after the caller checked the actor may co-sign."""
    change = _locked(change)
    if change.status != ProposedChange.Status.PENDING:
        raise CoSignRefused(_("This change has already been decided."))
    if change.proposed_by_id == actor.pk:
        raise CoSignRefused(
            _("The person who proposed a change cannot co-sign it; another physician must.")
        )
    apply(change)
    change.decided_by, change.decided_at = actor, timezone.now()
    transition(
        change, ProposedChange.Status.APPLIED, actor=actor, also=["decided_by", "decided_at"]
    )
    audit(
        actor,
        f"{change.kind}.co_signed",
        obj=change,
        site=change.site,
        reason=_summary(change),
    )
    return change


def reject_change(change: ProposedChange, *, note: str, actor) -> ProposedChange:
    """A physician other than the proposer rejects the change, saying why; nothing changes."""
    change = _locked(change)
    if change.status != ProposedChange.Status.PENDING:
        raise CoSignRefused(_("This change has already been decided."))
    if not note.strip():
        raise CoSignRefused(_("Say why the change is rejected."))
    if change.proposed_by_id == actor.pk:
        raise CoSignRefused(_("The person who proposed a change cannot decide it."))
    change.decided_by, change.decided_at, change.decision_note = actor, timezone.now(), note
    transition(
        change,
        ProposedChange.Status.REJECTED,
        actor=actor,
        also=["decided_by", "decided_at", "decision_note"],
    )
    audit(actor, f"{change.kind}.rejected", obj=change, site=change.site, reason=note[:500])
    return change


def _summary(change: ProposedChange) -> str:
    by = change.proposed_by.email if change.proposed_by_id else ""
    parts = ", ".join(f"{name}: {old} -> {new}" for name, old, new in change.changes)
    return f"{parts} (proposed by {by})"[:500]
