from django import forms
from django.utils.translation import gettext_lazy as _

from clinic.formulary.models import AdequacyRules


class AdequacyRulesForm(forms.ModelForm):
    class Meta:
        model = AdequacyRules
        fields = ["min_weeks", "early_stop_weeks", "failure_below_pct"]

    def clean(self):
        data = super().clean()
        if (
            data.get("early_stop_weeks")
            and data.get("min_weeks")
            and data["early_stop_weeks"] > data["min_weeks"]
        ):
            self.add_error(
                "early_stop_weeks", _("This cannot be longer than the minimum duration.")
            )
        return data


class MinimumDoseForm(forms.Form):
    daily_mg = forms.DecimalField(
        label=_("Minimum daily dose, mg"),
        required=False,
        min_value=0.01,
        max_value=10000,
        max_digits=7,
        decimal_places=2,
    )
    provenance = forms.CharField(label=_("Source"), max_length=300)
