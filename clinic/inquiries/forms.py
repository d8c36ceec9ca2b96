import time

from django import forms
from django.core import signing
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from clinic.accounts.models import User
from clinic.core.forms import idempotency_key_field
from clinic.inquiries.models import Channel, Inquiry, Topic
from clinic.locations.models import Site

# A person needs a few seconds to fill the form; scripts post at once.
MIN_FILL_SECONDS = 3
_SALT = "inquiry-form-started"


def form_started_token() -> str:
    return signing.dumps(time.time(), salt=_SALT)


class InquiryForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=150)
    phone = PhoneNumberField(
        label=_("Phone"),
        region="UA",
        required=False,
        help_text=_("Ukrainian numbers can be written as 067 123 45 67."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    email = forms.EmailField(
        label=_("E-mail"), required=False, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    site = forms.ModelChoiceField(
        label=_("Which site suits you"),
        queryset=Site.objects.filter(is_active=True),
        empty_label=None,
    )
    topic = forms.ChoiceField(label=_("What would you like to talk about"), choices=Topic.choices)
    message = forms.CharField(
        label=_("Message (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    channel = forms.ChoiceField(
        label=_("How should we contact you"),
        choices=Channel.choices,
        widget=forms.RadioSelect,
        initial=Channel.PHONE,
    )
    consent = forms.BooleanField(label=_("I agree to the processing of my personal data"))
    consent_version = forms.IntegerField(widget=forms.HiddenInput)
    started = forms.CharField(widget=forms.HiddenInput)
    # Hidden from people by CSS; bots fill every field.
    website = forms.CharField(label=_("Leave this field empty"), required=False)

    def is_spam(self) -> bool:
        return bool(self.data.get("website"))

    def clean_started(self):
        try:
            started = signing.loads(self.cleaned_data["started"], salt=_SALT, max_age=24 * 3600)
        except signing.BadSignature:
            raise forms.ValidationError(
                _("The form has expired. Please fill it in again."), code="expired"
            ) from None
        if time.time() - started < MIN_FILL_SECONDS:
            raise forms.ValidationError(
                _("That was very fast. Please check your details and send again."), code="fast"
            )
        return started

    def clean(self):
        data = super().clean()
        phone, email, channel = data.get("phone"), data.get("email"), data.get("channel")
        if not phone and not email and "phone" not in self.errors:
            self.add_error("phone", _("Give a phone number or an e-mail so we can reply."))
        elif channel == Channel.EMAIL and not email:
            self.add_error("email", _("Give your e-mail, or choose another way to contact you."))
        elif channel in (Channel.PHONE, Channel.TELEGRAM, Channel.VIBER) and not phone:
            self.add_error("phone", _("Give your phone number, or choose e-mail."))
        return data

    def inquiry_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"].strip(),
            "phone": data.get("phone") or "",
            "email": (data.get("email") or "").lower(),
            "site": data["site"],
            "topic": data["topic"],
            "message": data.get("message", "").strip(),
            "channel": data["channel"],
        }


class InboxFilterForm(forms.Form):
    site = forms.ModelChoiceField(label=_("Site"), queryset=Site.objects.none(), required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All"))] + Inquiry.Status.choices
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = Site.objects.filter(pk__in=user.site_ids)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=Inquiry.Status.choices)
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=2000)


class AssignForm(forms.Form):
    to = forms.ModelChoiceField(label=_("Responsible"), queryset=User.objects.none())

    def __init__(self, *args, site, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = User.objects.filter(
            sites=site, is_active=True, groups__name__in=["receptionist", "administrator"]
        ).distinct()


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Note"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ConvertForm(forms.Form):
    family_name = forms.CharField(label=_("Family name"), max_length=100)
    given_name = forms.CharField(label=_("Given name"), max_length=100)
    patronymic = forms.CharField(label=_("Patronymic"), max_length=100, required=False)
    birth_date = forms.DateField(
        label=_("Date of birth"), widget=forms.DateInput(attrs={"type": "date"})
    )
    invite_to_portal = forms.BooleanField(
        label=_("Invite to the patient portal (a message in the inquiry's language)"),
        required=False,
        initial=True,
    )
    # Registering twice from one form (a retry after a lost answer) gives one patient.
    idempotency_key = idempotency_key_field()

    def __init__(self, *args, offer_invitation=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not offer_invitation:
            del self.fields["invite_to_portal"]

    def clean_birth_date(self):
        from datetime import date

        from django.utils import timezone

        born = self.cleaned_data["birth_date"]
        if born > timezone.localdate() or born < date(1900, 1, 1):
            raise forms.ValidationError(_("Check the date of birth."))
        return born


class ConsentTextForm(forms.Form):
    text_uk = forms.CharField(label=_("Text (Ukrainian)"), widget=forms.Textarea(attrs={"rows": 8}))
    text_en = forms.CharField(label=_("Text (English)"), widget=forms.Textarea(attrs={"rows": 8}))
