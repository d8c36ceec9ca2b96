"""Reading the formulary and the adequacy rules."""

from clinic.core.collation import sorted_by_name
from clinic.formulary.models import AdequacyRules, MinimumDose


def adequacy_rules() -> AdequacyRules:
    """The one row of rules (created by the migration; recreated with defaults if missing)."""
    rules, _ = AdequacyRules.objects.select_related("signed_off_by").get_or_create(pk=1)
    return rules


def minimum_doses() -> dict[int, object]:
    """{drug id: minimum daily mg or None}, for every antidepressant in the table."""
    return dict(MinimumDose.objects.values_list("drug_id", "daily_mg"))


def dose_table() -> list[MinimumDose]:
    """The minimum-dose table as the medical director edits it, one row per antidepressant,
    in the alphabetical order of the page's language."""
    doses = MinimumDose.objects.select_related("drug", "changed_by")
    return sorted_by_name(doses, lambda dose: dose.drug.name)
