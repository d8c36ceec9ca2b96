"""Who may open a portal page, and the only way a portal view obtains an object.

A portal page needs a live portal session (its own cookie, `PORTAL_SESSION_COOKIE`) and no
staff sign-in in the same browser: a staff session never opens the patient's pages, and a
portal session is not a Django login, so it never opens a staff page. Every object a portal
view shows is looked up through the signed-in patient; another patient's id answers 404.
"""

from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect

from clinic.assessments.models import Assessment, SelfReportLink
from clinic.core.audit import audit
from clinic.core.models import AuditEvent
from clinic.core.policy import PORTAL, Policy, with_policy
from clinic.patients.access import can_read_clinical, get_patient_for
from clinic.patients.models import Consent
from clinic.portal import services
from clinic.portal.models import MessageThread, PortalAccount, PortalSession
from clinic.scheduling.models import Appointment, WaitlistEntry


@dataclass(frozen=True)
class Portal:
    session: PortalSession
    account: PortalAccount

    @property
    def patient(self):
        return self.account.patient


def patient_portal(view):
    """A page of the signed-in patient. Without a portal session: to the portal's sign-in;
    with a staff sign-in in the same browser: 403."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.is_authenticated:
            raise PermissionDenied
        session = services.session_for(request.COOKIES.get(settings.PORTAL_SESSION_COOKIE))
        if session is None:
            response = redirect("portal:sign_in")
            response.delete_cookie(settings.PORTAL_SESSION_COOKIE)
            return response
        request.portal = Portal(session=session, account=session.account)
        response = view(request, *args, **kwargs)
        # A patient's pages must not stay in a shared browser's cache.
        response["Cache-Control"] = "no-store"
        return response

    return with_policy(wrapper, Policy(PORTAL, object_rule="portal.access"))


def get_appointment_for(portal: Portal, public_id) -> Appointment:
    appointment = (
        Appointment.objects.filter(patient=portal.patient, public_id=public_id)
        .select_related("site", "visit_type", "practitioner", "room", "series", "series__course")
        .first()
    )
    if appointment is None:
        raise Http404
    return appointment


def get_offer_for(portal: Portal, public_id) -> WaitlistEntry:
    entry = (
        WaitlistEntry.objects.filter(patient=portal.patient, public_id=public_id)
        .select_related("offer", "site", "visit_type")
        .first()
    )
    if entry is None:
        raise Http404
    return entry


def get_link_for(portal: Portal, public_id) -> SelfReportLink:
    """An open questionnaire of the patient's, named by its assessment's id."""
    link = (
        SelfReportLink.objects.filter(
            assessment__patient=portal.patient,
            assessment__public_id=public_id,
            assessment__status=Assessment.Status.IN_PROGRESS,
        )
        .select_related("assessment", "assessment__patient", "assessment__site")
        .first()
    )
    if link is None:
        raise Http404
    return link


def get_consent_for(portal: Portal, public_id) -> Consent:
    consent = (
        Consent.objects.filter(patient=portal.patient, public_id=public_id)
        .select_related("wording")
        .first()
    )
    if consent is None:
        raise Http404
    return consent


def get_thread_for(portal: Portal, public_id) -> MessageThread:
    """One of the signed-in patient's own message threads."""
    thread = (
        MessageThread.objects.filter(patient=portal.patient, public_id=public_id)
        .select_related("patient", "addressed_to")
        .first()
    )
    if thread is None:
        raise Http404
    return thread


def get_staff_thread_for(user, public_id) -> MessageThread:
    """A thread a member of staff may read and answer. The patient is reached through the
    chart's funnel (another site: 404, audited); a treatment question is clinical content,
    which reception does not read (refused and audited)."""
    thread = (
        MessageThread.objects.filter(public_id=public_id)
        .select_related("patient", "addressed_to")
        .first()
    )
    if thread is None:
        raise Http404
    thread.patient = get_patient_for(user, thread.patient.public_id)
    if not thread.for_reception and not can_read_clinical(user, thread.patient):
        audit(
            user,
            "portal.message.viewed",
            thread.patient,
            obj=thread,
            outcome=AuditEvent.Outcome.DENIED,
            reason=thread.topic,
        )
        raise PermissionDenied
    return thread
