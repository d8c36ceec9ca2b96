"""Input validation for billing's forms; amounts are typed in hryvnias and kept in kopecks."""

from django import forms
from django.utils.translation import gettext_lazy as _

from clinic.billing import money
from clinic.billing.models import Invoice, Package, Payment, SiteBilling, Vat
from clinic.scheduling.models import VisitType
from clinic.treatment.selectors import SESSION_KIND_CHOICES


class AmountField(forms.Field):
    """Hryvnias with up to two decimals ('1 250,50'); cleans to an int of kopecks."""

    widget = forms.TextInput

    def widget_attrs(self, widget):
        return {
            **super().widget_attrs(widget),
            "inputmode": "decimal",
            "autocomplete": "off",
            "maxlength": "20",
        }

    def to_python(self, value):
        value = (value or "").strip() if isinstance(value, str) else value
        if value in self.empty_values:
            return None
        try:
            return money.parse(value[:20])
        except money.AmountError:
            raise forms.ValidationError(
                _("Enter an amount in hryvnias, such as 1250 or 1250,50."), code="amount"
            ) from None


class PriceForm(forms.Form):
    visit_type = forms.ModelChoiceField(VisitType.objects.all(), label=_("Visit type"))
    session_kind = forms.ChoiceField(
        label=_("Session kind"),
        choices=[("", _("Every kind")), *SESSION_KIND_CHOICES],
        required=False,
        help_text=_("Only where the price differs by kind of session."),
    )
    amount = AmountField(label=_("Price, UAH"))
    vat = forms.ChoiceField(label=_("VAT"), choices=Vat.choices)
    valid_from = forms.DateField(
        label=_("Valid from"), widget=forms.DateInput(attrs={"type": "date"})
    )


class PackageForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    visit_type = forms.ModelChoiceField(VisitType.objects.all(), label=_("Covers visits of type"))
    units = forms.IntegerField(label=_("Visits"), min_value=1, max_value=100)
    price = AmountField(label=_("Price, UAH"))
    valid_days = forms.IntegerField(label=_("Valid for, days"), min_value=1, max_value=730)
    vat = forms.ChoiceField(label=_("VAT"), choices=Vat.choices)


class PolicyForm(forms.ModelForm):
    class Meta:
        model = SiteBilling
        fields = [
            "notice_hours",
            "late_cancel_percent",
            "no_show_percent",
            "clinical_staff_see_balances",
            "provenance",
        ]


class PaymentForm(forms.Form):
    method = forms.ChoiceField(label=_("Method"), choices=Payment.Method.choices)
    amount = AmountField(label=_("Amount, UAH"))
    invoice = forms.ModelChoiceField(
        Invoice.objects.none(),
        label=_("Pays invoice"),
        required=False,
        empty_label=_("No invoice (paid in advance)"),
        to_field_name="public_id",
    )

    def __init__(self, *args, patient=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["invoice"].queryset = Invoice.objects.filter(patient=patient)


class SellPackageForm(forms.Form):
    package = forms.ModelChoiceField(Package.objects.none(), label=_("Package"))
    discount = AmountField(label=_("Discount, UAH"), required=False)
    discount_reason = forms.CharField(
        label=_("Reason for the discount"), max_length=200, required=False
    )

    def __init__(self, *args, site=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["package"].queryset = Package.objects.filter(site=site, is_active=True)


class CorrectionForm(forms.Form):
    """A credit note, a discount or a refund: an amount and its reason."""

    amount = AmountField(label=_("Amount, UAH"))
    reason = forms.CharField(label=_("Reason"), max_length=200)


class TillForm(forms.Form):
    amount = AmountField(label=_("Cash in the drawer, UAH"))


class PaymentLinkForm(forms.Form):
    amount = AmountField(
        label=_("Amount, UAH"),
        required=False,
        help_text=_("Empty: what the patient owes."),
    )
