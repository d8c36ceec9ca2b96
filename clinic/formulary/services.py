"""Changes to the adequacy rules and the minimum-dose table, and their sign-off.

An administrator's change is proposed (core/cosign.py) and takes effect only when a physician,
not the proposer, co-signs it; until then `minimum_doses()` and `adequacy_rules()` read the old
values. The table as a whole is then confirmed by the medical director (`sign_off_...`).
"""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.accounts.roles import Role
from clinic.core import cosign
from clinic.core.audit import audit
from clinic.core.errors import Refused
from clinic.core.models import ProposedChange
from clinic.formulary.models import AdequacyRules, MinimumDose

DOSE_KIND = "formulary.minimum_dose"
RULES_KIND = "formulary.rules"
KINDS = (DOSE_KIND, RULES_KIND)


class RulesRefused(Refused):
    """The change was not made; the message says why."""

    code = "formulary.refused"


def _locked_rules() -> AdequacyRules:
    # Lock order: docs/architecture.md, "Locks and their order".
    rules, _ = AdequacyRules.objects.select_for_update(of=("self",), no_key=True).get_or_create(
        pk=1
    )
    return rules


def _clear_sign_off(rules: AdequacyRules, actor) -> None:
    rules.signed_off_at, rules.signed_off_by = None, None
    rules.changed_at, rules.changed_by = timezone.now(), actor
    rules.save()


def pending_changes():
    """Changes of the table or the rules awaiting a physician's co-signature, oldest first."""
    return (
        ProposedChange.objects.filter(kind__in=KINDS, status=ProposedChange.Status.PENDING)
        .select_related("proposed_by")
        .order_by("proposed_at", "pk")
    )


def _propose(kind, subject, *, values: dict, previous: dict, actor) -> ProposedChange:
    if not actor.has_role(Role.ADMINISTRATOR):
        raise RulesRefused(_("Only an administrator can change the rules and minimum doses."))
    changed = {name: value for name, value in values.items() if previous[name] != value}
    if not changed:
        raise RulesRefused(_("No value was changed."))
    try:
        change = cosign.propose_change(
            kind=kind,
            subject=subject,
            site=None,
            values=values,
            previous=previous,
            actor=actor,
        )
    except cosign.CoSignRefused as refusal:
        raise RulesRefused(str(refusal)) from refusal
    audit(actor, f"{kind}.proposed", obj=change, reason=", ".join(changed))
    return change


@transaction.atomic
def propose_minimum_dose(dose: MinimumDose, *, daily_mg, provenance: str, actor) -> ProposedChange:
    """An administrator proposes one antidepressant's minimum daily dose; it takes effect when a
    physician co-signs."""
    _locked_rules()
    dose = _locked_dose(dose)
    return _propose(
        DOSE_KIND,
        f"drug:{dose.drug.code}",
        values={"daily_mg": daily_mg, "provenance": provenance},
        previous={"daily_mg": dose.daily_mg, "provenance": dose.provenance},
        actor=actor,
    )


@transaction.atomic
def propose_adequacy_rules(
    *, min_weeks: int, early_stop_weeks: int, failure_below_pct: int, actor
) -> ProposedChange:
    """An administrator proposes the thresholds of the trial assessment (the non-response
    threshold among them); they take effect when a physician co-signs."""
    if early_stop_weeks > min_weeks:
        raise RulesRefused(_("A trial cannot count as stopped early after its minimum duration."))
    rules = _locked_rules()
    return _propose(
        RULES_KIND,
        "rules",
        values={
            "min_weeks": min_weeks,
            "early_stop_weeks": early_stop_weeks,
            "failure_below_pct": failure_below_pct,
        },
        previous={
            "min_weeks": rules.min_weeks,
            "early_stop_weeks": rules.early_stop_weeks,
            "failure_below_pct": rules.failure_below_pct,
        },
        actor=actor,
    )


def _locked_dose(dose: MinimumDose) -> MinimumDose:
    return (
        # Lock order: docs/architecture.md, "Locks and their order".
        MinimumDose.objects.select_for_update(of=("self",), no_key=True)
        .select_related("drug")
        .get(pk=dose.pk)
    )


def _apply_minimum_dose(rules, change: ProposedChange, *, actor) -> None:
    code = change.subject.removeprefix("drug:")
    dose = _locked_dose(MinimumDose.objects.get(drug__code=code))
    before = dose.daily_mg
    text = change.values["daily_mg"]
    dose.daily_mg = Decimal(text) if text else None
    dose.provenance = change.values["provenance"]
    dose.changed_at, dose.changed_by = timezone.now(), change.proposed_by
    dose.save()
    _clear_sign_off(rules, actor)
    audit(
        actor,
        "formulary.minimum_dose.changed",
        obj=dose,
        reason=f"{code}: {before} -> {dose.daily_mg} mg",
    )


def _apply_rules(rules, change: ProposedChange, *, actor) -> None:
    before = (rules.min_weeks, rules.early_stop_weeks, rules.failure_below_pct)
    rules.min_weeks = int(change.values["min_weeks"])
    rules.early_stop_weeks = int(change.values["early_stop_weeks"])
    rules.failure_below_pct = int(change.values["failure_below_pct"])
    after = (rules.min_weeks, rules.early_stop_weeks, rules.failure_below_pct)
    _clear_sign_off(rules, actor)
    audit(actor, "formulary.rules.changed", obj=rules, reason=f"{before} -> {after}")


def _require_physician(actor) -> None:
    if not actor.has_role(Role.PHYSICIAN):
        raise RulesRefused(_("Only a physician can co-sign or reject a change of the rules."))


@transaction.atomic
def co_sign_formulary_change(change: ProposedChange, *, actor) -> ProposedChange:
    """A physician other than the proposer co-signs: the proposed values take effect."""
    _require_physician(actor)
    if change.kind not in KINDS:
        raise RulesRefused(_("This is not a change of the rules or minimum doses."))
    rules = _locked_rules()

    def apply(locked: ProposedChange) -> None:
        if locked.kind == DOSE_KIND:
            _apply_minimum_dose(rules, locked, actor=actor)
        else:
            _apply_rules(rules, locked, actor=actor)

    try:
        return cosign.co_sign_change(change, actor=actor, apply=apply)
    except cosign.CoSignRefused as refusal:
        raise RulesRefused(str(refusal)) from refusal


@transaction.atomic
def reject_formulary_change(change: ProposedChange, *, note: str, actor) -> ProposedChange:
    """A physician other than the proposer rejects the change; nothing takes effect."""
    _require_physician(actor)
    if change.kind not in KINDS:
        raise RulesRefused(_("This is not a change of the rules or minimum doses."))
    _locked_rules()
    try:
        return cosign.reject_change(change, note=note, actor=actor)
    except cosign.CoSignRefused as refusal:
        raise RulesRefused(str(refusal)) from refusal


@transaction.atomic
def sign_off_adequacy_rules(*, actor) -> AdequacyRules:
    """The medical director confirms the current rules and minimum doses.

    There is no medical-director role: a user holding both the administrator and the physician
    role signs off (an administrator alone may edit, but not confirm, clinical thresholds).
    """
    if not (actor.has_role(Role.ADMINISTRATOR) and actor.has_role(Role.PHYSICIAN)):
        raise RulesRefused(
            _("Only a physician who is also an administrator can confirm clinical thresholds.")
        )
    rules = _locked_rules()
    rules.signed_off_at, rules.signed_off_by = timezone.now(), actor
    rules.save(update_fields=["signed_off_at", "signed_off_by"])
    audit(actor, "formulary.rules.signed_off", obj=rules)
    return rules
