"""The patient portal's pages: thin views over `services`, `selectors` and `access`.

Every page but signing in is wrapped by `access.patient_portal`; every object is reached through
the signed-in patient (`access.get_*_for`). Pages render in the public layout, whose footer
and the portal's own banner keep the crisis contacts and 112 on every page.
"""

import json
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from clinic.assessments import public_views as selfreport
from clinic.core.exports import render_pdf
from clinic.core.network import client_ip
from clinic.core.policy import public
from clinic.locations.selectors import public_sites
from clinic.patients.export import patient_data
from clinic.patients.models import ConsentPurpose
from clinic.patients.services import current_wording
from clinic.portal import messaging, selectors, services
from clinic.portal.access import (
    get_appointment_for,
    get_consent_for,
    get_link_for,
    get_offer_for,
    patient_portal,
)
from clinic.portal.forms import CancelForm, CodeForm, SignInForm
from clinic.scheduling.availability import find_slots
from clinic.scheduling.clock import local
from clinic.scheduling.rules import BookingRefused
from clinic.website.seo import alternates_for

PENDING_KEY = "portal_pending_sign_in"
SLOTS_PER_DAY = 6


def _page(request, template, context=None, status=200):
    context = {"sites": public_sites(), "alternates": alternates_for(request), **(context or {})}
    portal = getattr(request, "portal", None)
    if portal is not None:
        context.setdefault("home_site", portal.patient.home_site)
    response = render(request, template, context, status=status)
    response["Cache-Control"] = "no-store"
    return response


# --- signing in ----------------------------------------------------------------------------


@public
@never_cache
def sign_in(request):
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ident = services.request_code(form.cleaned_data["identifier"], ip=client_ip(request))
        except services.SignInLimited as refusal:
            form.add_error(None, refusal.message)
            return _page(request, "portal/sign_in.html", {"form": form}, status=429)
        request.session[PENDING_KEY] = {
            "ident": ident,
            "shared": form.cleaned_data["shared_device"],
        }
        return redirect("portal:sign_in_code")
    return _page(request, "portal/sign_in.html", {"form": form})


@public
@never_cache
def sign_in_code(request):
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict) or "ident" not in pending:
        return redirect("portal:sign_in")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            session, key = services.verify_code(
                pending["ident"],
                form.cleaned_data["code"],
                ip=client_ip(request),
                shared_device=bool(pending.get("shared")),
            )
        except services.SignInLimited as refusal:
            form.add_error(None, refusal.message)
            return _page(request, "portal/sign_in_code.html", {"form": form}, status=429)
        except services.CodeRejected as refusal:
            form.add_error("code", refusal.message)
        else:
            request.session.pop(PENDING_KEY, None)
            request.session.cycle_key()
            with translation.override(session.account.language):
                response = redirect(reverse("portal:home"))
            response.set_cookie(
                settings.PORTAL_SESSION_COOKIE,
                key,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
            return response
    return _page(request, "portal/sign_in_code.html", {"form": form})


@patient_portal
@require_POST
def sign_out(request):
    services.sign_out(request.portal.session)
    response = redirect("portal:sign_in")
    response.delete_cookie(settings.PORTAL_SESSION_COOKIE)
    messages.info(request, _("You have signed out."))
    return response


# --- home and visits -------------------------------------------------------------------------


@patient_portal
def home(request):
    patient = request.portal.patient
    visits = selectors.upcoming_visits(patient)
    now = timezone.now()
    for visit in visits:
        visit.change_refusal = services.change_refusal(visit, now)
    return _page(
        request,
        "portal/home.html",
        {
            "patient": patient,
            "visits": visits,
            "offers": selectors.open_offers(patient),
            "due": selectors.due_questionnaires(patient),
            "released": selectors.latest_release(patient) is not None,
            "unread_messages": messaging.unread_count(patient),
        },
    )


def _free(appointment, first_day, last_day):
    return find_slots(
        appointment.visit_type,
        sites=[appointment.site],
        first_day=first_day,
        last_day=last_day,
        patient=appointment.patient,
        exclude=appointment,
    )


def _slots(appointment, first_day, last_day):
    """Free times for the visit, one per start time, a few per day."""
    days: dict = {}
    seen = set()
    for slot in _free(appointment, first_day, last_day):
        if slot.starts_at in seen:
            continue
        seen.add(slot.starts_at)
        day = days.setdefault(slot.local_start.date(), [])
        if len(day) < SLOTS_PER_DAY:
            day.append(slot)
    return days


def _chosen_slot(appointment, key: str):
    """The slot a form posted back, found again among the free ones (never trusted as sent)."""
    try:
        starts_at = datetime.fromisoformat(key.split("|")[1])
    except (IndexError, ValueError):
        return None
    if starts_at.tzinfo is None:
        return None
    day = local(starts_at).date()
    return next((slot for slot in _free(appointment, day, day) if slot.key == key), None)


@patient_portal
def visit(request, appointment_id):
    appointment = get_appointment_for(request.portal, appointment_id)
    account = request.portal.account
    if request.method == "POST" and "slot" in request.POST:
        slot = _chosen_slot(appointment, request.POST["slot"])
        if slot is None:
            messages.error(request, _("That time is no longer free. Choose another one."))
        else:
            try:
                services.move_visit(account, appointment, slot=slot)
            except services.PortalRefused as refusal:
                messages.error(request, refusal.message)
            except BookingRefused as refusal:
                services.record_booking_refusal(account, appointment, refusal)
                messages.error(request, refusal.message)
            else:
                messages.success(request, _("Your visit has been moved."))
                return redirect("portal:visit", appointment_id=appointment.public_id)
    refusal = services.change_refusal(appointment)
    policy = services.policy_for(appointment.site)
    days = {}
    if refusal is None and policy is not None:
        today = timezone.localdate()
        days = _slots(
            appointment,
            today + timedelta(days=1),
            today + timedelta(days=policy.search_days),
        )
    preparation = getattr(appointment.visit_type, "preparation", None)
    return _page(
        request,
        "portal/visit.html",
        {
            "appointment": appointment,
            "refusal": refusal,
            "policy": policy,
            "days": sorted(days.items()),
            "preparation": preparation.text_in(translation.get_language()) if preparation else "",
            "cancel_form": CancelForm(),
        },
    )


@patient_portal
@require_POST
def cancel(request, appointment_id):
    appointment = get_appointment_for(request.portal, appointment_id)
    form = CancelForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.cancel_visit(request.portal.account, appointment, reason=reason)
    except services.PortalRefused as refusal:
        messages.error(request, refusal.message)
        return redirect("portal:visit", appointment_id=appointment.public_id)
    except BookingRefused as refusal:
        services.record_booking_refusal(request.portal.account, appointment, refusal)
        messages.error(request, refusal.message)
        return redirect("portal:visit", appointment_id=appointment.public_id)
    messages.success(request, _("Your visit has been cancelled."))
    return redirect("portal:home")


@patient_portal
@require_POST
def accept_offer(request, entry_id):
    entry = get_offer_for(request.portal, entry_id)
    try:
        services.accept_offer(request.portal.account, entry)
    except BookingRefused as refusal:
        services.record_booking_refusal(request.portal.account, entry.offer, refusal)
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("The place is yours: the visit is booked."))
    return redirect("portal:home")


# --- questionnaires and progress ---------------------------------------------------------------


@patient_portal
@require_POST
def questionnaire(request, assessment_id):
    link = get_link_for(request.portal, assessment_id)
    services.open_questionnaire(request.portal.account, link)
    # From here the self-report flow of assessments carries on, with its safety alerts.
    request.session[selfreport.SESSION_KEY] = link.pk
    request.session.pop(selfreport.DONE_KEY, None)
    return redirect("selfreport:form")


@patient_portal
def progress(request):
    patient = request.portal.patient
    scales = selectors.released_scores(patient)
    services.record_portal_read(request.portal.account, "scores.viewed")
    return _page(
        request,
        "portal/progress.html",
        {"scales": scales, "release": selectors.latest_release(patient)},
    )


# --- documents, consents, data -------------------------------------------------------------------


@patient_portal
def documents(request):
    patient = request.portal.patient
    return _page(
        request,
        "portal/documents.html",
        {
            "consents": selectors.consents(patient),
            "visits": selectors.upcoming_visits(patient),
            "language": translation.get_language(),
        },
    )


@patient_portal
def consent_text(request, purpose):
    if purpose not in ConsentPurpose.values:
        return _page(request, "portal/not_found.html", status=404)
    wording = current_wording(purpose)
    if wording is None:
        return _page(request, "portal/not_found.html", status=404)
    signed = request.portal.patient.consents.in_force().filter(wording=wording).exists()
    return _page(
        request,
        "portal/consent.html",
        {
            "purpose": purpose,
            "label": ConsentPurpose(purpose).label,
            "wording": wording,
            "text": wording.text_in(translation.get_language()),
            "signed": signed,
        },
    )


@patient_portal
@require_POST
def consent_sign(request, purpose):
    if purpose not in ConsentPurpose.values:
        return _page(request, "portal/not_found.html", status=404)
    try:
        services.sign_consent(request.portal.account, purpose)
    except services.PortalRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Thank you: your consent has been recorded."))
    return redirect("portal:documents")


@patient_portal
@require_POST
def consent_withdraw(request, consent_id):
    consent = get_consent_for(request.portal, consent_id)
    try:
        services.withdraw_consent(request.portal.account, consent)
    except services.PortalRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Your consent has been withdrawn."))
    return redirect("portal:documents")


def _export(request):
    # The patient's own copy: a user without clinical roles, so psychotherapy notes are counted
    # but withheld, as in any export by someone who may not read them.
    return patient_data(request.portal.patient, services.portal_actor())


@patient_portal
def export_json(request):
    services.record_portal_read(request.portal.account, "exported.json")
    body = json.dumps(_export(request), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="my-record.json"'
    return response


@patient_portal
def export_pdf(request):
    services.record_portal_read(request.portal.account, "exported.pdf")
    patient = request.portal.patient
    html = render_to_string(
        "portal/export_pdf.html",
        {
            "patient": patient,
            "data": _export(request),
            "visits": selectors.upcoming_visits(patient),
        },
        request=request,
    )
    response = HttpResponse(render_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="my-record.pdf"'
    return response


@patient_portal
def access_log(request):
    services.record_portal_read(request.portal.account, "access_log.viewed")
    return _page(
        request,
        "portal/access_log.html",
        {"rows": selectors.staff_access_log(request.portal.patient)},
    )
