"""This app's periodic jobs (clinic.core.jobs), registered in ControlledDrugsConfig.ready."""

from clinic.accounts.models import User
from clinic.controlled_drugs.ledger import record_anchors, verify_ledger
from clinic.core.audit import audit
from clinic.core.jobs import BreaksFound


def ledger_anchors() -> int:
    """Today's head of every ledger chain (a chain already anchored today is skipped)."""
    system = User.objects.system_actor()
    anchors = record_anchors(actor=system)
    if anchors:
        audit(system, "drugs.ledger.anchored", reason=f"{len(anchors)} chains")
    return len(anchors)


def ledger_verification() -> None:
    """Every chain of the register and its anchors; `BreaksFound` names the first breaks,
    which the administrator's start page shows."""
    findings = verify_ledger()
    if findings:
        raise BreaksFound(findings)
