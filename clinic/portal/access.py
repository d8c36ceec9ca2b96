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
from clinic.portal.models import (
    MessageThread,
    PortalAccount,
    PortalSession,
    SessionSummary,
    TrustedPerson,
)
from clinic.scheduling.models import Appointment, WaitlistEntry

# What a page needs, besides a portal session. A trusted person holds some of the grant's
# scopes (TrustedPerson.Scope); PATIENT marks what only the patient ever opens (scores,
# questionnaires, consents, the access log, the data export, their trusted people); ANYONE
# what every viewer opens (signing out, choosing whose portal).
PATIENT = "patient"
ANYONE = "anyone"
VISITS = TrustedPerson.Scope.VISITS.value
CHANGE_VISITS = TrustedPerson.Scope.CHANGE_VISITS.value
DOCUMENTS = TrustedPerson.Scope.DOCUMENTS.value
EVERY_SCOPE = frozenset({PATIENT, *TrustedPerson.Scope.values})


@dataclass(frozen=True)
class Portal:
    session: PortalSession
    account: PortalAccount
    # Set when the viewer is a trusted person of the patient, not the patient.
    trusted: TrustedPerson | None = None

    @property
    def patient(self):
        """Whose data the pages show."""
        return self.account.patient

    @property
    def scopes(self) -> frozenset[str]:
        return scopes_of(self)


def scopes_of(portal: Portal) -> frozenset[str]:
    """What the viewer may open: the patient everything, a trusted person what was granted."""
    if portal.trusted is None:
        return EVERY_SCOPE
    return portal.trusted.scopes


def check_scope(portal: Portal, scope: str) -> None:
    """The one place that decides whether the viewer may open a page or make a change.

    A missing scope answers 404 (as another patient's id does) before anything is written
    but the audit row of the denied attempt.
    """
    if scope == ANYONE:
        return
    if scope not in scopes_of(portal):
        if portal.trusted is not None:
            services.record_trusted_denial(portal.trusted, scope=scope)
        raise Http404


def patient_portal(view=None, *, scope: str = PATIENT, audited: bool = True):
    """A page of the portal. Without a portal session: to the portal's sign-in; with a staff
    sign-in in the same browser: 403; a trusted person without `scope`: 404. Used bare, the
    page is the patient's alone. `audited=False` for pages that write their own audit row
    (signing out, switching portals)."""
    if view is None:
        return lambda inner: patient_portal(inner, scope=scope, audited=audited)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.is_authenticated:
            raise PermissionDenied
        session = services.session_for(request.COOKIES.get(settings.PORTAL_SESSION_COOKIE))
        if session is None:
            response = redirect("portal:sign_in")
            response.delete_cookie(settings.PORTAL_SESSION_COOKIE)
            return response
        request.portal = Portal(
            session=session, account=session.account, trusted=session.trusted_person
        )
        check_scope(request.portal, scope)
        response = view(request, *args, **kwargs)
        if audited and request.portal.trusted is not None and response.status_code < 400:
            # Every page a trusted person opens, and every change they make, names them and
            # the patient in the audit trail (and in the patient's access log).
            services.record_trusted_access(
                request.portal.trusted,
                page=request.resolver_match.url_name if request.resolver_match else "",
                changed=request.method == "POST",
            )
        # A patient's pages must not stay in a shared browser's cache.
        response["Cache-Control"] = "no-store"
        return response

    wrapper.portal_scope = scope
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


def get_trusted_person_for(portal: Portal, public_id) -> TrustedPerson:
    """One of the patient's own grants (only the patient manages them)."""
    check_scope(portal, PATIENT)
    grant = TrustedPerson.objects.filter(patient=portal.patient, public_id=public_id).first()
    if grant is None:
        raise Http404
    return grant


def get_grant_of(patient, public_id) -> TrustedPerson:
    """A grant of a patient staff may already open (`patients.access.get_patient_for`)."""
    grant = TrustedPerson.objects.filter(patient=patient, public_id=public_id).first()
    if grant is None:
        raise Http404
    return grant


def get_summary_for(portal: Portal, public_id) -> SessionSummary:
    """A released session summary of the patient's; a withdrawn or unreleased one is 404.
    Summaries are clinical: the patient's alone, never a trusted person's."""
    check_scope(portal, PATIENT)
    summary = (
        SessionSummary.objects.filter(
            patient=portal.patient, public_id=public_id, released_at__isnull=False
        )
        .select_related("note", "note__author", "released_by")
        .first()
    )
    if summary is None:
        raise Http404
    return summary


def get_thread_for(portal: Portal, public_id) -> MessageThread:
    """One of the signed-in patient's own message threads."""
    check_scope(portal, PATIENT)
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
