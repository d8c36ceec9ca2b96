"""Changes to the adequacy rules and the minimum-dose table, and their sign-off."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.accounts.roles import Role
from clinic.core.audit import audit
from clinic.core.errors import Refused
from clinic.formulary.models import AdequacyRules, MinimumDose


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


@transaction.atomic
def change_minimum_dose(dose: MinimumDose, *, daily_mg, provenance: str, actor) -> MinimumDose:
    """Set one antidepressant's minimum daily dose; the table needs signing off again."""
    dose = (
        # Lock order: docs/architecture.md, "Locks and their order".
        MinimumDose.objects.select_for_update(of=("self",), no_key=True)
        .select_related("drug")
        .get(pk=dose.pk)
    )
    before = dose.daily_mg
    if before == daily_mg and dose.provenance == provenance:
        return dose
    dose.daily_mg, dose.provenance = daily_mg, provenance
    dose.changed_at, dose.changed_by = timezone.now(), actor
    dose.save()
    _clear_sign_off(_locked_rules(), actor)
    audit(
        actor,
        "formulary.minimum_dose.changed",
        obj=dose,
        reason=f"{dose.drug.code}: {before} -> {daily_mg} mg",
    )
    return dose


@transaction.atomic
def change_adequacy_rules(*, min_weeks: int, early_stop_weeks: int, failure_below_pct: int, actor):
    """Change the thresholds of the trial assessment; they need signing off again."""
    if early_stop_weeks > min_weeks:
        raise RulesRefused(_("A trial cannot count as stopped early after its minimum duration."))
    rules = _locked_rules()
    before = (rules.min_weeks, rules.early_stop_weeks, rules.failure_below_pct)
    after = (min_weeks, early_stop_weeks, failure_below_pct)
    if before == after:
        return rules
    rules.min_weeks, rules.early_stop_weeks, rules.failure_below_pct = after
    _clear_sign_off(rules, actor)
    audit(actor, "formulary.rules.changed", obj=rules, reason=f"{before} -> {after}")
    return rules


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
