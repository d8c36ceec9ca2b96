"""Input validation for treatment pages. Business rules live in services and rules."""

import uuid
from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinic.core.citations import cite
from clinic.courses.models import Condition, Course, Modality
from clinic.locations.models import Room
from clinic.treatment import scales
from clinic.treatment.models import (
    ELECTRODE_POSITIONS,
    AdverseEvent,
    AlertAction,
    InteractionRule,
    PreCheck,
    PreparationMethod,
    PumpEvent,
    ScalePoint,
    SessionNote,
    Skin,
    TesSession,
    TreatmentSettings,
)
from clinic.treatment.rules import PROVENANCE


def _int(label, low, high, *, required=True, **kwargs):
    return forms.IntegerField(
        label=label,
        min_value=low,
        max_value=high,
        required=required,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        **kwargs,
    )


def _decimal(label, low, high, places=1, *, required=True, **kwargs):
    return forms.DecimalField(
        label=label,
        min_value=Decimal(low),
        max_value=Decimal(high),
        decimal_places=places,
        max_digits=6,
        required=required,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}),
        **kwargs,
    )


class LocalDateTimeField(forms.DateTimeField):
    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def __init__(self, **kwargs):
        super().__init__(input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"], **kwargs)


def now_local_input():
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


class CourseForm(forms.Form):
    modality = forms.ChoiceField(label=_("Modality"), choices=Modality.choices)
    indication = forms.CharField(label=_("Indication"), max_length=200)
    condition = forms.TypedChoiceField(
        label=_("Condition"),
        choices=Condition.choices,
        initial=Condition.UNSPECIFIED,
        required=False,
        empty_value=Condition.UNSPECIFIED,
        help_text=_("What the course treats: its outcomes are reported by condition."),
    )
    planned_sessions = _int(_("Planned sessions"), 1, 100)
    plan = forms.CharField(
        label=_("Plan"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=Course._meta.get_field("plan").help_text,
    )
    target_dose_mg_per_kg = _decimal(
        _("Target dose (mg/kg)"), "0.05", "0.75", 2, required=False,
        help_text=_("For IV ketamine; the site's default when empty."),
    )  # fmt: skip
    infusion_minutes = _int(_("Infusion time (minutes)"), 2, 100, required=False)
    eligibility_confirmed = forms.BooleanField(
        label=_(
            "No eligibility decision is on file: I confirm I have assessed the patient as eligible"
        ),
        required=False,
    )


class OpenSessionForm(forms.Form):
    chair = forms.ModelChoiceField(label=_("Chair"), queryset=Room.objects.none(), empty_label=None)
    check_in = forms.BooleanField(
        label=_("The patient is here (check in now)"), required=False, initial=True
    )

    def __init__(self, *args, site, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["chair"].queryset = Room.objects.filter(
            site=site, kind=Room.Kind.INFUSION_CHAIR, is_active=True
        )
        self.fields["chair"].label_from_instance = lambda room: room.name

    def offer_free(self, chairs):
        """Show only the chairs free now (`selectors.free_chairs`); the service checks again."""
        self.fields["chair"].choices = [(chair.pk, chair.name) for chair in chairs]


class VisitChairForm(forms.Form):
    """The chair a nurse chose for a visit's infusion when the booked one is taken."""

    chair = forms.ModelChoiceField(label=_("Chair"), queryset=Room.objects.none(), required=False)

    def __init__(self, *args, site, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["chair"].queryset = Room.objects.filter(
            site=site, kind=Room.Kind.INFUSION_CHAIR, is_active=True
        )


class PreCheckForm(forms.Form):
    weight_kg = _decimal(_("Weight (kg)"), "30", "250")
    weight_measured_on = forms.DateField(
        label=_("Weight measured on"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    systolic = _int(_("Systolic (mmHg)"), 50, 300)
    diastolic = _int(_("Diastolic (mmHg)"), 20, 200)
    heart_rate = _int(_("Heart rate (/min)"), 20, 250)
    spo2 = _int(_("SpO2 (%)"), 50, 100)
    resp_rate = _int(_("Respiratory rate (/min)"), 4, 60, required=False)
    fasting_hours = _int(_("Hours since the last meal"), 0, 72, required=False)
    escort_name = forms.CharField(label=_("Escort's name"), max_length=150)
    escort_phone = forms.CharField(
        label=_("Escort's phone"),
        max_length=30,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    escort_relation = forms.CharField(label=_("Escort's relation"), max_length=100, required=False)
    # No default: the chart fills them in, otherwise the nurse chooses (issue 14).
    pregnancy = forms.ChoiceField(
        label=_("Pregnancy"), choices=[("", "—"), *PreCheck.Pregnancy.choices]
    )
    breastfeeding = forms.ChoiceField(
        label=_("Breastfeeding"), choices=[("", "—"), *PreCheck.Breastfeeding.choices]
    )
    allergies = forms.CharField(
        label=_("Allergies (empty: none known)"), required=False, max_length=500
    )
    advice_given = forms.CharField(
        label=_("Advice given (pregnancy, breastfeeding, interactions)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    drugs = forms.ModelMultipleChoiceField(
        label=_("Concomitant drugs from the interaction list"),
        queryset=InteractionRule.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    chart_confirmed = forms.BooleanField(
        label=_("I confirm the differences from the patient's chart"), required=False
    )
    chart_note = forms.CharField(
        label=_("Why the pre-check differs from the chart"), required=False, max_length=500
    )

    def clean(self):
        data = super().clean()
        if data.get("systolic") and data.get("diastolic") and data["systolic"] <= data["diastolic"]:
            self.add_error("diastolic", _("Diastolic pressure must be lower than systolic."))
        return data


class BpDecisionForm(forms.Form):
    proceed = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("yes", _("Proceed with the infusion")), ("no", _("Defer the infusion"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("Reason"), max_length=500)


class DoseForm(forms.Form):
    """The physician's prescription; how it is made up is the nurse's preparation."""

    mg_per_kg = _decimal(_("Dose (mg/kg)"), "0.01", "0.75", 2)
    minutes = _int(_("Infusion time (minutes)"), 2, 100)
    reason = forms.CharField(label=_("Reason for the change"), max_length=500, required=False)


class PreparationForm(forms.Form):
    """How the nurse makes up the signed dose. "Calculate" shows the result; "record" saves it
    only when the values shown (the hidden fields) are still what the inputs give."""

    holding = forms.ModelChoiceField(
        label=_("Lot (strength)"), queryset=None, empty_label=None, to_field_name="public_id"
    )
    method = forms.ChoiceField(label=_("Method"), choices=PreparationMethod.choices)
    final_volume_ml = _decimal(
        _("Final volume (ml)"),
        "1",
        "1000",
        1,
        required=False,
        help_text=_("For a dilution only: the total volume in the syringe or bag."),
    )
    draw_step_ml = forms.DecimalField(
        label=_("Measuring step of the syringe the drug is drawn with (ml)"),
        min_value=Decimal("0.01"),
        max_value=Decimal("1"),
        decimal_places=2,
        max_digits=4,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}),
        help_text=_("Empty: 0.1 ml for undiluted drug, 0.01 ml when it is diluted."),
    )
    shown_drug_volume_ml = forms.DecimalField(required=False, widget=forms.HiddenInput)
    shown_rate_ml_per_h = forms.DecimalField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, holdings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["holding"].queryset = holdings
        self.fields["holding"].label_from_instance = lambda holding: (
            _("%(lot)s, %(strength)s (%(safe)s)")
            % {
                "lot": holding.lot.batch_number,
                "strength": holding.lot.drug.strength_label,
                "safe": holding.safe.name,
            }
        )

    def clean(self):
        data = super().clean()
        method, final_volume = data.get("method"), data.get("final_volume_ml")
        if method == PreparationMethod.UNDILUTED_SYRINGE and final_volume is not None:
            self.add_error(
                "final_volume_ml",
                _("Undiluted drug has no final volume: leave it empty, or choose a dilution."),
            )
        if method and method != PreparationMethod.UNDILUTED_SYRINGE and final_volume is None:
            self.add_error(
                "final_volume_ml", _("A dilution needs the final volume in the syringe or bag.")
            )
        return data

    def shown_matches(self, result) -> bool:
        """The values on the page when "record" was pressed are what the inputs give now."""
        data = self.cleaned_data
        return (data.get("shown_drug_volume_ml"), data.get("shown_rate_ml_per_h")) == (
            result.drug_volume_ml,
            result.rate_ml_per_h,
        )


class PreparationCheckForm(forms.Form):
    """The second person reads the syringe and the pump and enters what they see."""

    drug_volume_ml = _decimal(_("Volume of drug drawn (ml)"), "0.01", "100", 2)
    rate_ml_per_h = _decimal(_("Rate set on the pump (ml/h)"), "0.1", "2000", 1)


def _event_time():
    return LocalDateTimeField(
        label=_("Time (empty: now)"),
        required=False,
        help_text=_("When it happened, if it is entered later."),
    )


def _amount_given(label):
    return _decimal(
        label,
        "0",
        "999",
        3,
        required=False,
        help_text=_("Empty: computed from the pump's rates, pauses and times."),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)
    administered_mg = _amount_given(_("Amount given so far (mg)"))
    at = _event_time()


class EndInfusionForm(forms.Form):
    administered_mg = _amount_given(_("Amount given (mg)"))
    at = _event_time()


class InterruptForm(forms.Form):
    """A pause: its cause (air-raid alert, power cut, side effect, other) and a note."""

    cause = forms.ChoiceField(
        label=_("Cause"),
        choices=[(v, label) for v, label in PumpEvent.Cause.choices if v],
    )
    reason = forms.CharField(
        label=_("Note"),
        max_length=500,
        required=False,
        help_text=_('Required when the cause is "other".'),
    )
    at = _event_time()


class RateChangeForm(forms.Form):
    """The pump's new rate and why (slowed for a side effect, as the physician asked)."""

    rate_ml_per_h = _decimal(_("New rate (ml/h)"), "0.1", "2000", 1)
    reason = forms.CharField(label=_("Reason"), max_length=500)
    at = _event_time()


class VitalsForm(forms.Form):
    measured_at = LocalDateTimeField(label=_("Measured at"))
    systolic = _int(_("Systolic (mmHg)"), 50, 300)
    diastolic = _int(_("Diastolic (mmHg)"), 20, 200)
    heart_rate = _int(_("Heart rate (/min)"), 20, 250)
    spo2 = _int(_("SpO2 (%)"), 50, 100)
    resp_rate = _int(_("Respiratory rate (/min)"), 4, 60, required=False)
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "initial", {"measured_at": now_local_input(), "idempotency_key": uuid.uuid4()}
        )
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        if data.get("systolic") and data.get("diastolic") and data["systolic"] <= data["diastolic"]:
            self.add_error("diastolic", _("Diastolic pressure must be lower than systolic."))
        return data


class AlertForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), choices=AlertAction.choices)
    note = forms.CharField(label=_("Note"), max_length=1000)


class AdverseEventForm(forms.Form):
    term = forms.ChoiceField(label=_("Event"), choices=AdverseEvent.Term.choices)
    onset_at = LocalDateTimeField(label=_("Onset"))
    severity = forms.ChoiceField(label=_("Severity"), choices=AdverseEvent.Severity.choices)
    action = forms.ChoiceField(label=_("Action taken"), choices=AdverseEvent.Action.choices)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=AdverseEvent.Outcome.choices)
    note = forms.CharField(label=_("Note"), max_length=1000, required=False)


class DischargeForm(forms.Form):
    escort_confirmed = forms.BooleanField(
        label=_("The escort is here and will take the patient home"), required=False
    )
    instructions_given = forms.BooleanField(
        label=_("Written instructions given: no driving until the next day after sleep"),
        required=False,
    )
    override_reason = forms.CharField(
        label=_("Physician's override: reason for discharge before the criteria are met"),
        max_length=500,
        required=False,
    )


def scale_form_class(code: str):
    """A form with one choice per item of the scale, as the rating-scales module defines it.

    Choices are option positions (what `instruments.score` takes), labelled with the option's
    wording where the licence allows it and its score otherwise.
    """
    instrument = scales.instrument(code)
    fields = {
        "point": forms.ChoiceField(label=_("When"), choices=ScalePoint.choices),
    }
    # Fields are named by the item's number on the paper form (CADSS-6: item_1 ... item_22).
    for item in instrument.items:
        fields[f"item_{item.number}"] = forms.TypedChoiceField(
            label=item.name,
            choices=[
                (n, f"{option.value}: {option.text}" if option.text else str(option.value))
                for n, option in enumerate(item.options)
            ],
            coerce=int,
        )
    return type(f"{code.title()}Form", (forms.Form,), fields)


def scale_answers(form, code: str) -> list[int]:
    """The option positions in item order."""
    return [form.cleaned_data[f"item_{item.number}"] for item in scales.instrument(code).items]


class TesStartForm(forms.Form):
    room = forms.ModelChoiceField(label=_("Room"), queryset=Room.objects.none(), empty_label=None)
    course = forms.ModelChoiceField(
        label=_("Course"),
        queryset=Course.objects.none(),
        required=False,
        empty_label=_("outside a course"),
    )
    device = forms.CharField(label=_("Device"), max_length=100)
    serial_number = forms.CharField(label=_("Serial number"), max_length=60)
    stimulation = forms.ChoiceField(label=_("Type"), choices=TesSession.Type.choices)
    anode = forms.ChoiceField(label=_("Anode"), choices=ELECTRODE_POSITIONS, initial="F3")
    cathode = forms.ChoiceField(label=_("Cathode"), choices=ELECTRODE_POSITIONS, initial="SO_right")
    electrode_area_cm2 = _decimal(_("Electrode area (cm²)"), "1", "100")
    # The form accepts anything a device can deliver; the limits are checked by the service,
    # which explains a refusal in terms of the site's configured maximum.
    current_ma = _decimal(_("Current (mA)"), "0.1", "20")
    minutes = _int(_("Duration (minutes)"), 1, 240)
    ramp_up_seconds = _int(_("Ramp up (seconds)"), 0, 300, initial=30)
    ramp_down_seconds = _int(_("Ramp down (seconds)"), 0, 300, initial=30)
    skin_before = forms.ChoiceField(label=_("Skin before"), choices=Skin.choices)
    skin_before_note = forms.CharField(label=_("Skin before: note"), max_length=300, required=False)

    def __init__(self, *args, patient, visit=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["room"].queryset = Room.objects.filter(
            site=patient.home_site, kind=Room.Kind.TES, is_active=True
        )
        self.fields["room"].label_from_instance = lambda room: room.name
        self.fields["course"].queryset = Course.objects.filter(
            patient=patient, modality=Modality.TES, status=Course.Status.ACTIVE
        )
        if visit is not None:
            # The visit's booked room and the patient's current TES course, as a start.
            self.fields["room"].initial = visit.room_id
            self.fields["course"].initial = self.fields["course"].queryset.first()


class TesCompleteForm(forms.Form):
    skin_after = forms.ChoiceField(label=_("Skin after"), choices=Skin.choices)
    skin_after_note = forms.CharField(label=_("Skin after: note"), max_length=300, required=False)
    sensations = forms.CharField(
        label=_("Sensations (tingling, itching, burning)"), max_length=500, required=False
    )
    adverse_effects = forms.CharField(
        label=_("Adverse effects (headache, fatigue, burn, mood switch)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class NoteForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=SessionNote.Kind.choices)
    held_on = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    text = forms.CharField(
        label=_("Note"), max_length=20000, widget=forms.Textarea(attrs={"rows": 8})
    )


class NoteEditForm(forms.Form):
    text = forms.CharField(
        label=_("Note"), max_length=20000, widget=forms.Textarea(attrs={"rows": 8})
    )


class AddendumForm(forms.Form):
    text = forms.CharField(
        label=_("Addendum"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


SETTINGS_FIELDS = list(PROVENANCE)


class TreatmentSettingsForm(forms.ModelForm):
    class Meta:
        model = TreatmentSettings
        fields = SETTINGS_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, note in PROVENANCE.items():
            self.fields[name].help_text = cite(str(note))
        # The ceilings of domain.md §4 and §3.3, as the form's limits too.
        self.fields["tes_max_current_ma"].validators.append(MaxValueValidator(Decimal("4.0")))
        self.fields["tes_max_minutes"].validators.append(MaxValueValidator(40))
        self.fields["tes_max_charge_c"].validators.append(MaxValueValidator(Decimal("7.2")))
        self.fields["max_dose_mg_per_kg"].validators.append(MaxValueValidator(Decimal("0.75")))
        self.fields["alert_escalate_after_minutes"].validators.append(MinValueValidator(1))
        self.fields["pump_late_entry_minutes"].validators.append(MinValueValidator(1))
        self.fields["max_rate_mg_per_kg_per_min"].validators.append(
            MinValueValidator(Decimal("0.0001"))
        )
        for name in ("tes_max_current_ma", "tes_max_charge_c", "max_dose_mg_per_kg"):
            self.fields[name].validators.append(MinValueValidator(Decimal("0.1")))
        for name in self.fields:
            if isinstance(self.fields[name], forms.IntegerField):
                self.fields[name].validators.append(MaxValueValidator(1000))

    def clean(self):
        data = super().clean()
        pairs = [
            ("bp_warn_systolic", "bp_block_systolic"),
            ("bp_warn_diastolic", "bp_block_diastolic"),
            ("default_dose_mg_per_kg", "max_dose_mg_per_kg"),
        ]
        for low, high in pairs:
            if data.get(low) is not None and data.get(high) is not None and data[low] > data[high]:
                self.add_error(low, _("This must not exceed the value it leads up to."))
        return data
