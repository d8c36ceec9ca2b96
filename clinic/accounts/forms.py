from django import forms
from django.utils.translation import gettext_lazy as _

from clinic.accounts.models import User
from clinic.accounts.roles import Role
from clinic.locations.models import Site


class StaffForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    email = forms.EmailField(label=_("E-mail"))
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=Role.choices, widget=forms.CheckboxSelectMultiple
    )
    sites = forms.ModelMultipleChoiceField(
        label=_("Sites"), queryset=Site.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, admin, instance=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance = instance
        # An administrator can only give access to the sites they work at themselves.
        self.fields["sites"].queryset = Site.objects.filter(pk__in=admin.site_ids, is_active=True)
        if instance is not None:
            self.fields["email"].disabled = True

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        taken = User.objects.filter(email__iexact=email)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("An account with this e-mail already exists."))
        return email


class DeactivateForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)
