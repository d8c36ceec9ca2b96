from django import forms
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from clinic.locations.models import Room, Site


class ClosureForm(forms.Form):
    site = forms.ModelChoiceField(queryset=Site.objects.none(), label=_("Site"))
    starts_on = forms.DateField(
        label=_("First day"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(label=_("Last day"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def __init__(self, *args, sites, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites

    def clean(self):
        data = super().clean()
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("The last day cannot be before the first day."))
        return data


class SiteSwitchForm(forms.Form):
    site = forms.IntegerField()
    next = forms.CharField(required=False)


class SiteDetailsForm(forms.Form):
    name_uk = forms.CharField(label=_("Name (Ukrainian)"), max_length=100)
    name_en = forms.CharField(label=_("Name (English)"), max_length=100)
    address_uk = forms.CharField(label=_("Address (Ukrainian)"), max_length=300, required=False)
    address_en = forms.CharField(label=_("Address (English)"), max_length=300, required=False)
    locality_uk = forms.CharField(label=_("Town (Ukrainian)"), max_length=100, required=False)
    locality_en = forms.CharField(label=_("Town (English)"), max_length=100, required=False)
    postal_code = forms.RegexField(
        label=_("Postal code"), regex=r"^\d{5}$", max_length=5, required=False
    )
    phone = PhoneNumberField(label=_("Phone"), region="UA")
    email = forms.EmailField(
        label=_("E-mail for new inquiries"),
        required=False,
        help_text=_("Reception's mailbox; new inquiries for this site are announced there."),
    )
    crisis_line = forms.CharField(
        label=_("Crisis line"),
        max_length=100,
        required=False,
        help_text=_("Shown on the public site beside the emergency number 112."),
    )
    map_url = forms.URLField(label=_("Map link"), required=False, assume_scheme="https")
    online_booking_days = forms.IntegerField(
        label=_("Online booking: days ahead"),
        min_value=1,
        max_value=90,
        help_text=_("How many days ahead the public site offers free times."),
    )


class DayHoursForm(forms.Form):
    """One weekday's hours; `closed` wins over any times entered."""

    closed = forms.BooleanField(label=_("Closed"), required=False)
    opens = forms.TimeField(
        label=_("Opens"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    closes = forms.TimeField(
        label=_("Closes"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )

    def __init__(self, *args, weekday, **kwargs):
        super().__init__(*args, **kwargs)
        self.weekday = weekday

    def clean(self):
        data = super().clean()
        if data.get("closed"):
            return data
        opens, closes = data.get("opens"), data.get("closes")
        if opens is None or closes is None:
            raise forms.ValidationError(_("Enter both times, or mark the day as closed."))
        if opens >= closes:
            raise forms.ValidationError(_("The closing time must be after the opening time."))
        return data

    def hours(self):
        data = self.cleaned_data
        return None if data.get("closed") else (data["opens"], data["closes"])


class RoomForm(forms.Form):
    name_uk = forms.CharField(label=_("Name (Ukrainian)"), max_length=100)
    name_en = forms.CharField(label=_("Name (English)"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=Room.Kind.choices)
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)

    def __init__(self, *args, site, room=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.site, self.room = site, room

    def clean_name_uk(self):
        name = self.cleaned_data["name_uk"].strip()
        taken = Room.objects.filter(site=self.site, name=name)
        if self.room is not None:
            taken = taken.exclude(pk=self.room.pk)
        if taken.exists():
            raise forms.ValidationError(_("This site already has a room with this name."))
        return name
