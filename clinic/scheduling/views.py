"""Thin views of the schedule: parse the request, call a selector or a service, render."""

import uuid
from datetime import date, datetime, timedelta

import holidays
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from icalendar import Calendar, Event

from clinic.accounts.models import User
from clinic.accounts.roles import CLINICAL_ROLES, Role
from clinic.core.audit import Anonymous, audit
from clinic.core.policy import public, staff
from clinic.core.public_url import public_url
from clinic.core.refusals import audit_refusal, refused
from clinic.courses.access import get_patient_course_for
from clinic.locations.models import Closure, Room
from clinic.locations.selectors import current_site, sites_of
from clinic.patients.models import Patient
from clinic.scheduling import online, selectors, services
from clinic.scheduling.access import (
    PRACTITIONER_ROLES,
    find_patients_for,
    get_absence_for,
    get_appointment_for,
    get_bookable_patient_for,
    get_feed_by_token,
    get_practitioner_for,
    get_visit_type_for,
    get_waitlist_entry_for,
)
from clinic.scheduling.availability import find_slots
from clinic.scheduling.clock import local
from clinic.scheduling.forms import (
    AbsenceForm,
    BookSlotForm,
    CancelForm,
    CellConfirmForm,
    CellForm,
    ExactTimeForm,
    HoursForm,
    MoveForm,
    MoveSearchForm,
    SeriesForm,
    SlotSearchForm,
    VisitTypeForm,
    WaitlistForm,
    parse_slot_key,
)
from clinic.scheduling.models import Appointment, VisitType, WaitlistEntry, WorkingHours
from clinic.scheduling.notifications import DROP_REASONS
from clinic.scheduling.rules import BookingRefused
from clinic.scheduling.services import SeriesRefused
from clinic.treatment.instructions import infusion_instructions, is_infusion
from clinic.treatment.selectors import session_for_visit

CLINICAL = tuple(CLINICAL_ROLES)
RECEPTION = (Role.RECEPTIONIST,)
ADMIN = (Role.ADMINISTRATOR,)
SLOTS_SHOWN = 150
# Who reads a calendar feed: whatever calendar application holds its secret address.
CALENDAR_FEED = Anonymous("calendar-feed")


def _day_param(request) -> date:
    try:
        return date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return timezone.localdate()


def _board_day(request) -> date | None:
    """The day board's day a move was opened from (`board`, in the query or the form)."""
    try:
        return date.fromisoformat(request.POST.get("board") or request.GET.get("board", ""))
    except ValueError:
        return None


def _resolve_slot(user, key):
    """The site, practitioner and room a posted slot names, limited to the user's sites."""
    site_id, starts_at, practitioner_id, room_id = key
    if site_id not in user.site_ids:
        raise Http404
    site = user.sites.get(pk=site_id)
    practitioner = User.objects.filter(pk=practitioner_id, sites=site, is_active=True).first()
    room = Room.objects.filter(pk=room_id, site=site).first() if room_id else None
    if practitioner is None or (room_id and room is None):
        raise Http404
    return site, starts_at, practitioner, room


# --- Day, week and print views --------------------------------------------------------------


@staff(*CLINICAL)
def day(request):
    site = current_site(request)
    if site is None:
        raise Http404
    day = _day_param(request)
    board = selectors.day_board(site, day)
    audit(request.user, "schedule.day.viewed", site=site, reason=day.isoformat())
    return render(
        request,
        "scheduling/day.html",
        {
            "site": site,
            "day": day,
            "board": board,
            "previous_day": day - timedelta(days=1),
            "next_day": day + timedelta(days=1),
            "can_book": request.user.has_role(Role.RECEPTIONIST),
            "closure": Closure.objects.filter(site=site).covering(day).first(),
        },
    )


@staff(*CLINICAL)
def day_print(request):
    site = current_site(request)
    if site is None:
        raise Http404
    day = _day_param(request)
    appointments = (
        Appointment.objects.at(site)
        .active()
        .on(day)
        .select_related("patient", "visit_type", "practitioner", "room")
    )
    audit(request.user, "schedule.day.printed", site=site, reason=day.isoformat())
    return render(
        request,
        "scheduling/day_print.html",
        {"site": site, "day": day, "appointments": appointments},
    )


@staff(*RECEPTION)
def cell(request):
    """The booking panel for a free cell of the day view (an htmx partial, or a page)."""
    site = current_site(request)
    if site is None:
        raise Http404
    source = request.POST if request.method == "POST" else request.GET
    room = Room.objects.filter(pk=_int(source.get("room")), site=site).first()
    practitioner = None
    if source.get("practitioner"):
        practitioner = (
            User.objects.filter(
                pk=_int(source.get("practitioner")), sites=site, groups__name__in=PRACTITIONER_ROLES
            )
            .distinct()
            .first()
        )
    if room is None and practitioner is None:
        raise Http404
    visit_types = VisitType.objects.filter(is_active=True)
    if room is not None:
        visit_types = visit_types.filter(room_kind=room.kind)
    else:
        visit_types = visit_types.filter(
            practitioner_roles__name__in=practitioner.role_names
        ).distinct()
    form = CellForm(
        request.POST or None,
        initial={
            "start": source.get("start", ""),
            "room": source.get("room"),
            "practitioner": source.get("practitioner"),
        },
        visit_types=visit_types,
    )
    confirmation = {}  # the confirmation step's context, once the cell's booking is chosen
    if request.method == "POST" and form.is_valid():
        patient = (
            Patient.objects.visible_to(request.user)
            .filter(record_number__iexact=form.cleaned_data["record_number"].strip())
            .first()
        )
        if patient is None:
            form.add_error("record_number", _("No patient of your sites has this number."))
        else:
            patient = get_bookable_patient_for(request.user, patient.public_id)
            outcome = _cell_booking(request, form, patient, site, practitioner, room)
            if isinstance(outcome, HttpResponse):
                return outcome
            confirmation = outcome
    if confirmation:
        template = (
            "scheduling/_cell_confirm.html" if request.htmx else "scheduling/cell_confirm.html"
        )
    else:
        template = "scheduling/_cell_panel.html" if request.htmx else "scheduling/cell.html"
    return render(
        request,
        template,
        {
            "form": form,
            "room": room,
            "practitioner": practitioner,
            "site": site,
            "start": _parse_start(source.get("start")),
            **confirmation,
        },
    )


def _cell_booking(request, form, patient, site, practitioner, room):
    """A free cell's booking: first a confirmation, then (confirmed) the booking itself.

    Returns the confirmation's context, or the response once booked. The confirmed booking
    goes to the service as sent: it checks every rule again, and a form sent twice (its key)
    finds the booking it made.
    """
    starts_at = form.cleaned_data["start"]
    visit_type = form.cleaned_data["visit_type"]
    posted = CellConfirmForm(request.POST) if "key" in request.POST else None
    if posted is not None and posted.is_valid():
        return _book_confirmed_cell(request, form, posted, patient, site)
    # The same search that offers slots, narrowed to this cell's room or person.
    candidates = [
        s
        for s in find_slots(
            visit_type,
            sites=[site],
            first_day=local(starts_at).date(),
            last_day=local(starts_at).date(),
            patient=patient,
            practitioner=practitioner,
            room=room,
        )
        if s.starts_at == starts_at
    ]
    if not candidates:
        refused(
            request,
            BookingRefused(_("That time is not free for this visit.")),
            patient=patient,
            site=site,
            form=form,
        )
        return {}
    slot = candidates[0]
    confirm = CellConfirmForm(
        request.POST if posted is not None else None,  # sent with an error: shown again
        initial={
            "booked_practitioner": slot.practitioner.pk,
            "booked_room": slot.room.pk if slot.room else None,
            "key": uuid.uuid4(),
        },
        rooms=slot.rooms,
        practitioners=[c.practitioner for c in candidates],
    )
    return {"patient": patient, "slot": slot, "confirm": confirm}


def _book_confirmed_cell(request, form, confirm, patient, site):
    """Book what the confirmation sent; a refusal shows on the cell's panel."""
    data = confirm.cleaned_data
    practitioner = User.objects.filter(
        pk=data["booked_practitioner"], sites=site, is_active=True
    ).first()
    room = None
    if data["booked_room"]:
        room = Room.objects.filter(pk=data["booked_room"], site=site).first()
    try:
        if practitioner is None or (data["booked_room"] and room is None):
            raise BookingRefused(_("That time is not free for this visit."))
        appointment = services.book_appointment(
            patient,
            visit_type=form.cleaned_data["visit_type"],
            site=site,
            starts_at=form.cleaned_data["start"],
            practitioner=practitioner,
            room=room,
            actor=request.user,
            idempotency_key=data["key"],
            note=data["note"],
        )
    except BookingRefused as refusal:
        refused(request, refusal, patient=patient, site=site, form=form)
        return {}
    messages.success(request, _("Booked."))
    url = reverse("scheduling:appointment", args=[appointment.public_id])
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _int(value):
    """An id from the request, or None; a number too big for the database is no id either."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def _parse_start(value):
    try:
        parsed = datetime.fromisoformat(value or "")
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


@staff(*CLINICAL, object_rule="scheduling.access.get_practitioner_for")
def week(request, user_id):
    practitioner = get_practitioner_for(request.user, user_id)
    monday = selectors.monday_of(_day_param(request))
    # Only the viewer's sites: a colleague who also works elsewhere brings no other site's data.
    days = selectors.week_of(practitioner, monday, site_ids=request.user.site_ids)
    audit(request.user, "schedule.week.viewed", obj=practitioner, reason=monday.isoformat())
    feed = getattr(practitioner, "calendar_feed", None) if practitioner == request.user else None
    return render(
        request,
        "scheduling/week.html",
        {
            "practitioner": practitioner,
            "days": days,
            "monday": monday,
            "previous_week": monday - timedelta(days=7),
            "next_week": monday + timedelta(days=7),
            "own": practitioner == request.user,
            "feed_url": public_url(reverse("scheduling:feed", args=[feed.token])) if feed else "",
        },
    )


@staff(*CLINICAL)
def my_week(request):
    if not request.user.role_names & set(PRACTITIONER_ROLES):
        raise Http404
    return redirect("scheduling:week", user_id=request.user.public_id)


@staff(Role.PHYSICIAN, Role.NURSE, Role.PSYCHOTHERAPIST)
@require_POST
def issue_feed(request):
    services.issue_calendar_feed(request.user, actor=request.user)
    messages.success(request, _("A new calendar address is ready; the old one no longer works."))
    return redirect("scheduling:week", user_id=request.user.public_id)


@public
def feed(request, token):
    """A practitioner's private iCalendar feed: times, site, room and initials only."""
    found = get_feed_by_token(token)
    calendar = Calendar()
    calendar.add("prodid", "-//Clinic//Schedule//UK")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", _("My visits"))
    for appointment in selectors.feed_appointments(found.practitioner):
        event = Event()
        event.add("uid", f"{appointment.public_id}@clinic")
        event.add("dtstamp", timezone.now())
        event.add("dtstart", appointment.starts_at)
        event.add("dtend", appointment.ends_at)
        room = f" · {appointment.room.name}" if appointment.room else ""
        event.add("summary", f"{appointment.patient.initials}{room}")
        event.add("location", appointment.site.name)
        calendar.add_component(event)
    audit(CALENDAR_FEED, "schedule.feed.read", obj=found.practitioner)
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


# --- Finding and booking a slot --------------------------------------------------------------


@staff(*RECEPTION)
def find_patient(request):
    query = request.GET.get("q", "")[:100]
    patients = find_patients_for(request.user, query) if query else []
    return render(request, "scheduling/find_patient.html", {"query": query, "patients": patients})


def _search_initial(request):
    today = timezone.localdate()
    site = current_site(request)
    initial = {
        "first_day": today + timedelta(days=1),
        "last_day": today + timedelta(days=14),
        "sites": [site.pk] if site else [],
    }
    # `?type=<code>` preselects the visit type (links such as "book an integration session").
    code = request.GET.get("type", "")[:40]
    wanted = code and "\x00" not in code  # PostgreSQL refuses NUL in a query parameter
    visit_type = VisitType.objects.filter(code=code, is_active=True).first() if wanted else None
    if visit_type is not None:
        initial["visit_type"] = visit_type.pk
    return initial


def _search_data(request):
    """The submitted search, or None when the page is only opened (perhaps with `?type=`)."""
    return request.GET if any(name in request.GET for name in SlotSearchForm.base_fields) else None


def _course_to_book(request, patient):
    """`?course=<id>`: the booking page books a course of care's planned sessions."""
    try:
        public_id = uuid.UUID(request.GET.get("course", "")[:36])
    except ValueError:
        return None
    return get_patient_course_for(request.user, patient, public_id)


def _series_count(course) -> int:
    """Visits still to book for a course: planned sessions less those booked (at least 2)."""
    if course is None or not course.planned_sessions:
        return 6
    booked = Appointment.objects.active().filter(series__course=course).count()
    return min(40, max(2, course.planned_sessions - booked))


@staff(*RECEPTION, object_rule="scheduling.access.get_bookable_patient_for")
def book(request, patient_id):
    patient = get_bookable_patient_for(request.user, patient_id)
    exact = ExactTimeForm(request.POST if "exact-day" in request.POST else None, user=request.user)
    if exact.is_bound:
        if exact.is_valid():
            data = exact.cleaned_data
            try:
                appointment = services.book_appointment(
                    patient,
                    visit_type=data["visit_type"],
                    site=data["site"],
                    starts_at=data["starts_at"],
                    practitioner=data["practitioner"],
                    room=data["room"],
                    actor=request.user,
                )
            except BookingRefused as refusal:
                refused(request, refusal, patient=patient, site=data["site"], form=exact)
            else:
                messages.success(request, _("Booked."))
                return redirect("scheduling:appointment", appointment_id=appointment.public_id)
    elif request.method == "POST":
        form = BookSlotForm(request.POST)
        if form.is_valid():
            site, starts_at, practitioner, room = _resolve_slot(
                request.user, form.cleaned_data["slot"]
            )
            try:
                appointment = services.book_appointment(
                    patient,
                    visit_type=form.cleaned_data["visit_type"],
                    site=site,
                    starts_at=starts_at,
                    practitioner=practitioner,
                    room=room,
                    actor=request.user,
                    idempotency_key=form.cleaned_data["key"],
                )
            except BookingRefused as refusal:
                refused(request, refusal, patient=patient, site=site)
            else:
                messages.success(request, _("Booked."))
                return redirect("scheduling:appointment", appointment_id=appointment.public_id)
        else:
            messages.error(request, _("That time could not be read. Search again."))
        # The search to return to, rebuilt so nothing but parameters reaches the header.
        back = QueryDict(request.POST.get("query", "")[:2000]).urlencode()
        return redirect(f"{request.path}?{back}")
    search = SlotSearchForm(
        _search_data(request), user=request.user, initial=_search_initial(request)
    )
    slots, more = [], False
    if search.is_valid():
        data = search.cleaned_data
        slots = find_slots(
            data["visit_type"],
            sites=data["sites"],
            first_day=data["first_day"],
            last_day=data["last_day"],
            practitioner=data["practitioner"],
            patient=patient,
            limit=SLOTS_SHOWN + 1,
        )
        more = len(slots) > SLOTS_SHOWN
        slots = slots[:SLOTS_SHOWN]
    audit(request.user, "schedule.slots.searched", patient)
    course = _course_to_book(request, patient)
    days = {}
    for slot in slots:
        days.setdefault(slot.local_start.date(), []).append(slot)
    return render(
        request,
        "scheduling/book.html",
        {
            "patient": patient,
            "search": search,
            "days": days.items(),
            "searched": search.is_bound and search.is_valid(),
            "more": more,
            "query": request.GET.urlencode(),
            "course": course,
            "series_count": _series_count(course),
            "form_key": uuid.uuid4(),
            "exact": exact,
            "upcoming": selectors.upcoming_for_patient(patient, limit=5),
        },
    )


@staff(*RECEPTION, object_rule="scheduling.access.get_bookable_patient_for")
def series(request, patient_id):
    patient = get_bookable_patient_for(request.user, patient_id)
    source = request.POST if request.method == "POST" else request.GET
    if "slot" not in source:
        # A series starts from a time found on the booking page ("as a series" beside it):
        # opened without one (the chart's "Book a course"), there is no time to plan from.
        messages.info(request, _("Find the time of the first visit, then book it as a series."))
        back = QueryDict(mutable=True)
        for name in ("course", "type"):
            if source.get(name):
                back[name] = source[name][:40]
        url = reverse("scheduling:book", args=[patient.public_id])
        return redirect(f"{url}?{back.urlencode()}" if back else url)
    form = SeriesForm(source or None)
    plan, site, course = [], None, None
    if form.is_valid() and form.cleaned_data["course"]:
        course = get_patient_course_for(request.user, patient, form.cleaned_data["course"])
    if form.is_valid():
        site, starts_at, practitioner, room = _resolve_slot(request.user, form.cleaned_data["slot"])
        visit_type = form.cleaned_data["visit_type"]
        weekdays = set(form.cleaned_data["weekdays"]) | {local(starts_at).isoweekday()}
        if request.method == "POST":
            chosen = []
            for number in range(1, form.cleaned_data["count"] + 1):
                value = request.POST.get(f"occurrence_{number}", "")
                if value == "skip":
                    continue
                try:
                    key = _parse_occurrence(f"{site.pk}|{value}")
                    chosen.append(_resolve_slot(request.user, key)[1:])
                except (ValueError, Http404):
                    messages.error(request, _("Choose a time for every visit, or skip it."))
                    chosen = None
                    break
            if chosen is not None:
                try:
                    created, appointments = services.book_series(
                        patient,
                        visit_type=visit_type,
                        site=site,
                        occurrences=chosen,
                        actor=request.user,
                        course=course,
                    )
                except SeriesRefused as refusal:
                    for number, problem in refusal.problems:
                        messages.error(
                            request,
                            _("Visit %(number)s: %(problem)s")
                            % {"number": number, "problem": problem},
                        )
                    audit_refusal(request, refusal, patient=patient, site=site)
                except BookingRefused as refusal:
                    refused(request, refusal, patient=patient, site=site)
                else:
                    count = len(appointments)
                    messages.success(
                        request,
                        ngettext(
                            "Series booked: %(count)s visit.",
                            "Series booked: %(count)s visits.",
                            count,
                        )
                        % {"count": count},
                    )
                    return redirect(
                        "scheduling:appointment", appointment_id=appointments[0].public_id
                    )
        plan = services.plan_series(
            patient,
            visit_type=visit_type,
            site=site,
            first_start=starts_at,
            practitioner=practitioner,
            room=room,
            count=form.cleaned_data["count"],
            weekdays=weekdays,
        )
    return render(
        request,
        "scheduling/series.html",
        {
            "patient": patient,
            "form": form,
            "plan": plan,
            "site": site,
            "course": course,
            "conflicts": sum(1 for o in plan if o.problem),
        },
    )


def _parse_occurrence(value):
    try:
        return parse_slot_key(value)
    except ValidationError as error:
        raise ValueError from error


# --- One appointment ---------------------------------------------------------------------------


@staff(*CLINICAL, object_rule="scheduling.access.get_appointment_for")
def appointment(request, appointment_id):
    appointment = get_appointment_for(request.user, appointment_id)
    events, notes = selectors.appointment_page(appointment)
    audit(request.user, "appointment.viewed", appointment.patient, obj=appointment)
    return render(
        request,
        "scheduling/appointment.html",
        {
            "appointment": appointment,
            "events": events,
            "notifications": notes,
            "drop_reasons": DROP_REASONS,
            "cancel_form": CancelForm(),
            "is_reception": request.user.has_role(Role.RECEPTIONIST),
            "can_check_in": appointment.can_move_to(Appointment.Status.CHECKED_IN),
            "can_complete": appointment.can_move_to(Appointment.Status.COMPLETED),
            "can_no_show": appointment.can_move_to(Appointment.Status.NO_SHOW)
            and appointment.starts_at <= timezone.now(),
            "session": session_for_visit(appointment, request.user),
            "online_booking": online.booking_of(appointment),
        },
    )


@staff(Role.RECEPTIONIST, object_rule="scheduling.access.get_appointment_for")
@require_POST
def online_called_back(request, appointment_id):
    appointment = get_appointment_for(request.user, appointment_id)
    try:
        online.record_call_back(appointment, actor=request.user)
    except BookingRefused as refusal:
        refused(request, refusal, patient=appointment.patient, obj=appointment)
    else:
        messages.success(request, _("Marked as called back; the registration is complete."))
    return redirect("scheduling:appointment", appointment_id=appointment.public_id)


@staff(*CLINICAL, object_rule="scheduling.access.get_appointment_for")
def confirmation(request, appointment_id):
    """The printable confirmation handed to the patient: date, address and, for an infusion,
    how to prepare; in the patient's language whatever the page's."""
    appointment = get_appointment_for(request.user, appointment_id)
    if appointment.status != Appointment.Status.BOOKED:
        messages.error(request, _("Only a booked visit has a confirmation to print."))
        return redirect("scheduling:appointment", appointment_id=appointment.public_id)
    patient = appointment.patient
    audit(request.user, "appointment.confirmation.printed", patient, obj=appointment)
    with translation.override(patient.preferred_language):
        instructions = (
            infusion_instructions(appointment.site) if is_infusion(appointment.visit_type) else []
        )
    return render(
        request,
        "scheduling/confirmation.html",
        {
            "appointment": appointment,
            "patient_language": patient.preferred_language,
            "instructions": instructions,
        },
    )


@staff(*CLINICAL, object_rule="scheduling.access.get_appointment_for")
@require_POST
def change_status(request, appointment_id):
    appointment = get_appointment_for(request.user, appointment_id)
    action = {
        "check_in": services.check_in_appointment,
        "no_show": services.mark_no_show,
        "complete": services.complete_appointment,
    }.get(request.POST.get("status", ""))
    if action is None:
        messages.error(request, _("Choose what happened."))
    else:
        try:
            action(appointment, actor=request.user)
        except BookingRefused as refusal:
            refused(request, refusal, patient=appointment.patient, obj=appointment)
        else:
            messages.success(request, _("Saved."))
    return redirect("scheduling:appointment", appointment_id=appointment.public_id)


@staff(*RECEPTION, object_rule="scheduling.access.get_appointment_for")
@require_POST
def cancel(request, appointment_id):
    appointment = get_appointment_for(request.user, appointment_id)
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for cancelling."))
        return redirect("scheduling:appointment", appointment_id=appointment.public_id)
    try:
        if form.cleaned_data["scope"] == "rest" and appointment.series_id:
            done = services.cancel_rest_of_series(
                appointment, reason=form.cleaned_data["reason"], actor=request.user
            )
            messages.success(
                request,
                ngettext("Cancelled: %(count)s visit.", "Cancelled: %(count)s visits.", len(done))
                % {"count": len(done)},
            )
        else:
            services.cancel_appointment(
                appointment, reason=form.cleaned_data["reason"], actor=request.user
            )
            messages.success(request, _("Cancelled."))
    except BookingRefused as refusal:
        refused(request, refusal, patient=appointment.patient, obj=appointment)
    return redirect("scheduling:appointment", appointment_id=appointment.public_id)


@staff(*RECEPTION, object_rule="scheduling.access.get_appointment_for")
def move(request, appointment_id):
    """Pick a new time from the free ones. Opened from the day board (`?board=<day>`), the
    search starts on the board's day, htmx shows it in the board's side panel, and the move
    returns to the board on the visit's new day."""
    appointment = get_appointment_for(request.user, appointment_id)
    board = _board_day(request)
    if request.method == "POST":
        form = MoveForm(request.POST)
        if form.is_valid():
            site, starts_at, practitioner, room = _resolve_slot(
                request.user, form.cleaned_data["slot"]
            )
            try:
                if site != appointment.site:
                    raise BookingRefused(_("A visit moves within its site; book anew instead."))
                if form.cleaned_data["scope"] == "rest" and appointment.series_id:
                    services.reschedule_rest_of_series(
                        appointment,
                        starts_at=starts_at,
                        actor=request.user,
                        reason=form.cleaned_data["reason"],
                    )
                else:
                    services.reschedule_appointment(
                        appointment,
                        starts_at=starts_at,
                        practitioner=practitioner,
                        room=room,
                        actor=request.user,
                        reason=form.cleaned_data["reason"],
                    )
            except SeriesRefused as refusal:
                for when, problem in refusal.problems:
                    messages.error(request, f"{when}: {problem}")
                audit_refusal(request, refusal, patient=appointment.patient, obj=appointment)
            except BookingRefused as refusal:
                refused(request, refusal, patient=appointment.patient, obj=appointment)
            else:
                messages.success(request, _("Moved."))
                if board is not None:
                    new_day = local(starts_at).date().isoformat()
                    return redirect(reverse("scheduling:day") + f"?date={new_day}")
                return redirect("scheduling:appointment", appointment_id=appointment.public_id)
        else:
            messages.error(request, _("That time could not be read. Search again."))
        if board is not None:
            return redirect(reverse("scheduling:day") + f"?date={board.isoformat()}")
    if board is not None:  # the board's day first, then the week after it
        first_day = max(board, timezone.localdate())
        last_day = first_day + timedelta(days=6)
    else:
        day = local(appointment.starts_at).date()
        first_day = max(day - timedelta(days=3), timezone.localdate())
        last_day = day + timedelta(days=7)
    searched = "first_day" in request.GET
    search = MoveSearchForm(
        request.GET if searched else {"first_day": first_day, "last_day": last_day},
        site=appointment.site,
    )
    slots = []
    if search.is_valid():
        slots = find_slots(
            appointment.visit_type,
            sites=[appointment.site],
            first_day=search.cleaned_data["first_day"],
            last_day=search.cleaned_data["last_day"],
            practitioner=search.cleaned_data["practitioner"],
            patient=appointment.patient,
            exclude=appointment,
            limit=SLOTS_SHOWN,
        )
    days = {}
    for slot in slots:
        days.setdefault(slot.local_start.date(), []).append(slot)
    return render(
        request,
        "scheduling/_move_panel.html" if request.htmx else "scheduling/move.html",
        {"appointment": appointment, "search": search, "days": days.items(), "board": board},
    )


# --- Waitlist ----------------------------------------------------------------------------------


@staff(*RECEPTION)
def waitlist(request):
    show_closed = request.GET.get("closed") == "1"
    statuses = [WaitlistEntry.Status.WAITING, WaitlistEntry.Status.OFFERED]
    if show_closed:
        statuses += [WaitlistEntry.Status.BOOKED, WaitlistEntry.Status.WITHDRAWN]
    entries = list(selectors.waitlist_for(request.user, statuses=statuses)[:300])
    audit(request.user, "waitlist.list.viewed")
    return render(
        request, "scheduling/waitlist.html", {"entries": entries, "show_closed": show_closed}
    )


@staff(*RECEPTION, object_rule="scheduling.access.get_bookable_patient_for")
def waitlist_add(request, patient_id):
    patient = get_bookable_patient_for(request.user, patient_id)
    today = timezone.localdate()
    site = current_site(request)
    form = WaitlistForm(
        request.POST or None,
        user=request.user,
        initial={
            "earliest_on": today,
            "latest_on": today + timedelta(days=21),
            "site": site.pk if site else None,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            entry = services.add_to_waitlist(
                patient,
                visit_type=data["visit_type"],
                site=data["site"],
                earliest_on=data["earliest_on"],
                latest_on=data["latest_on"],
                practitioner=data["practitioner"],
                day_starts=data["day_starts"],
                day_ends=data["day_ends"],
                priority=data["priority"],
                note=data["note"],
                actor=request.user,
            )
        except BookingRefused as refusal:
            refused(request, refusal, patient=patient, site=data["site"], form=form)
        else:
            messages.success(request, _("Added to the waitlist."))
            return redirect("scheduling:waitlist_entry", entry_id=entry.public_id)
    return render(request, "scheduling/waitlist_add.html", {"patient": patient, "form": form})


@staff(*RECEPTION, object_rule="scheduling.access.get_waitlist_entry_for")
def waitlist_entry(request, entry_id):
    entry = get_waitlist_entry_for(request.user, entry_id)
    audit(request.user, "waitlist.viewed", entry.patient, obj=entry)
    return render(
        request,
        "scheduling/waitlist_entry.html",
        {"entry": entry, "history": selectors.waitlist_history(entry)},
    )


@staff(*RECEPTION, object_rule="scheduling.access.get_waitlist_entry_for")
@require_POST
def waitlist_action(request, entry_id, action):
    entry = get_waitlist_entry_for(request.user, entry_id)
    service = {
        "confirm": services.confirm_offer,
        "decline": services.decline_offer,
        "withdraw": services.withdraw_from_waitlist,
    }.get(action)
    if service is None:
        raise Http404
    try:
        result = service(entry, actor=request.user)
    except BookingRefused as refusal:
        refused(request, refusal, patient=entry.patient, obj=entry)
    else:
        if action == "confirm":
            messages.success(request, _("The offered place is booked."))
            return redirect("scheduling:appointment", appointment_id=result.public_id)
        messages.success(request, _("Saved."))
    return redirect("scheduling:waitlist_entry", entry_id=entry.public_id)


# --- Administration: hours, absences, visit types, days off ------------------------------------


@staff(*ADMIN)
def practitioners(request):
    people = (
        User.objects.filter(groups__name__in=PRACTITIONER_ROLES, sites__in=request.user.site_ids)
        .distinct()
        .prefetch_related("groups", "sites")
        .order_by("full_name")
    )
    rows = [
        (person, [role.label for role in person.roles], [s.name for s in person.sites.all()])
        for person in people
    ]
    return render(request, "scheduling/practitioners.html", {"rows": rows})


@staff(*ADMIN, object_rule="scheduling.access.get_practitioner_for")
def practitioner(request, user_id):
    person = get_practitioner_for(request.user, user_id)
    sites = [s for s in person.sites.all() if s.pk in request.user.site_ids]
    forms_by_site = []
    posted_site = _int(request.POST.get("site")) if request.method == "POST" else None
    for site in sites:
        spans = {
            row.weekday: (row.starts, row.ends)
            for row in WorkingHours.objects.filter(practitioner=person, site=site)
        }
        bound = request.POST if posted_site == site.pk and "hours" in request.POST else None
        form = HoursForm(bound, site=site, spans=spans, prefix=f"site{site.pk}")
        if bound is not None and form.is_valid():
            try:
                services.set_working_hours(
                    person, site, spans=form.cleaned_data["spans"], actor=request.user
                )
            except BookingRefused as refusal:
                refused(request, refusal, obj=person, site=site, form=form)
            else:
                messages.success(request, _("Working hours saved."))
                return redirect("scheduling:practitioner", user_id=person.public_id)
        forms_by_site.append((site, form))
    absence_form = AbsenceForm(request.POST if "absence" in request.POST else None)
    if "absence" in request.POST and absence_form.is_valid():
        data = absence_form.cleaned_data
        services.add_absence(
            person,
            kind=data["kind"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            note=data["note"],
            actor=request.user,
        )
        messages.success(request, _("Absence recorded."))
        return redirect("scheduling:practitioner", user_id=person.public_id)
    absences = person.absences.filter(ends_on__gte=timezone.localdate() - timedelta(days=30))
    clashes = (
        Appointment.objects.filter(practitioner=person).active().upcoming().select_related("site")
    )
    clashing = [
        a
        for a in clashes[:500]
        if any(x.starts_on <= local(a.starts_at).date() <= x.ends_on for x in absences)
    ]
    return render(
        request,
        "scheduling/practitioner.html",
        {
            "person": person,
            "forms_by_site": forms_by_site,
            "absence_form": absence_form,
            "absences": absences,
            "clashing": clashing,
        },
    )


@staff(*ADMIN, object_rule="scheduling.access.get_practitioner_for")
@require_POST
def absence_remove(request, user_id, absence_id):
    person = get_practitioner_for(request.user, user_id)
    services.remove_absence(get_absence_for(request.user, person, absence_id), actor=request.user)
    messages.success(request, _("Absence removed."))
    return redirect("scheduling:practitioner", user_id=person.public_id)


@staff(*ADMIN)
def visit_types(request):
    rows = [
        (visit_type, [Role(group.name).label for group in visit_type.practitioner_roles.all()])
        for visit_type in VisitType.objects.prefetch_related("practitioner_roles")
    ]
    return render(request, "scheduling/visit_types.html", {"rows": rows})


@staff(*ADMIN)
def visit_type_edit(request, code=None):
    visit_type = get_visit_type_for(request.user, code) if code else VisitType()
    form = VisitTypeForm(request.POST or None, instance=visit_type)
    if request.method == "POST" and form.is_valid():
        services.save_visit_type(
            form.save(commit=False), roles=form.cleaned_data["roles"], actor=request.user
        )
        messages.success(request, _("Visit type saved."))
        return redirect("scheduling:visit_types")
    return render(
        request, "scheduling/visit_type_form.html", {"form": form, "visit_type": visit_type}
    )


@staff(*ADMIN)
def days_off(request):
    """Ukraine's public holidays as suggestions; an administrator confirms each as a closure.

    Under martial law the days off are suspended, so `holidays` keeps the dates in the
    "workday" category (stack.md); nothing is closed without a person's decision.
    """
    sites = sites_of(request.user)
    today = timezone.localdate()
    if request.method == "POST":
        site = next((s for s in sites if s.pk == _int(request.POST.get("site"))), None)
        try:
            chosen = date.fromisoformat(request.POST.get("day", ""))
        except ValueError:
            chosen = None
        if site is None or chosen is None:
            messages.error(request, _("Choose a site and a day."))
        else:
            calendar = holidays.Ukraine(years=chosen.year, categories=("workday",))
            name = calendar.get(chosen)
            if not name:
                messages.error(request, _("That day is not a public holiday."))
            else:
                try:
                    services.confirm_day_off(site, day=chosen, name=name, actor=request.user)
                except BookingRefused as refusal:
                    refused(request, refusal, site=site)
                else:
                    messages.success(request, _("The site will be closed that day."))
        return redirect("scheduling:days_off")
    calendar = holidays.Ukraine(years=[today.year, today.year + 1], categories=("workday",))
    upcoming = sorted((d, n) for d, n in calendar.items() if d >= today)
    closed = {
        (c.site_id, d)
        for c in Closure.objects.filter(site__in=sites, ends_on__gte=today)
        for d in _days(c.starts_on, c.ends_on)
    }
    rows = [(d, n, [(s, (s.pk, d) in closed) for s in sites]) for d, n in upcoming]
    return render(request, "scheduling/days_off.html", {"rows": rows})


def _days(first, last):
    day = first
    while day <= last and (day - first).days < 400:
        yield day
        day += timedelta(days=1)
