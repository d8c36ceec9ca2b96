from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinic.accounts.roles import Role
from clinic.core.policy import staff
from clinic.locations import services
from clinic.locations.access import (
    get_closure_for,
    get_managed_site_for,
    get_room_for,
    get_site_for,
)
from clinic.locations.forms import (
    ClosureForm,
    DayHoursForm,
    RoomForm,
    SiteDetailsForm,
    SiteSwitchForm,
)
from clinic.locations.models import OpeningHours, Site
from clinic.locations.selectors import SESSION_SITE_KEY, sites_overview


@staff()
def site_list(request):
    return render(
        request,
        "locations/site_list.html",
        {"sites": sites_overview(), "can_edit": request.user.has_role(Role.ADMINISTRATOR)},
    )


def _admin_sites(user):
    return Site.objects.filter(pk__in=user.site_ids, is_active=True)


@staff(Role.ADMINISTRATOR)
def closure_add(request):
    form = ClosureForm(request.POST or None, sites=_admin_sites(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.add_closure(
            data["site"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            reason=data["reason"],
            actor=request.user,
        )
        messages.success(request, _("The closure has been saved."))
        return redirect("locations:site_list")
    return render(request, "locations/closure_form.html", {"form": form})


@staff(Role.ADMINISTRATOR, object_rule="locations.access.get_closure_for")
def closure_edit(request, closure_id):
    closure = get_closure_for(request.user, closure_id)
    initial = {
        "site": closure.site,
        "starts_on": closure.starts_on,
        "ends_on": closure.ends_on,
        "reason": closure.reason,
    }
    form = ClosureForm(request.POST or None, initial=initial, sites=_admin_sites(request.user))
    form.fields["site"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.change_closure(
            closure,
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            reason=data["reason"],
            actor=request.user,
        )
        messages.success(request, _("The closure has been saved."))
        return redirect("locations:site_list")
    return render(request, "locations/closure_form.html", {"form": form, "closure": closure})


@staff(Role.ADMINISTRATOR, object_rule="locations.access.get_closure_for")
@require_POST
def closure_remove(request, closure_id):
    closure = get_closure_for(request.user, closure_id)
    services.remove_closure(closure, actor=request.user)
    messages.success(request, _("The closure has been removed."))
    return redirect("locations:site_list")


@staff(object_rule="locations.access.get_site_for")
@require_POST
def switch_site(request):
    form = SiteSwitchForm(request.POST)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "dashboard:today"
    if form.is_valid():
        site = get_site_for(request.user, form.cleaned_data["site"])
        request.session[SESSION_SITE_KEY] = site.pk
    return redirect(target or "dashboard:today")


@staff(Role.ADMINISTRATOR, object_rule="locations.access.get_managed_site_for")
def site_edit(request, site_code):
    site = get_managed_site_for(request.user, site_code)
    current = {row.weekday: row for row in site.opening_hours.all()}
    details = SiteDetailsForm(
        request.POST or None,
        initial={f: getattr(site, f) for f in SiteDetailsForm.base_fields},
    )
    days = [
        DayHoursForm(
            request.POST or None,
            prefix=f"day{weekday}",
            weekday=weekday,
            initial={
                "closed": weekday not in current,
                "opens": getattr(current.get(weekday), "opens", None),
                "closes": getattr(current.get(weekday), "closes", None),
            },
        )
        for weekday in OpeningHours.Weekday.values
    ]
    if request.method == "POST" and details.is_valid() and all(d.is_valid() for d in days):
        services.update_site(
            site,
            details=details.cleaned_data,
            hours={d.weekday: d.hours() for d in days},
            actor=request.user,
        )
        messages.success(request, _("The site has been saved."))
        return redirect("locations:site_list")
    labels = dict(OpeningHours.Weekday.choices)
    rows = [(labels[d.weekday], d) for d in days]
    return render(
        request, "locations/site_form.html", {"site": site, "form": details, "days": rows}
    )


@staff(Role.ADMINISTRATOR, object_rule="locations.access.get_managed_site_for")
def room_add(request, site_code):
    site = get_managed_site_for(request.user, site_code)
    form = RoomForm(request.POST or None, site=site)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.add_room(
            site,
            name_uk=data["name_uk"],
            name_en=data["name_en"],
            kind=data["kind"],
            actor=request.user,
        )
        messages.success(request, _("The room has been added."))
        return redirect("locations:site_list")
    return render(request, "locations/room_form.html", {"form": form, "site": site})


@staff(Role.ADMINISTRATOR, object_rule="locations.access.get_room_for")
def room_edit(request, room_id):
    room = get_room_for(request.user, room_id)
    initial = {
        "name_uk": room.name_uk,
        "name_en": room.name_en,
        "kind": room.kind,
        "is_active": room.is_active,
    }
    form = RoomForm(request.POST or None, initial=initial, site=room.site, room=room)
    if request.method == "POST" and form.is_valid():
        services.change_room(room, **form.cleaned_data, actor=request.user)
        messages.success(request, _("The room has been saved."))
        return redirect("locations:site_list")
    return render(
        request, "locations/room_form.html", {"form": form, "site": room.site, "room": room}
    )
