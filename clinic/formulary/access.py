from django.http import Http404

from clinic.formulary.models import MinimumDose


def get_minimum_dose_for(user, drug_code) -> MinimumDose:
    """A row of the minimum-dose table (the view's policy admits administrators only)."""
    dose = MinimumDose.objects.select_related("drug").filter(drug__code=drug_code).first()
    if dose is None:
        raise Http404
    return dose
