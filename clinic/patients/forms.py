import unicodedata
from datetime import date, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from clinic.accounts.models import User
from clinic.accounts.roles import Role
from clinic.core.forms import collate_choices, idempotency_key_field
from clinic.formulary.models import Drug
from clinic.locations.models import Site
from clinic.patients.models import (
    AntidepressantTrial,
    ClinicalNote,
    Consent,
    ConsentPurpose,
    Intake,
    Medication,
    Patient,
    PriorTreatment,
    PrivacyRequest,
)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class NormalisedForm:
    """Text is stored in NFC, without surrounding spaces (security.md §7.4: a decomposed
    'Й' would otherwise be a different name)."""

    def _post_clean_text(self):
        for name, value in list(self.cleaned_data.items()):
            if isinstance(value, str):
                self.cleaned_data[name] = unicodedata.normalize("NFC", value).strip()

    def clean(self):
        data = super().clean()
        self._post_clean_text()
        return data


def _check_past(value, message=None):
    if value is not None and value > timezone.localdate():
        raise forms.ValidationError(message or _("This date is in the future."))
    if value is not None and value < date(1900, 1, 1):
        raise forms.ValidationError(_("Check the date."))
    return value


def _staff_of(site, role):
    return User.objects.filter(sites=site, groups__name=role, is_active=True).distinct()


class PatientForm(NormalisedForm, forms.ModelForm):
    phone = PhoneNumberField(
        label=_("Phone"),
        region="UA",
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )
    emergency_contact_phone = PhoneNumberField(
        label=_("Emergency contact phone"), region="UA", required=False
    )
    escort_phone = PhoneNumberField(label=_("Escort phone"), region="UA", required=False)
    # Registering twice from one form (a retry after a lost answer) gives one patient.
    idempotency_key = idempotency_key_field()

    class Meta:
        model = Patient
        fields = [
            "family_name",
            "given_name",
            "patronymic",
            "family_name_latin",
            "given_name_latin",
            "birth_date",
            "sex",
            "phone",
            "email",
            "address",
            "preferred_language",
            "preferred_channel",
            "home_site",
            "physician",
            "psychotherapist",
            "emergency_contact_name",
            "emergency_contact_phone",
            "emergency_contact_relation",
            "escort_name",
            "escort_phone",
            "escort_relation",
        ]
        widgets = {"birth_date": DateInput()}
        help_texts = {
            "family_name_latin": _("As in the passport; left empty, it is transliterated."),
        }

    def __init__(self, *args, user, site, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["home_site"]
            del self.fields["idempotency_key"]
            site = self.instance.home_site
        else:
            self.fields["home_site"].queryset = Site.objects.filter(
                pk__in=user.site_ids, is_active=True
            )
            self.fields["home_site"].initial = site
            self.fields["home_site"].empty_label = None
        self.fields["physician"].queryset = _staff_of(site, Role.PHYSICIAN)
        self.fields["psychotherapist"].queryset = _staff_of(site, Role.PSYCHOTHERAPIST)

    def clean_birth_date(self):
        return _check_past(self.cleaned_data["birth_date"], _("Check the date of birth."))

    def clean(self):
        data = super().clean()
        if data.get("preferred_channel") == Patient.Channel.SMS and not data.get("phone"):
            self.add_error("phone", _("Text messages need a phone number."))
        if data.get("preferred_channel") in (Patient.Channel.TELEGRAM, Patient.Channel.VIBER) and (
            not data.get("phone")
        ):
            self.add_error("phone", _("Telegram and Viber messages need a phone number."))
        if data.get("preferred_channel") == Patient.Channel.EMAIL and not data.get("email"):
            self.add_error("email", _("E-mail messages need an address."))
        if data.get("email"):
            data["email"] = data["email"].lower()
        return data


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Find a patient"),
        required=False,
        max_length=200,
        help_text=_(
            "Name (Cyrillic or Latin), phone, date of birth (dd.mm.yyyy) or record number."
        ),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )


class ConsentForm(forms.Form):
    purpose = forms.ChoiceField(label=_("Consent to"), choices=ConsentPurpose.choices)
    given = forms.TypedChoiceField(
        label=_("Answer"),
        choices=[("yes", _("given")), ("no", _("refused"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        initial="yes",
    )
    channel = forms.ChoiceField(label=_("How"), choices=Consent.Channel.choices)
    given_at = forms.DateTimeField(
        label=_("When"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    def clean_given_at(self):
        given_at = self.cleaned_data["given_at"]
        if given_at.year < 2000:
            raise forms.ValidationError(_("Check the date."))
        return given_at


class WithdrawForm(NormalisedForm, forms.Form):
    note = forms.CharField(label=_("Note (optional)"), max_length=300, required=False)


class IntakeForm(NormalisedForm, forms.ModelForm):
    class Meta:
        model = Intake
        fields = [
            *Intake.CONDITIONS,
            "episode_onset",
            "episode_count",
            "severity",
            "psychotic_features",
            "bipolar_history",
            "substance_use",
            "substance_details",
            "sleep_disorder",
            "eating_disorder",
            "physical_comorbidities",
            "mental_comorbidities",
            "allergies",
            "no_known_allergies",
            *Intake.SCREEN_CONDITIONS,
            "pregnant",
            "pregnancy_start",
            "delivery_date",
            "breastfeeding",
            "infant_birth_date",
        ]
        widgets = {
            "episode_onset": DateInput(),
            "pregnancy_start": DateInput(),
            "delivery_date": DateInput(),
            "infant_birth_date": DateInput(),
            "physical_comorbidities": forms.Textarea(attrs={"rows": 2}),
            "mental_comorbidities": forms.Textarea(attrs={"rows": 2}),
        }

    def clean_episode_onset(self):
        return _check_past(self.cleaned_data["episode_onset"])

    def clean_pregnancy_start(self):
        return _check_past(self.cleaned_data["pregnancy_start"])

    def clean_infant_birth_date(self):
        return _check_past(self.cleaned_data["infant_birth_date"])

    def clean_delivery_date(self):
        delivery = self.cleaned_data["delivery_date"]
        # A delivery may be expected (pregnant now), but not beyond a pregnancy's length.
        if delivery and (
            delivery < date(1900, 1, 1) or delivery > timezone.localdate() + timedelta(days=300)
        ):
            raise forms.ValidationError(_("Check the date."))
        return delivery

    def clean(self):
        data = super().clean()
        start, delivery = data.get("pregnancy_start"), data.get("delivery_date")
        if start and delivery and delivery <= start:
            self.add_error(
                "delivery_date", _("The delivery date must be after the pregnancy began.")
            )
        if (
            data.get("pregnant")
            and delivery
            and delivery < timezone.localdate()
            and not (start and start > delivery)
        ):
            self.add_error(
                "pregnant",
                _("A current pregnancy needs a pregnancy start after the last delivery."),
            )
        if not data.get("pregnant") and delivery and delivery > timezone.localdate():
            self.add_error(
                "delivery_date", _("A delivery date in the future needs 'pregnant now'.")
            )
        if data.get("allergies") and data.get("no_known_allergies"):
            self.add_error("no_known_allergies", _("Allergies are listed above."))
        return data


class MeasurementForm(forms.Form):
    measured_on = forms.DateField(label=_("Measured on"), widget=DateInput())
    weight_kg = forms.DecimalField(
        label=_("Weight, kg"),
        required=False,
        min_value=20,
        max_value=400,
        decimal_places=1,
        max_digits=5,
    )
    height_cm = forms.IntegerField(
        label=_("Height, cm"), required=False, min_value=100, max_value=250
    )
    systolic = forms.IntegerField(
        label=_("Systolic, mmHg"), required=False, min_value=50, max_value=300
    )
    diastolic = forms.IntegerField(
        label=_("Diastolic, mmHg"), required=False, min_value=20, max_value=200
    )

    def clean_measured_on(self):
        return _check_past(self.cleaned_data["measured_on"])

    def clean(self):
        data = super().clean()
        systolic, diastolic = data.get("systolic"), data.get("diastolic")
        if (systolic is None) != (diastolic is None):
            raise forms.ValidationError(_("Give both the systolic and the diastolic pressure."))
        if systolic is not None and diastolic is not None and systolic <= diastolic:
            self.add_error(
                "systolic", _("The systolic pressure must be higher than the diastolic.")
            )
        if data.get("height_cm") and data.get("weight_kg") is None:
            self.add_error("weight_kg", _("Height is recorded together with the weight."))
        if data.get("weight_kg") is None and systolic is None and not self.errors:
            raise forms.ValidationError(_("Enter a weight or a blood pressure."))
        return data


class MedicationForm(NormalisedForm, forms.ModelForm):
    class Meta:
        model = Medication
        fields = ["drug", "other_name", "daily_dose_mg", "started_on", "stopped_on"]
        widgets = {"started_on": DateInput(), "stopped_on": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["drug"].queryset = Drug.objects.active()
        collate_choices(self.fields["drug"])

    def clean(self):
        data = super().clean()
        for name in ("started_on", "stopped_on"):
            try:
                _check_past(data.get(name))
            except forms.ValidationError as error:
                self.add_error(name, error)
        if not data.get("drug") and not data.get("other_name"):
            self.add_error("drug", _("Choose a drug or write the name of the medicine."))
        start, stop = data.get("started_on"), data.get("stopped_on")
        if start and stop and stop < start:
            self.add_error("stopped_on", _("The stop date is before the start date."))
        return data


class TrialForm(NormalisedForm, forms.ModelForm):
    class Meta:
        model = AntidepressantTrial
        fields = [
            "drug",
            "daily_dose_mg",
            "started_on",
            "stopped_on",
            "adherence",
            "improvement_pct",
            "side_effects",
            "stop_reason",
        ]
        widgets = {"started_on": DateInput(), "stopped_on": DateInput()}
        help_texts = {
            "improvement_pct": _("Reduction of symptoms from the start of the trial, 0-100."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["drug"].queryset = Drug.objects.active().antidepressants()
        collate_choices(self.fields["drug"])

    def clean(self):
        data = super().clean()
        for name in ("started_on", "stopped_on"):
            try:
                _check_past(data.get(name))
            except forms.ValidationError as error:
                self.add_error(name, error)
        start, stop = data.get("started_on"), data.get("stopped_on")
        if start and stop and stop < start:
            self.add_error("stopped_on", _("The stop date is before the start date."))
        if stop is None and data.get("stop_reason"):
            self.add_error("stopped_on", _("A reason for stopping needs the stop date."))
        return data


class PriorTreatmentForm(NormalisedForm, forms.ModelForm):
    class Meta:
        model = PriorTreatment
        fields = [
            "kind",
            "drug",
            "daily_dose_mg",
            "modality",
            "bilateral",
            "sessions",
            "started_on",
            "stopped_on",
            "improvement_pct",
            "notes",
        ]
        widgets = {"started_on": DateInput(), "stopped_on": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["drug"].queryset = Drug.objects.active().augmenting_agents()
        collate_choices(self.fields["drug"])

    def clean(self):
        data = super().clean()
        for name in ("started_on", "stopped_on"):
            try:
                _check_past(data.get(name))
            except forms.ValidationError as error:
                self.add_error(name, error)
        start, stop = data.get("started_on"), data.get("stopped_on")
        if start and stop and stop < start:
            self.add_error("stopped_on", _("The stop date is before the start date."))
        if data.get("kind") == PriorTreatment.Kind.AUGMENTATION and not data.get("drug"):
            self.add_error("drug", _("Augmentation needs the augmenting drug."))
        if data.get("bilateral") and data.get("kind") != PriorTreatment.Kind.ECT:
            self.add_error("bilateral", _("Only ECT is bilateral or unilateral."))
        return data


class StrikeOutForm(NormalisedForm, forms.Form):
    reason = forms.CharField(label=_("Why is this entry wrong?"), max_length=300)


class EligibilityForm(NormalisedForm, forms.Form):
    is_eligible = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("yes", _("eligible for ketamine")), ("no", _("not eligible"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    reasons = forms.CharField(
        label=_("Reasons"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    override_reason = forms.CharField(
        label=_("Why the decision departs from the screen"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when a contraindication is overridden."),
    )


class NoteForm(NormalisedForm, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ClinicalNote.Kind.choices)
    text = forms.CharField(
        label=_("Note"), max_length=20000, widget=forms.Textarea(attrs={"rows": 8})
    )

    def __init__(self, *args, kinds=None, **kwargs):
        super().__init__(*args, **kwargs)
        if kinds is not None:
            self.fields["kind"].choices = kinds


class NoteTextForm(NormalisedForm, forms.Form):
    text = forms.CharField(
        label=_("Text"), max_length=20000, widget=forms.Textarea(attrs={"rows": 8})
    )


class PrivacyRequestForm(NormalisedForm, forms.Form):
    kind = forms.ChoiceField(label=_("Request"), choices=PrivacyRequest.Kind.choices)
    received_on = forms.DateField(label=_("Received on"), widget=DateInput())
    details = forms.CharField(
        label=_("Details"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_received_on(self):
        return _check_past(self.cleaned_data["received_on"])


class OutcomeForm(NormalisedForm, forms.Form):
    outcome = forms.CharField(
        label=_("How was it answered?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ConsentWordingForm(NormalisedForm, forms.Form):
    purpose = forms.ChoiceField(label=_("Consent to"), choices=ConsentPurpose.choices)
    text_uk = forms.CharField(
        label=_("Text (Ukrainian)"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5})
    )
    text_en = forms.CharField(
        label=_("Text (English)"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5})
    )
