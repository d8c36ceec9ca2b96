import uuid

from django import forms
from django.utils.translation import gettext_lazy as _


def idempotency_key_field():
    """A hidden key drawn with the form; resubmitting the page sends the same one
    (core/idempotency.py)."""
    return forms.UUIDField(required=False, widget=forms.HiddenInput, initial=uuid.uuid4)


class AuditFilterForm(forms.Form):
    patient = forms.CharField(label=_("Patient record number"), required=False, max_length=20)
    actor = forms.CharField(label=_("Actor e-mail"), required=False, max_length=254)
    action = forms.CharField(label=_("Action"), required=False, max_length=80)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date cannot be before the start date."))
        return data

    def describe(self) -> str:
        """The filter in words, for the audit row of the viewing itself."""
        return "; ".join(f"{k}={v}" for k, v in self.cleaned_data.items() if v)
