"""Online booking on the public site: choose a time, give the details, confirm with a code.

Thin views over `online.py`. Every page works without JavaScript; the booking is reached
only from the session that started it (`access.get_online_booking_for`).
"""

from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.views.decorators.http import require_POST

from clinic.core.network import client_ip
from clinic.core.policy import public
from clinic.core.refusals import audit_refusal
from clinic.inquiries.services import current_consent
from clinic.locations.selectors import public_sites
from clinic.scheduling import online
from clinic.scheduling.access import (
    get_online_booking_for,
    open_online_bookings_for,
    remember_online_booking,
)
from clinic.scheduling.clock import local
from clinic.scheduling.forms import (
    OnlineCodeForm,
    OnlineDetailsForm,
    OnlineHoldForm,
    OnlineSearchForm,
)
from clinic.website.seo import alternates_for


def _page(request, template, context, *, status=200):
    context = {"sites": public_sites(), "alternates": alternates_for(request)} | context
    return render(request, template, context, status=status)


def _too_many(request, refusal):
    """Anti-automation: 429 with a page that says what to do instead (security.md 2.4.1)."""
    audit_refusal(request, refusal)
    response = _page(
        request, "scheduling/public/too_many.html", {"message": refusal.message}, status=429
    )
    response["Retry-After"] = "3600"
    return response


def _search_context(form) -> dict:
    """The free times of the chosen site and visit type, one day's times at a time."""
    if not form.is_valid():
        return {"form": form}
    visit_type, site = form.cleaned_data["visit_type"], form.cleaned_data["site"]
    times = online.free_times(visit_type, site)
    days = list(dict.fromkeys(local(slot.starts_at).date() for slot in times))
    day = form.cleaned_data["day"]
    if day not in days:
        day = days[0] if days else None
    return {
        "form": form,
        "searched": True,
        "site": site,
        "visit_type": visit_type,
        "days": days,
        "day": day,
        "times": [slot for slot in times if local(slot.starts_at).date() == day],
        "first_day": online.booking_window(site)[0],
        "last_day": online.booking_window(site)[1],
    }


@public
def start(request):
    form = OnlineSearchForm(request.GET or None)
    return _page(request, "scheduling/public/start.html", _search_context(form))


@public
@require_POST
def hold(request):
    form = OnlineHoldForm(request.POST)
    if form.is_spam():
        # Answer as if nothing happened: a bot learns nothing, and nothing is stored.
        return redirect("booking:start")
    error, status = None, 400
    if form.is_valid():
        site_id, starts_at, practitioner_id, room_id = form.cleaned_data["slot"]
        try:
            site, practitioner, room = online.resolve_time(site_id, practitioner_id, room_id)
            booking = online.hold_online_time(
                visit_type=form.cleaned_data["visit_type"],
                site=site,
                starts_at=starts_at,
                practitioner=practitioner,
                room=room,
                ip=client_ip(request),
                language=get_language(),
                actor=online.ONLINE_BOOKING,
            )
        except online.TooManyRequests as refusal:
            return _too_many(request, refusal)
        except online.BookingRefused as refusal:
            audit_refusal(request, refusal)
            error, status = refusal.message, 409
        else:
            # One time held per visitor: a new choice frees the one held before.
            for earlier in open_online_bookings_for(request):
                online.release_online_hold(earlier, actor=online.ONLINE_BOOKING)
            remember_online_booking(request, booking)
            return redirect("booking:details", booking_id=booking.public_id)
    search = OnlineSearchForm(
        {
            "site": request.POST.get("site", ""),
            "visit_type": request.POST.get("visit_type", ""),
            "day": request.POST.get("day", ""),
        }
    )
    context = _search_context(search) | {"error": error or form.errors.get("slot", [""])[0]}
    return _page(request, "scheduling/public/start.html", context, status=status)


@public
def details(request, booking_id):
    booking = get_online_booking_for(request, booking_id)
    if booking.confirmed_at:
        return redirect("booking:done", booking_id=booking.public_id)
    consent = current_consent()
    form = OnlineDetailsForm(
        request.POST or None,
        initial={
            "family_name": booking.family_name,
            "given_name": booking.given_name,
            "patronymic": booking.patronymic,
            "birth_date": booking.birth_date,
            "phone": booking.phone,
            "email": booking.email,
            "channel": booking.channel,
            "consent_version": getattr(consent, "version", 0),
        },
    )
    status = 200
    if request.method == "POST":
        if form.is_spam():
            return redirect("booking:code", booking_id=booking.public_id)
        if form.is_valid():
            try:
                online.send_booking_code(
                    booking, **form.identity(), ip=client_ip(request), actor=online.ONLINE_BOOKING
                )
            except online.TooManyRequests as refusal:
                return _too_many(request, refusal)
            except online.BookingRefused as refusal:
                audit_refusal(request, refusal)
                form.add_error(None, refusal.message)
                status = 409
            else:
                return redirect("booking:code", booking_id=booking.public_id)
        else:
            status = 400
        if consent is not None:
            form.data = form.data.copy()
            form.data["consent_version"] = consent.version
    return _page(
        request,
        "scheduling/public/details.html",
        {
            "booking": booking,
            "form": form,
            "consent_text": consent.text_in(get_language()) if consent else "",
        },
        status=status,
    )


@public
def code(request, booking_id):
    booking = get_online_booking_for(request, booking_id)
    if booking.confirmed_at:
        return redirect("booking:done", booking_id=booking.public_id)
    form = OnlineCodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                online.confirm_online_booking(
                    booking, code=form.cleaned_data["code"], actor=online.ONLINE_BOOKING
                )
            except online.BookingRefused as refusal:
                audit_refusal(request, refusal)
                form.add_error(None, refusal.message)
                status = 409
            else:
                return redirect("booking:done", booking_id=booking.public_id)
        else:
            status = 400
    return _page(
        request,
        "scheduling/public/code.html",
        {"booking": booking, "form": form},
        status=status,
    )


@public
def done(request, booking_id):
    booking = get_online_booking_for(request, booking_id)
    if not booking.confirmed_at:
        return redirect("booking:details", booking_id=booking.public_id)
    return _page(request, "scheduling/public/done.html", {"booking": booking})
