from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clinic.portal.models import CareMessage, MessageThread, PortalPolicy, TrustedPerson


class SignInForm(forms.Form):
    identifier = forms.CharField(
        label=_("Your phone number or e-mail"),
        max_length=254,
        help_text=_("The one the centre has on your record, for example +380 67 123 45 67."),
        widget=forms.TextInput(attrs={"autocomplete": "username", "inputmode": "email"}),
    )
    shared_device = forms.BooleanField(
        label=_("This is a shared device (you will be signed out sooner)"), required=False
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("The code you received"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class LinkForm(forms.Form):
    shared_device = forms.BooleanField(
        label=_("This is a shared device (you will be signed out sooner)"), required=False
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Why are you cancelling? (optional)"), max_length=200, required=False
    )


class PolicyForm(forms.ModelForm):
    class Meta:
        model = PortalPolicy
        fields = [
            "notice_hours",
            "movable_visit_types",
            "infusion_visit_types",
            "min_days_between_infusions",
            "search_days",
            "reply_working_days",
            "provenance",
        ]
        widgets = {
            "movable_visit_types": forms.CheckboxSelectMultiple,
            "infusion_visit_types": forms.CheckboxSelectMultiple,
            "provenance": forms.Textarea(attrs={"rows": 3}),
        }


class TrustedPersonForm(forms.Form):
    name = forms.CharField(label=_("Their name"), max_length=150)
    relation = forms.ChoiceField(label=_("Who they are to you"), choices=TrustedPerson.Relation)
    contact = forms.CharField(
        label=_("Their phone number or e-mail"),
        max_length=254,
        help_text=_("They sign in with it and get their one-time codes there."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("What they may see and do"),
        choices=TrustedPerson.Scope,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Your scores, questionnaires, notes, data and this list stay yours alone. Moving or "
            "cancelling visits includes seeing them."
        ),
    )
    expires_on = forms.DateField(
        label=_("Until (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class SummaryForm(forms.Form):
    text = forms.CharField(
        label=_("Summary for the patient"),
        max_length=2000,
        help_text=_(
            "A few plain sentences for the patient: what you did together and what comes next. "
            "Nothing from the note is shown to the patient unless you type it here."
        ),
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class MessageForm(forms.Form):
    """A patient's message to the care team: a topic and text; no file field at all."""

    topic = forms.ChoiceField(
        label=_("What is your message about?"),
        choices=MessageThread.Topic.choices,
        widget=forms.RadioSelect,
    )
    text = forms.CharField(
        label=_("Your message"),
        max_length=CareMessage.MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].help_text = gettext(
            "Text only, up to %(max)s characters. Files and photos cannot be sent here."
        ) % {"max": CareMessage.MAX_LENGTH}


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Reply"),
        max_length=CareMessage.MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
