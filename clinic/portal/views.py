"""The patient portal's pages: thin views over `services`, `selectors` and `access`.

Every page but signing in is wrapped by `access.patient_portal`; every object is reached through
the signed-in patient (`access.get_*_for`). Pages render in the public layout, whose footer
and the portal's own banner keep the crisis contacts and 112 on every page.
"""

import json
import uuid
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
    ANYONE,
    CHANGE_VISITS,
    DOCUMENTS,
    PATIENT,
    VISITS,
    check_scope,
    get_appointment_for,
    get_consent_for,
    get_link_for,
    get_offer_for,
    get_summary_for,
    get_trusted_person_for,
    patient_portal,
)
from clinic.portal.forms import CancelForm, CodeForm, LinkForm, SignInForm, TrustedPersonForm
from clinic.scheduling.availability import find_slots
from clinic.scheduling.clock import local
from clinic.scheduling.rules import BookingRefused
from clinic.website.seo import alternates_for

PENDING_KEY = "portal_pending_sign_in"
SECOND_STEP_KEY = "portal_pending_second_step"
SLOTS_PER_DAY = 6


def _page(request, template, context=None, status=200):
    context = {"sites": public_sites(), "alternates": alternates_for(request), **(context or {})}
    portal = getattr(request, "portal", None)
    if portal is not None:
        context.setdefault("home_site", portal.patient.home_site)
        # More than one portal behind this sign-in: the menu offers to switch.
        if portal.session.identifier_hash:
            context.setdefault("can_switch", len(services.viewing_options(portal.session)) > 1)
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
            opened = services.verify_code(
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
            return _signed_in(request, opened)
    return _page(request, "portal/sign_in_code.html", {"form": form})


def _second_step(request) -> services.SecondStep | None:
    pending = request.session.get(SECOND_STEP_KEY)
    if not isinstance(pending, dict):
        return None
    try:
        until = datetime.fromisoformat(pending["until"])
        step = services.SecondStep(
            str(pending["account"]), str(pending["ident"]), bool(pending["shared"]), pending["how"]
        )
    except (KeyError, TypeError, ValueError):
        return None
    return step if timezone.now() < until else None


@public
@never_cache
def sign_in_totp(request):
    """The sign-in's second step for a patient who added an authenticator app."""
    step = _second_step(request)
    if step is None:
        request.session.pop(SECOND_STEP_KEY, None)
        return redirect("portal:sign_in")
    form = CodeForm(request.POST or None)
    form.fields["code"].label = _("The code from your authenticator app")
    if request.method == "POST" and form.is_valid():
        try:
            opened = services.verify_totp(step, form.cleaned_data["code"], ip=client_ip(request))
        except services.SignInLimited as refusal:
            form.add_error(None, refusal.message)
            return _page(request, "portal/sign_in_totp.html", {"form": form}, status=429)
        except services.CodeRejected as refusal:
            form.add_error("code", refusal.message)
        else:
            return _signed_in(request, opened)
    return _page(request, "portal/sign_in_totp.html", {"form": form})


def _signed_in(request, opened):
    """The answer to a right code or link: a fresh session id and the portal's own cookie;
    or, when the account has an authenticator app, the page that asks for its code."""
    if isinstance(opened, services.SecondStep):
        request.session.pop(PENDING_KEY, None)
        request.session.cycle_key()
        request.session[SECOND_STEP_KEY] = {
            "account": opened.account_id,
            "ident": opened.identifier_hash,
            "shared": opened.shared_device,
            "how": opened.how,
            "until": (timezone.now() + timedelta(minutes=settings.PORTAL_CODE_MINUTES)).isoformat(),
        }
        return redirect("portal:sign_in_totp")
    session, key = opened
    request.session.pop(PENDING_KEY, None)
    request.session.pop(SECOND_STEP_KEY, None)
    request.session.cycle_key()
    # Someone who is a patient and a trusted person, or trusted by several patients, chooses
    # whose portal to open.
    landing = "portal:choose" if len(services.viewing_options(session)) > 1 else "portal:home"
    # The patient lands in their own language; a trusted person stays in the one they signed
    # in with (the account's language is the patient's).
    language = translation.get_language()
    if session.trusted_person_id is None:
        language = session.account.language
    with translation.override(language):
        response = redirect(reverse(landing))
    response.set_cookie(
        settings.PORTAL_SESSION_COOKIE,
        key,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response


@public
@never_cache
def sign_in_link(request, token):
    """The e-mailed link's page. Opening it signs nobody in (mail scanners open links): the
    button posts, and only the post spends the link. Every token gets the same page."""
    # Bound on every POST: the form may be empty (the box unticked), and must still validate.
    form = LinkForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            opened = services.verify_link(
                token, ip=client_ip(request), shared_device=form.cleaned_data["shared_device"]
            )
        except services.SignInLimited as refusal:
            form.add_error(None, refusal.message)
            status = 429
        except services.CodeRejected as refusal:
            form.add_error(None, refusal.message)
        else:
            return _signed_in(request, opened)
    response = _page(request, "portal/sign_in_link.html", {"form": form}, status=status)
    # The token is in the address: never send it on to another site.
    response["Referrer-Policy"] = "no-referrer"
    return response


@patient_portal(scope=ANYONE, audited=False)
@require_POST
def sign_out(request):
    services.sign_out(request.portal.session)
    response = redirect("portal:sign_in")
    response.delete_cookie(settings.PORTAL_SESSION_COOKIE)
    messages.info(request, _("You have signed out."))
    return response


# --- home and visits -------------------------------------------------------------------------


@patient_portal(scope=ANYONE)
def home(request):
    patient = request.portal.patient
    scopes = request.portal.scopes
    visits = selectors.upcoming_visits(patient) if VISITS in scopes else []
    now = timezone.now()
    for visit in visits:
        visit.change_refusal = services.change_refusal(visit, now)
    own = PATIENT in scopes
    return _page(
        request,
        "portal/home.html",
        {
            "patient": patient,
            "visits": visits,
            "offers": selectors.open_offers(patient) if own else [],
            "due": selectors.due_questionnaires(patient) if own else [],
            "released": own and selectors.latest_release(patient) is not None,
            "unread_messages": messaging.unread_count(patient) if own else 0,
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


@patient_portal(scope=VISITS)
def visit(request, appointment_id):
    if request.method == "POST":
        check_scope(request.portal, CHANGE_VISITS)
    appointment = get_appointment_for(request.portal, appointment_id)
    account = request.portal.account
    if request.method == "POST" and "slot" in request.POST:
        slot = _chosen_slot(appointment, request.POST["slot"])
        if slot is None:
            messages.error(request, _("That time is no longer free. Choose another one."))
        else:
            try:
                services.move_visit(account, appointment, slot=slot, trusted=request.portal.trusted)
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


@patient_portal(scope=CHANGE_VISITS)
@require_POST
def cancel(request, appointment_id):
    appointment = get_appointment_for(request.portal, appointment_id)
    form = CancelForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.cancel_visit(
            request.portal.account, appointment, reason=reason, trusted=request.portal.trusted
        )
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


@patient_portal(scope=DOCUMENTS)
def documents(request):
    patient = request.portal.patient
    own = PATIENT in request.portal.scopes
    return _page(
        request,
        "portal/documents.html",
        {
            "own": own,
            "see_visits": VISITS in request.portal.scopes,
            "consents": selectors.consents(patient) if own else [],
            "visits": selectors.upcoming_visits(patient),
            "summaries": selectors.released_summaries(patient) if own else [],
            "language": translation.get_language(),
        },
    )


@patient_portal
def summary_pdf(request, summary_id):
    summary = get_summary_for(request.portal, summary_id)
    services.record_portal_read(request.portal.account, "summary.downloaded")
    html = render_to_string(
        "portal/summary_pdf.html",
        {"patient": request.portal.patient, "summary": summary},
        request=request,
    )
    response = HttpResponse(render_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="session-summary-{summary.note.held_on:%Y-%m-%d}.pdf"'
    )
    return response


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
    data = patient_data(request.portal.patient, services.portal_actor())
    data["session_summaries"] = selectors.summaries_for_export(request.portal.patient)
    return data


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


TOTP_SETUP_KEY = "portal_totp_setup"


@patient_portal
def authenticator(request):
    """Add or remove the optional authenticator app (asked for after the code at sign-in)."""
    account = request.portal.account
    form = CodeForm(request.POST or None)
    form.fields["code"].label = _("The code from your authenticator app")
    form.fields["code"].widget.attrs.pop("autofocus", None)
    if request.method == "POST" and form.is_valid():
        try:
            if account.has_authenticator:
                services.remove_authenticator(account, code=form.cleaned_data["code"])
                messages.success(request, _("The authenticator app is removed."))
            else:
                secret = request.session.get(TOTP_SETUP_KEY) or services.new_totp_secret()
                services.add_authenticator(account, secret=secret, code=form.cleaned_data["code"])
                request.session.pop(TOTP_SETUP_KEY, None)
                messages.success(
                    request, _("The authenticator app is added: sign-in will ask for its code.")
                )
        except services.TotpRejected as refusal:
            form.add_error("code", refusal.message)
        else:
            return redirect("portal:authenticator")
    context = {"form": form, "has_authenticator": account.has_authenticator}
    if not account.has_authenticator:
        # The secret waits in the (signed-in) session until the first code confirms it.
        secret = request.session.get(TOTP_SETUP_KEY) or services.new_totp_secret()
        request.session[TOTP_SETUP_KEY] = secret
        url, svg = services.totp_setup(account, secret)
        context |= {"secret": secret, "qr_svg": svg, "otpauth": url}
    return _page(request, "portal/authenticator.html", context)


@patient_portal
def access_log(request):
    services.record_portal_read(request.portal.account, "access_log.viewed")
    return _page(
        request,
        "portal/access_log.html",
        {"rows": selectors.staff_access_log(request.portal.patient)},
    )


# --- trusted people ------------------------------------------------------------------------------


@patient_portal
def trusted_people(request):
    """The patient's trusted people: who may see what, until when; grant and revoke."""
    form = TrustedPersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.grant_trusted_person(
                request.portal.account,
                name=data["name"],
                relation=data["relation"],
                contact=data["contact"],
                scopes=data["scopes"],
                expires_on=data["expires_on"],
            )
        except services.PortalRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(
                request, _("Done. The person gets a message telling them how to sign in.")
            )
            return redirect("portal:trusted_people")
    return _page(
        request,
        "portal/trusted_people.html",
        {"form": form, "grants": selectors.trusted_people(request.portal.patient)},
    )


@patient_portal
@require_POST
def trusted_revoke(request, grant_id):
    grant = get_trusted_person_for(request.portal, grant_id)
    services.revoke_trusted_person(grant)
    messages.success(request, _("Access withdrawn: the person is signed out."))
    return redirect("portal:trusted_people")


@patient_portal(scope=ANYONE, audited=False)
def choose(request):
    """Whose portal to open, when one sign-in opens more than one."""
    options = services.viewing_options(request.portal.session)
    if request.method == "POST":
        chosen = request.POST.get("portal", "")
        try:
            grant_id = None if chosen == "own" else uuid.UUID(chosen)
            services.switch_portal(request.portal.session, grant_id)
        except (ValueError, services.PortalRefused):
            return _page(request, "portal/not_found.html", status=404)
        return redirect("portal:home")
    return _page(request, "portal/choose.html", {"options": options})
