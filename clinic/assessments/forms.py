"""Input validation only: the scale forms are built from the instrument definitions."""

from django import forms
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from clinic.accounts.models import User
from clinic.accounts.roles import Role
from clinic.assessments.instruments import INSTRUMENTS
from clinic.assessments.models import (
    MeasurementPolicy,
    OnDutyPhysician,
    ScaleSettings,
    Schedule,
)
from clinic.assessments.reports import OUTCOME_SCALES
from clinic.locations.models import Site

MAX_UPLOAD_BYTES = 100_000


def item_wording(instrument, index: int, licensed=None) -> tuple[str, list[str]]:
    """(question, option labels) as the form shows them: the shipped or uploaded wording where
    the licence allows, else the item's name and the option numbers."""
    item = instrument.items[index]
    if licensed is not None:
        entry = licensed.items[index]
        return entry["text"], list(entry["options"])
    question = item.text or item.name
    return str(question), [str(o.text) if o.text else str(o.value) for o in item.options]


def scored_label(text: str, score: int) -> str:
    """An option as staff entry shows it: its wording, if any, and the score it yields."""
    points = ngettext("%(score)s point", "%(score)s points", score) % {"score": score}
    if not text:
        return points
    return gettext("%(option)s — %(points)s") % {"option": text, "points": points}


class AssessmentForm(forms.Form):
    """One field per item, radio buttons: Tab moves between items, arrows between answers.

    `confirm` comes from the button that confirms a positive safety item; it carries the
    answers the person was shown, so changing an answer asks again.
    """

    confirm = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)

    def __init__(self, *args, instrument, licensed=None, courses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        for index, item in enumerate(instrument.items):
            question, labels = item_wording(instrument, index, licensed)
            # Names of unshipped items already carry their number ("Item 10 — ...").
            named_only = licensed is None and not item.text
            if instrument.has_total:
                # Staff transcribing a paper form see what each option scores (reverse-scored
                # EPDS items too), so what is saved is what the paper form scores. Yes/no
                # screens (C-SSRS) have no total and keep their answers as they are.
                labels = [
                    scored_label(label if licensed or option.text else "", option.value)
                    for label, option in zip(labels, item.options, strict=True)
                ]
            field = forms.TypedChoiceField(
                label=question
                if named_only and str(item.number) in question
                else f"{item.number}. {question}",
                choices=[(str(p), label) for p, label in enumerate(labels)],
                coerce=int,
                widget=forms.RadioSelect,
                required=not item.conditional,
                empty_value=None,
            )
            field.item = item
            self.fields[f"item_{index}"] = field
        if courses:
            self.fields["course"] = forms.TypedChoiceField(
                label=_("Course"),
                choices=[("", _("the open course, if any"))]
                + [(str(c.pk), f"{c} ({c.opened_on:%d.%m.%Y})") for c in courses],
                coerce=int,
                required=False,
                empty_value=None,
            )

    def answers(self) -> list:
        return [self.cleaned_data.get(f"item_{i}") for i in range(len(self.instrument.items))]

    def item_fields(self):
        return [self[f"item_{i}"] for i in range(len(self.instrument.items))]

    def answers_key(self) -> str:
        """The answers as one string, for the confirmation button to carry."""
        return ",".join("" if a is None else str(a) for a in self.answers())

    def safety_confirmed(self) -> bool:
        """Was a positive safety item confirmed, for exactly these answers?"""
        return self.cleaned_data.get("confirm") == self.answers_key()


class AnswerForm(forms.Form):
    """One question of a self-report, as the patient sees it."""

    answer = forms.TypedChoiceField(
        label="", choices=(), coerce=int, widget=forms.RadioSelect, empty_value=None
    )

    def __init__(self, *args, labels, question, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["answer"].label = question
        self.fields["answer"].choices = [(str(p), label) for p, label in enumerate(labels)]
        self.fields["answer"].error_messages["required"] = _("Choose one of the answers.")


class AcknowledgeForm(forms.Form):
    action_taken = forms.CharField(
        label=_("Action taken"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For example: called the patient, safety plan reviewed, seen today."),
    )


class InErrorForm(forms.Form):
    reason = forms.CharField(label=_("Why is this entry wrong?"), max_length=500)


class SendLinkForm(forms.Form):
    code = forms.ChoiceField(label=_("Scale"))

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].choices = choices


class ScheduleForm(forms.ModelForm):
    class Meta:
        model = Schedule
        fields = [
            "code",
            "kind",
            "visit_type_code",
            "interval_days",
            "condition",
            "site",
            "reminder_after_hours",
        ]
        help_texts = {
            "visit_type_code": _("For example ketamine_infusion (the scheduling app's code)."),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].choices = [
            (code, i.short_name) for code, i in INSTRUMENTS.items() if i.self_report
        ]
        self.fields["site"].queryset = Site.objects.filter(pk__in=user.site_ids)
        self.fields["interval_days"].min_value = 1
        self.fields["interval_days"].widget.attrs.update(min=1, max=366)
        self.fields["reminder_after_hours"].widget.attrs.update(min=1, max=336)

    def clean(self):
        data = super().clean()
        if data.get("kind") == Schedule.Kind.BEFORE_VISIT and not data.get("visit_type_code"):
            self.add_error("visit_type_code", _("Give the visit type code."))
        interval = data.get("interval_days")
        if data.get("kind") == Schedule.Kind.EVERY_N_DAYS and not interval:
            self.add_error("interval_days", _("Give the number of days between questionnaires."))
        if interval is not None and not 1 <= interval <= 366:
            self.add_error("interval_days", _("Between 1 and 366 days."))
        hours = data.get("reminder_after_hours")
        if hours is not None and not 1 <= hours <= 336:
            self.add_error("reminder_after_hours", _("Between 1 and 336 hours."))
        return data


class OnDutyForm(forms.ModelForm):
    class Meta:
        model = OnDutyPhysician
        fields = ["site", "physician", "starts_on", "ends_on"]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = Site.objects.filter(pk__in=user.site_ids)
        self.fields["physician"].queryset = User.objects.filter(
            is_active=True, groups__name=Role.PHYSICIAN.value, sites__in=user.site_ids
        ).distinct()

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("The last day cannot be before the first."))
        site, physician = data.get("site"), data.get("physician")
        if site and physician and site.pk not in physician.site_ids:
            self.add_error("physician", _("Choose a physician who works at this site."))
        return data


class ScaleSettingsForm(forms.ModelForm):
    class Meta:
        model = ScaleSettings
        fields = ["remission_max", "response_pct", *ScaleSettings.THRESHOLD_FIELDS, "provenance"]
        widgets = {"provenance": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instrument = self.instance.instrument
        relevant = set(instrument.settings)
        if instrument.code in OUTCOME_SCALES:
            relevant |= {"remission_max", "response_pct"}
        for name in list(self.fields):
            if name != "provenance" and name not in relevant:
                del self.fields[name]
        top = instrument.max_total or 10
        for name in ("remission_max", "screen_cutoff", "discharge_min"):
            if name in self.fields:
                self.fields[name].max_value = top
                self.fields[name].validators.append(_max_validator(top))
        if "alert_item_min" in self.fields:
            self.fields["alert_item_min"].validators.append(_range_validator(1, 6))
        if "sedation_max" in self.fields:
            self.fields["sedation_max"].validators.append(_max_validator(5))
        if "response_pct" in self.fields:
            self.fields["response_pct"].validators.append(_range_validator(1, 100))
        self.fields["provenance"].required = True
        self.fields["provenance"].help_text = _("Who decided these values, and on what source.")


def _max_validator(top):
    from django.core.validators import MaxValueValidator

    return MaxValueValidator(top)


def _range_validator(low, high):
    def check(value):
        if value is not None and not low <= value <= high:
            raise forms.ValidationError(
                _("Between %(low)s and %(high)s.") % {"low": low, "high": high}
            )

    return check


class PolicyForm(forms.ModelForm):
    class Meta:
        model = MeasurementPolicy
        fields = ["link_valid_hours", "escalate_after_minutes", "provenance"]
        widgets = {"provenance": forms.Textarea(attrs={"rows": 2})}

    def clean_link_valid_hours(self):
        value = self.cleaned_data["link_valid_hours"]
        if not 1 <= value <= 720:
            raise forms.ValidationError(_("Between 1 and 720 hours."))
        return value

    def clean_escalate_after_minutes(self):
        value = self.cleaned_data["escalate_after_minutes"]
        if not 1 <= value <= 1440:
            raise forms.ValidationError(_("Between 1 and 1440 minutes."))
        return value


class LicensedTextForm(forms.Form):
    code = forms.ChoiceField(label=_("Scale"))
    language = forms.ChoiceField(
        label=_("Language"), choices=[("uk", "Українська"), ("en", "English")]
    )
    permission = forms.CharField(
        label=_("Permission or licence reference"),
        max_length=300,
        help_text=_("For example: RCPsych permission letter of 02.11.2026, ref. 1234."),
    )
    text = forms.CharField(
        label=_("Text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_(
            "One block per item, separated by an empty line: the question on the first line, "
            "then one line per answer in printed order. An optional first block holds the "
            "instructions."
        ),
    )
    file = forms.FileField(label=_("…or a text file (UTF-8)"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].choices = [
            (code, i.short_name) for code, i in INSTRUMENTS.items() if not i.ships_text
        ]

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload:
            if upload.size > MAX_UPLOAD_BYTES:
                raise forms.ValidationError(_("The file is larger than 100 KB."))
            try:
                data["text"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise forms.ValidationError(_("The file is not UTF-8 text.")) from None
        if not data.get("text", "").strip():
            raise forms.ValidationError(_("Paste the text or choose a file."))
        return data


class OutcomesForm(forms.Form):
    code = forms.ChoiceField(label=_("Scale"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].choices = [(c, INSTRUMENTS[c].short_name) for c in OUTCOME_SCALES]
