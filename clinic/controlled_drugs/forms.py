from datetime import timedelta
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinic.accounts.models import User
from clinic.accounts.roles import Role
from clinic.controlled_drugs.models import (
    DosageForm,
    Drug,
    Holding,
    Safe,
    Substance,
    Supplier,
    UnitOfAccount,
)
from clinic.controlled_drugs.selectors import ketamine_holdings
from clinic.patients.models import Patient

MAX_JOURNAL_DAYS = 366


def mg_field(label, *, required=True, allow_zero=False, help_text=""):
    return forms.DecimalField(
        label=label,
        required=required,
        max_digits=9,
        decimal_places=3,
        min_value=Decimal("0") if allow_zero else Decimal("0.001"),
        max_value=Decimal("100000"),
        help_text=help_text,
        widget=forms.NumberInput(attrs={"step": "0.001", "inputmode": "decimal"}),
    )


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class WitnessFields(forms.Form):
    """The second person signs in the same flow: e-mail, password and the current one-time
    code from their own authenticator, checked in `witness.authenticate_witness`."""

    witness_email = forms.EmailField(
        label=_("Witness e-mail"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    witness_password = forms.CharField(
        label=_("Witness password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )
    witness_code = forms.CharField(
        label=_("Witness one-time code"),
        required=False,
        max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )

    witness_required = True

    def clean(self):
        data = super().clean()
        if self.needs_witness(data):
            missing = [
                name
                for name in ("witness_email", "witness_password", "witness_code")
                if not data.get(name)
            ]
            for name in missing:
                self.add_error(name, _("The witness must enter this."))
        return data

    def needs_witness(self, data) -> bool:
        return self.witness_required

    def witness_credentials(self) -> dict:
        return {
            "email": self.cleaned_data["witness_email"],
            "password": self.cleaned_data["witness_password"],
            "code": self.cleaned_data["witness_code"].strip(),
        }


class ReceiveForm(forms.Form):
    safe = forms.ModelChoiceField(label=_("Safe"), queryset=Safe.objects.none(), empty_label=None)
    drug = forms.ModelChoiceField(
        label=_("Drug"), queryset=Drug.objects.active(), empty_label=_("Choose a drug")
    )
    batch_number = forms.CharField(label=_("Batch number"), max_length=50)
    expires_on = forms.DateField(label=_("Expiry date"), widget=DateInput())
    units = forms.IntegerField(
        label=_("Units received"),
        min_value=1,
        max_value=10_000,
        help_text=_("Ampoules or vials, as on the invoice."),
    )
    supplier = forms.ModelChoiceField(
        label=_("Supplier"),
        queryset=Supplier.objects.filter(is_active=True),
        empty_label=_("Choose a supplier"),
    )
    document_number = forms.CharField(label=_("Invoice number"), max_length=50)
    document_date = forms.DateField(label=_("Invoice date"), widget=DateInput())
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args, site, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["safe"].queryset = Safe.objects.filter(site=site, is_active=True)

    def clean_document_date(self):
        value = self.cleaned_data["document_date"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("The invoice date cannot be in the future."))
        return value


class AdministrationForm(WitnessFields):
    patient = forms.ModelChoiceField(
        label=_("Patient"), queryset=Patient.objects.none(), empty_label=_("Choose a patient")
    )
    holding = forms.ModelChoiceField(
        label=_("Lot and safe"), queryset=Holding.objects.none(), empty_label=None
    )
    prescribed_by = forms.ModelChoiceField(
        label=_("Prescribed by"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Choose the physician"),
    )
    drawn_mg = mg_field(_("Drawn, mg"), help_text=_("What was drawn from the ampoule."))
    administered_mg = mg_field(
        _("Administered, mg"), allow_zero=True, help_text=_("What the patient received.")
    )
    act_number = forms.CharField(label=_("Destruction act number"), max_length=50, required=False)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    field_order = [
        "patient",
        "holding",
        "prescribed_by",
        "drawn_mg",
        "administered_mg",
        "act_number",
        "note",
    ]
    # Shown by static/js/drugs.js as the nurse types.
    residue_template = _("Residue to destroy before the witness: {mg} mg")

    def __init__(self, *args, site, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["patient"].queryset = Patient.objects.at(site).order_by(
            "family_name", "given_name"
        )
        self.fields["patient"].label_from_instance = lambda p: f"{p.full_name} ({p.record_number})"
        self.fields["holding"].queryset = Holding.objects.at(site).in_stock().for_pages()
        self.fields["holding"].label_from_instance = holding_label
        self.fields["prescribed_by"].queryset = User.objects.filter(
            is_active=True, sites=site, groups__name=Role.PHYSICIAN
        ).distinct()

    def clean(self):
        data = super().clean()
        drawn, given = data.get("drawn_mg"), data.get("administered_mg")
        if drawn is not None and given is not None and given > drawn:
            self.add_error("administered_mg", _("Cannot be more than the amount drawn."))
        return data

    def needs_witness(self, data) -> bool:
        drawn, given = data.get("drawn_mg"), data.get("administered_mg")
        return drawn is not None and given is not None and drawn > given


class SessionAdministrationForm(WitnessFields):
    """The register's entry made from an infusion session's page: the patient, the prescriber
    and the session are the session's own, so only the ampoule and the amounts are asked."""

    holding = forms.ModelChoiceField(
        label=_("Lot and safe"), queryset=Holding.objects.none(), empty_label=None
    )
    drawn_mg = mg_field(
        _("Drawn, mg"),
        help_text=_(
            "The ampoules opened from this lot, whole (2 ampoules of 100 mg: 200). A dose drawn "
            "from two lots is entered lot by lot."
        ),
    )
    administered_mg = mg_field(
        _("Administered, mg"),
        allow_zero=True,
        help_text=_("What of the session's amount given these ampoules account for."),
    )
    act_number = forms.CharField(label=_("Destruction act number"), max_length=50, required=False)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    residue_template = AdministrationForm.residue_template

    def __init__(self, *args, site, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["holding"].queryset = ketamine_holdings(site)
        self.fields["holding"].label_from_instance = holding_label

    def clean(self):
        data = super().clean()
        drawn, given = data.get("drawn_mg"), data.get("administered_mg")
        if drawn is not None and given is not None and given > drawn:
            self.add_error("administered_mg", _("Cannot be more than the amount drawn."))
        return data

    def needs_witness(self, data) -> bool:
        drawn, given = data.get("drawn_mg"), data.get("administered_mg")
        return drawn is not None and given is not None and drawn > given


def holding_label(holding) -> str:
    lot = holding.lot
    return (
        f"{lot.drug} · {lot.batch_number} · {lot.expires_on:%d.%m.%Y} · {holding.safe.name} · "
        f"{holding.balance_mg.normalize():f} mg"
    )


class ResidueForm(WitnessFields):
    quantity_mg = mg_field(_("Residue destroyed, mg"))
    act_number = forms.CharField(label=_("Destruction act number"), max_length=50, required=False)

    field_order = ["quantity_mg", "act_number"]


class ReversalForm(WitnessFields):
    reason = forms.CharField(label=_("Reason for the reversal"), max_length=500)

    field_order = ["reason"]


class WriteOffForm(WitnessFields):
    quantity_mg = mg_field(_("Quantity, mg"))
    reason = forms.CharField(label=_("Reason"), max_length=500)
    act_number = forms.CharField(label=_("Destruction act number"), max_length=50, required=False)

    field_order = ["quantity_mg", "reason", "act_number"]


class TransferForm(forms.Form):
    to_safe = forms.ModelChoiceField(
        label=_("To safe"), queryset=Safe.objects.none(), empty_label=_("Choose a safe")
    )
    quantity_mg = mg_field(_("Quantity, mg"))
    reason = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args, holding, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_safe"].queryset = Safe.objects.filter(
            site=holding.safe.site, is_active=True
        ).exclude(pk=holding.safe_id)


class CountForm(WitnessFields):
    """One counted amount (and explanation) per holding of the safe; the witness signs only
    when something differs."""

    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args, holdings, **kwargs):
        super().__init__(*args, **kwargs)
        self.holdings = list(holdings)
        for holding in self.holdings:
            self.fields[f"counted_{holding.pk}"] = mg_field(_("Counted, mg"), allow_zero=True)
            self.fields[f"explanation_{holding.pk}"] = forms.CharField(
                label=_("Explanation of a difference"), max_length=500, required=False
            )
            self.fields[f"seen_{holding.pk}"] = forms.IntegerField(
                widget=forms.HiddenInput, initial=holding.last_seq, min_value=0
            )

    def rows(self):
        for holding in self.holdings:
            yield (
                holding,
                self[f"counted_{holding.pk}"],
                self[f"explanation_{holding.pk}"],
                self[f"seen_{holding.pk}"],
            )

    def needs_witness(self, data) -> bool:
        return any(
            data.get(f"counted_{h.pk}") is not None and data[f"counted_{h.pk}"] != h.balance_mg
            for h in self.holdings
        )

    def lines(self):
        return [
            (
                holding,
                self.cleaned_data[f"counted_{holding.pk}"],
                self.cleaned_data[f"explanation_{holding.pk}"],
                self.cleaned_data[f"seen_{holding.pk}"],
            )
            for holding in self.holdings
        ]


class ResolveForm(forms.Form):
    text = forms.CharField(
        label=_("How was it resolved"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )


class JournalForm(forms.Form):
    site = forms.ModelChoiceField(label=_("Site"), queryset=None, empty_label=None)
    drug = forms.ModelChoiceField(label=_("Drug"), queryset=Drug.objects.all(), empty_label=None)
    start = forms.DateField(label=_("From"), widget=DateInput())
    end = forms.DateField(label=_("To"), widget=DateInput())

    def __init__(self, *args, sites, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                raise forms.ValidationError(_("The period ends before it starts."))
            if end - start > timedelta(days=MAX_JOURNAL_DAYS):
                raise forms.ValidationError(_("Choose a period of at most a year."))
        return data


class DrugForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=40)
    inn = forms.CharField(label=_("INN"), max_length=100)
    brand = forms.CharField(label=_("Brand"), max_length=100, required=False)
    substance = forms.ChoiceField(
        label=_("Active substance"),
        choices=[("", _("another substance"))] + Substance.choices,
        required=False,
        help_text=_("Ketamine here is the drug infusion sessions draw their doses from."),
    )
    dosage_form = forms.ChoiceField(label=_("Form"), choices=DosageForm.choices)
    concentration_mg_per_ml = forms.DecimalField(
        label=_("Concentration, mg/ml"),
        required=False,
        max_digits=8,
        decimal_places=3,
        min_value=Decimal("0.001"),
        max_value=Decimal("10000"),
    )
    unit_content_mg = forms.DecimalField(
        label=_("Content of one unit, mg"),
        max_digits=8,
        decimal_places=3,
        min_value=Decimal("0.001"),
        max_value=Decimal("10000"),
        help_text=_("From the package: 50 mg/ml × 2 ml is 100 mg."),
    )
    unit_of_account = forms.ChoiceField(label=_("Unit of account"), choices=UnitOfAccount.choices)


class DrugChangeForm(DrugForm):
    """A drug's entry corrected: the code names it for good, so it is not offered."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["code"]


class SafeForm(forms.Form):
    name = forms.CharField(label=_("Name of the safe"), max_length=100)
    count_every_hours = forms.IntegerField(
        label=_("Count every (hours)"),
        min_value=1,
        max_value=744,
        initial=24,
        required=False,
        help_text=Safe._meta.get_field("count_every_hours").help_text,
    )

    def clean_count_every_hours(self):
        # Left empty: the centre's practice, the field's default.
        value = self.cleaned_data["count_every_hours"]
        return Safe._meta.get_field("count_every_hours").default if value is None else value


class SupplierForm(forms.Form):
    name = forms.CharField(label=_("Supplier"), max_length=200)
    tax_code = forms.RegexField(
        label=_("EDRPOU code"), regex=r"^\d{8,10}$", required=False, max_length=10
    )
