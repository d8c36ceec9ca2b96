import uuid

from django import forms
from django.forms.models import ModelChoiceIterator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from clinic.core.collation import collation_key

# The empty choice of a model field's select (django.db.models.fields.BLANK_CHOICE_LABEL, new
# in Django 6.1) has no Ukrainian in Django's own catalogue yet; ours carries it.
gettext_noop("- Select an option -")


def idempotency_key_field():
    """A hidden key drawn with the form; resubmitting the page sends the same one
    (core/idempotency.py)."""
    return forms.UUIDField(required=False, widget=forms.HiddenInput, initial=uuid.uuid4)


class CollatedChoiceIterator(ModelChoiceIterator):
    """A model choice list in the reading order of the page's language, by the shown label."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        choices = [self.choice(obj) for obj in self.queryset]
        yield from sorted(choices, key=lambda choice: collation_key(str(choice[1])))


def collate_choices(field: forms.ModelChoiceField) -> forms.ModelChoiceField:
    """Show `field`'s options sorted by their labels in the active language."""
    field.iterator = CollatedChoiceIterator
    field.widget.choices = field.choices
    return field


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
