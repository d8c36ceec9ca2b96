"""Reading the formulary and the adequacy rules."""

from clinic.formulary.models import AdequacyRules, Drug, MinimumDose


def adequacy_rules() -> AdequacyRules:
    """The one row of rules (created by the migration; recreated with defaults if missing)."""
    rules, _ = AdequacyRules.objects.select_related("signed_off_by").get_or_create(pk=1)
    return rules


def minimum_doses() -> dict[int, object]:
    """{drug id: minimum daily mg or None}, for every antidepressant in the table."""
    return dict(MinimumDose.objects.values_list("drug_id", "daily_mg"))


def dose_table():
    """The minimum-dose table as the medical director edits it, one row per antidepressant."""
    return MinimumDose.objects.select_related("drug", "changed_by").order_by("drug__name_en")


def antidepressant_choices():
    return Drug.objects.active().antidepressants().order_by("drug_class", "name_en")
