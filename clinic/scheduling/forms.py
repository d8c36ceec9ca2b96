"""Input validation for the scheduling pages (no business rules here: those are services')."""

from datetime import date, datetime, timedelta

from django import forms
from django.contrib.auth.models import Group
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from clinic.accounts.models import User
from clinic.accounts.roles import Role
from clinic.locations.models import OpeningHours, Room, Site
from clinic.scheduling.access import PRACTITIONER_ROLES
from clinic.scheduling.clock import AmbiguousTime, local_instant
from clinic.scheduling.models import Absence, OnlineBooking, VisitType, WaitlistEntry

MAX_SEARCH_DAYS = 62


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


def practitioners_at(site_ids):
    return (
        User.objects.filter(is_active=True, groups__name__in=PRACTITIONER_ROLES, sites__in=site_ids)
        .distinct()
        .order_by("full_name")
    )


class SlotSearchForm(forms.Form):
    visit_type = forms.ModelChoiceField(
        VisitType.objects.filter(is_active=True), label=_("Visit type")
    )
    sites = forms.MultipleChoiceField(label=_("Sites"), widget=forms.CheckboxSelectMultiple)
    first_day = forms.DateField(label=_("From"), widget=DateInput())
    last_day = forms.DateField(label=_("Until"), widget=DateInput())
    practitioner = forms.ModelChoiceField(
        User.objects.none(), label=_("Practitioner"), required=False, empty_label=_("Anyone")
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user_sites = {site.pk: site for site in user.sites.filter(is_active=True)}
        self.fields["sites"].choices = [(pk, s.name) for pk, s in self.user_sites.items()]
        self.fields["practitioner"].queryset = practitioners_at(list(self.user_sites))

    def clean_sites(self):
        return [self.user_sites[int(pk)] for pk in self.cleaned_data["sites"]]

    def clean(self):
        data = super().clean()
        first, last = data.get("first_day"), data.get("last_day")
        if first and last:
            if last < first:
                raise forms.ValidationError(_("The last day is before the first."))
            if (last - first).days >= MAX_SEARCH_DAYS:
                raise forms.ValidationError(
                    _("Search at most %(days)s days at a time.") % {"days": MAX_SEARCH_DAYS}
                )
            if last < timezone.localdate():
                raise forms.ValidationError(_("These days have already passed."))
        return data


def parse_slot_key(key: str):
    """'site|ISO start|practitioner|room' -> (site_id, starts_at, practitioner_id, room_id)."""
    try:
        site_id, start, practitioner_id, room_id = key.split("|")
        starts_at = datetime.fromisoformat(start)
        ids = [int(site_id), int(practitioner_id), int(room_id) if room_id else None]
        if starts_at.tzinfo is None or any(i is not None and not 0 < i < 2**63 for i in ids):
            raise ValueError
        return ids[0], starts_at, ids[1], ids[2]
    except (ValueError, OverflowError):
        raise forms.ValidationError(_("That time could not be read. Search again.")) from None


class SlotKeyField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(max_length=120, widget=forms.HiddenInput, **kwargs)

    def clean(self, value):
        return parse_slot_key(super().clean(value))


class ExactTimeForm(forms.Form):
    """A visit at a time typed by reception (off the slot grid, say); the services check it.

    The local time becomes an instant here; a time the clocks skip is refused, and one they
    pass twice needs the first or second to be chosen (security.md §7.5).
    """

    visit_type = forms.ModelChoiceField(
        VisitType.objects.filter(is_active=True), label=_("Visit type")
    )
    site = forms.ChoiceField(label=_("Site"))
    day = forms.DateField(label=_("Day"), widget=DateInput())
    at = forms.TimeField(label=_("Time"), widget=TimeInput())
    occurrence = forms.ChoiceField(
        label=_("If the clocks go back that night"),
        choices=[("", "—"), ("0", _("the first time")), ("1", _("the second time"))],
        required=False,
    )
    practitioner = forms.ModelChoiceField(User.objects.none(), label=_("Practitioner"))
    room = forms.ModelChoiceField(
        Room.objects.none(), label=_("Room or chair"), required=False, empty_label=_("No room")
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, prefix="exact", **kwargs)
        self.user_sites = {site.pk: site for site in user.sites.filter(is_active=True)}
        self.fields["site"].choices = [(pk, s.name) for pk, s in self.user_sites.items()]
        self.fields["practitioner"].queryset = practitioners_at(list(self.user_sites))
        self.fields["room"].queryset = Room.objects.filter(
            site_id__in=list(self.user_sites), is_active=True
        ).select_related("site")
        self.fields["room"].label_from_instance = lambda room: f"{room.name} · {room.site.name}"

    def clean_site(self):
        return self.user_sites[int(self.cleaned_data["site"])]

    def clean(self):
        data = super().clean()
        day, at = data.get("day"), data.get("at")
        if day and at:
            fold = data.get("occurrence")
            try:
                data["starts_at"] = local_instant(day, at, fold=int(fold) if fold else None)
            except AmbiguousTime as problem:
                raise forms.ValidationError(str(problem)) from None
            except OverflowError:
                raise forms.ValidationError(_("That time could not be read.")) from None
        return data


class BookSlotForm(forms.Form):
    visit_type = forms.ModelChoiceField(VisitType.objects.filter(is_active=True))
    slot = SlotKeyField()
    key = forms.UUIDField(required=False, widget=forms.HiddenInput)


WEEKDAY_CHOICES = OpeningHours.Weekday.choices


class SeriesForm(forms.Form):
    visit_type = forms.ModelChoiceField(
        VisitType.objects.filter(is_active=True), widget=forms.HiddenInput
    )
    slot = SlotKeyField()
    count = forms.IntegerField(label=_("Number of visits"), min_value=2, max_value=40)
    # The course of care whose planned sessions are booked (from the course page).
    course = forms.UUIDField(required=False, widget=forms.HiddenInput)
    weekdays = forms.TypedMultipleChoiceField(
        label=_("On these weekdays"),
        choices=WEEKDAY_CHOICES,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)
    scope = forms.ChoiceField(
        label=_("Which visits"),
        choices=[("one", _("This visit only")), ("rest", _("This and the later visits"))],
        initial="one",
        widget=forms.RadioSelect,
        required=False,
    )


class MoveForm(forms.Form):
    slot = SlotKeyField()
    scope = forms.ChoiceField(
        choices=[("one", _("This visit only")), ("rest", _("This and the later visits"))],
        initial="one",
        required=False,
    )
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class MoveSearchForm(forms.Form):
    first_day = forms.DateField(label=_("From"), widget=DateInput())
    last_day = forms.DateField(label=_("Until"), widget=DateInput())
    practitioner = forms.ModelChoiceField(
        User.objects.none(), label=_("Practitioner"), required=False, empty_label=_("Anyone")
    )

    def __init__(self, *args, site, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = practitioners_at([site.pk])

    def clean(self):
        data = super().clean()
        first, last = data.get("first_day"), data.get("last_day")
        if first and last and (last < first or (last - first).days >= MAX_SEARCH_DAYS):
            raise forms.ValidationError(
                _("Choose up to %(days)s days, the last not before the first.")
                % {"days": MAX_SEARCH_DAYS}
            )
        return data


class WaitlistForm(forms.Form):
    visit_type = forms.ModelChoiceField(
        VisitType.objects.filter(is_active=True), label=_("Visit type")
    )
    site = forms.ChoiceField(label=_("Site"))
    practitioner = forms.ModelChoiceField(
        User.objects.none(), label=_("Practitioner"), required=False, empty_label=_("Anyone")
    )
    earliest_on = forms.DateField(label=_("From"), widget=DateInput())
    latest_on = forms.DateField(label=_("Until"), widget=DateInput())
    day_starts = forms.TimeField(label=_("Not before"), required=False, widget=TimeInput())
    day_ends = forms.TimeField(label=_("Not after"), required=False, widget=TimeInput())
    priority = forms.TypedChoiceField(
        label=_("Priority"),
        choices=WaitlistEntry.Priority.choices,
        coerce=int,
        initial=WaitlistEntry.Priority.NORMAL,
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user_sites = {site.pk: site for site in user.sites.filter(is_active=True)}
        self.fields["site"].choices = [(pk, s.name) for pk, s in self.user_sites.items()]
        self.fields["practitioner"].queryset = practitioners_at(list(self.user_sites))

    def clean_site(self):
        return self.user_sites[int(self.cleaned_data["site"])]


class HoursForm(forms.Form):
    """One span per weekday at one site; an empty pair means the practitioner is off."""

    def __init__(self, *args, site, spans=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.site = site
        spans = spans or {}
        for weekday, label in WEEKDAY_CHOICES:
            starts, ends = spans.get(weekday, (None, None))
            self.fields[f"starts_{weekday}"] = forms.TimeField(
                label=_("%(day)s from") % {"day": label},
                required=False,
                initial=starts,
                widget=TimeInput(),
            )
            self.fields[f"ends_{weekday}"] = forms.TimeField(
                label=_("%(day)s until") % {"day": label},
                required=False,
                initial=ends,
                widget=TimeInput(),
            )

    def rows(self):
        for weekday, label in WEEKDAY_CHOICES:
            yield label, self[f"starts_{weekday}"], self[f"ends_{weekday}"]

    def clean(self):
        data = super().clean()
        spans = {}
        for weekday, label in WEEKDAY_CHOICES:
            starts, ends = data.get(f"starts_{weekday}"), data.get(f"ends_{weekday}")
            if starts is None and ends is None:
                spans[weekday] = []
                continue
            if starts is None or ends is None or ends <= starts:
                raise forms.ValidationError(
                    _("%(day)s: give both times, the end after the start.") % {"day": label}
                )
            spans[weekday] = [(starts, ends)]
        data["spans"] = spans
        return data


class AbsenceForm(forms.ModelForm):
    class Meta:
        model = Absence
        fields = ["kind", "starts_on", "ends_on", "note"]
        widgets = {"starts_on": DateInput(), "ends_on": DateInput()}

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            raise forms.ValidationError(_("The last day is before the first."))
        if (
            data.get("starts_on")
            and data.get("ends_on")
            and (data["ends_on"] - data["starts_on"]) > timedelta(days=366)
        ):
            raise forms.ValidationError(_("An absence lasts at most a year."))
        return data


class VisitTypeForm(forms.ModelForm):
    roles = forms.ModelMultipleChoiceField(
        Group.objects.filter(name__in=PRACTITIONER_ROLES),
        label=_("Practitioner roles"),
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = VisitType
        fields = [
            "code",
            "name_uk",
            "name_en",
            "duration_minutes",
            "buffer_before_minutes",
            "buffer_after_minutes",
            "room_kind",
            "needs_physician_on_site",
            "booking",
            "is_active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["roles"].label_from_instance = lambda group: Role(group.name).label
        if self.instance.pk:
            self.fields["roles"].initial = self.instance.practitioner_roles.all()
            self.fields["code"].disabled = True  # other parts of the system refer to it
        self.fields["duration_minutes"].max_value = 600
        self.fields["buffer_before_minutes"].max_value = 120
        self.fields["buffer_after_minutes"].max_value = 120

    def clean_duration_minutes(self):
        value = self.cleaned_data["duration_minutes"]
        if not 5 <= value <= 600:
            raise forms.ValidationError(_("Between 5 and 600 minutes."))
        return value

    def clean(self):
        data = super().clean()
        for name in ("buffer_before_minutes", "buffer_after_minutes"):
            if data.get(name) is not None and data[name] > 120:
                self.add_error(name, _("At most 120 minutes."))
        return data


class CellForm(forms.Form):
    """Booking from a free cell of the day view: the patient's record number and the visit."""

    record_number = forms.CharField(label=_("Record number"), max_length=20)
    visit_type = forms.ModelChoiceField(VisitType.objects.none(), label=_("Visit type"))
    start = forms.CharField(widget=forms.HiddenInput, max_length=40)
    room = forms.IntegerField(widget=forms.HiddenInput, required=False)
    practitioner = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, visit_types, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["visit_type"].queryset = visit_types

    def clean_start(self):
        try:
            value = datetime.fromisoformat(self.cleaned_data["start"])
        except ValueError:
            raise forms.ValidationError(_("That time could not be read.")) from None
        if value.tzinfo is None:
            raise forms.ValidationError(_("That time could not be read."))
        return value


class CellConfirmForm(forms.Form):
    """The confirmation of a booking from a free cell: who and where, a note, the form's key."""

    booked_practitioner = forms.IntegerField(
        label=_("Practitioner"), widget=forms.HiddenInput, min_value=1, max_value=2**63 - 1
    )
    booked_room = forms.IntegerField(
        label=_("Chair or room"), required=False, min_value=1, max_value=2**63 - 1
    )
    note = forms.CharField(
        label=_("Note for the visit"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, rooms=(), practitioners=(), **kwargs):
        super().__init__(*args, **kwargs)
        if len(practitioners) > 1:
            self.fields["booked_practitioner"].widget = forms.Select(
                choices=[(person.pk, person.full_name) for person in practitioners]
            )
        # The chairs or rooms free at that time; the booking service checks the one sent.
        if rooms:
            self.fields["booked_room"].widget = forms.Select(
                choices=[(room.pk, room.name) for room in rooms]
            )
        else:
            self.fields["booked_room"].widget = forms.HiddenInput()


# --- Online booking on the public site (online.py) ----------------------------------------


class OnlineSearchForm(forms.Form):
    """Step one: where and what; `day` narrows the free times to one day."""

    site = forms.ModelChoiceField(
        label=_("Site"), queryset=Site.objects.filter(is_active=True), empty_label=None
    )
    visit_type = forms.ModelChoiceField(
        label=_("Kind of visit"),
        queryset=VisitType.objects.filter(is_active=True, booking=VisitType.Booking.ONLINE_REQUEST),
        empty_label=None,
    )
    day = forms.DateField(required=False, widget=forms.HiddenInput)


class OnlineHoldForm(forms.Form):
    """Step two: the time chosen (a slot key from the search)."""

    visit_type = forms.ModelChoiceField(
        queryset=VisitType.objects.filter(is_active=True, booking=VisitType.Booking.ONLINE_REQUEST),
        widget=forms.HiddenInput,
    )
    slot = SlotKeyField()
    # Hidden from people by CSS; bots fill every field.
    website = forms.CharField(required=False)

    def is_spam(self) -> bool:
        return bool(self.data.get("website"))


class OnlineDetailsForm(forms.Form):
    """Step three: the minimum identity, where the code goes, and the consent."""

    family_name = forms.CharField(
        label=_("Family name"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    given_name = forms.CharField(
        label=_("Given name"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    patronymic = forms.CharField(
        label=_("Patronymic (optional)"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "additional-name"}),
    )
    birth_date = forms.DateField(
        label=_("Date of birth"), widget=DateInput(attrs={"autocomplete": "bday"})
    )
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
    channel = forms.ChoiceField(
        label=_("Send the code by"),
        choices=OnlineBooking.Channel.choices,
        widget=forms.RadioSelect,
        initial=OnlineBooking.Channel.SMS,
    )
    consent = forms.BooleanField(label=_("I agree to the processing of my personal data"))
    consent_version = forms.IntegerField(widget=forms.HiddenInput)
    # Hidden from people by CSS; bots fill every field.
    website = forms.CharField(label=_("Leave this field empty"), required=False)

    def is_spam(self) -> bool:
        return bool(self.data.get("website"))

    def clean_birth_date(self):
        born = self.cleaned_data["birth_date"]
        if born > timezone.localdate() or born < date(1900, 1, 1):
            raise forms.ValidationError(_("Check the date of birth."))
        return born

    def clean(self):
        data = super().clean()
        phone, email, channel = data.get("phone"), data.get("email"), data.get("channel")
        if "phone" in self.errors or "email" in self.errors:
            return data
        if channel == OnlineBooking.Channel.EMAIL and not email:
            self.add_error("email", _("Give your e-mail, or have the code sent by SMS."))
        elif channel == OnlineBooking.Channel.SMS and not phone:
            self.add_error("phone", _("Give your phone number, or have the code sent by e-mail."))
        return data

    def identity(self) -> dict:
        data = self.cleaned_data
        return {
            "family_name": data["family_name"],
            "given_name": data["given_name"],
            "patronymic": data.get("patronymic", ""),
            "birth_date": data["birth_date"],
            "phone": data.get("phone") or "",
            "email": data.get("email") or "",
            "channel": data["channel"],
            "consent_version": data["consent_version"],
        }


class OnlineCodeForm(forms.Form):
    code = forms.RegexField(
        label=_("Code"),
        regex=r"^\s*\d{6}\s*$",
        max_length=12,
        error_messages={"invalid": _("The code has six digits.")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
