"""Every write of the patient portal: invitations, one-time codes, portal sessions, and the
patient's own changes (moving and cancelling visits, offers, consents, questionnaires), which
go through the same services staff use.

The patient is not a Django user. Writes that the portal makes on the patient's behalf name
the portal's own actor (`portal_actor()`, an inactive account like the system user) and carry
the portal account in the audit row's reason, so the trail says "the patient, in the portal".
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clinic.accounts.models import User
from clinic.assessments import services as assessments
from clinic.assessments.models import Assessment, SelfReportLink
from clinic.core.audit import audit
from clinic.core.errors import Refused
from clinic.core.models import AuditEvent
from clinic.core.outbox import enqueue_message
from clinic.core.public_url import public_url
from clinic.courses.models import Course
from clinic.patients import services as records
from clinic.patients.models import Consent, Patient
from clinic.portal import rules
from clinic.portal.models import (
    PortalAccount,
    PortalPolicy,
    PortalSession,
    ScoreRelease,
    SignInAttempt,
    SignInCode,
)
from clinic.scheduling import services as scheduling
from clinic.scheduling.models import Appointment, WaitlistEntry

PORTAL_EMAIL = "portal@clinic.invalid"


class PortalRefused(Refused):
    code = "portal.refused"


class SignInLimited(PortalRefused):
    """Too many requests or wrong codes: wait, whoever you are."""

    code = "portal.sign_in.limited"


class CodeRejected(PortalRefused):
    code = "portal.sign_in.rejected"


def portal_actor() -> User:
    """The named actor of writes the patient makes in the portal (patients are not users)."""
    user, _created = User.objects.get_or_create(
        email=PORTAL_EMAIL,
        defaults={"full_name": "Patient portal", "is_active": False, "password": "!"},
    )
    return user


# --- identifiers -------------------------------------------------------------------------


def normalise_identifier(raw: str) -> str | None:
    """A typed phone number as E.164, or an e-mail address in lower case; None if neither."""
    text = (raw or "").strip()
    if not text or len(text) > 254 or "\x00" in text:
        return None
    if "@" in text:
        try:
            validate_email(text)
        except ValidationError:
            return None
        return text.lower()
    try:
        number = phonenumbers.parse(text, "UA")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def identifier_hash(normalised: str) -> str:
    return hmac.new(
        settings.SECRET_KEY.encode(), f"portal-id:{normalised}".encode(), hashlib.sha256
    ).hexdigest()


def _code_hash(ident_hash: str, code: str) -> str:
    return hmac.new(
        settings.SECRET_KEY.encode(), f"portal-code:{ident_hash}:{code}".encode(), hashlib.sha256
    ).hexdigest()


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def account_for(normalised: str) -> PortalAccount | None:
    field = "email" if "@" in normalised else "phone"
    return (
        PortalAccount.objects.filter(is_active=True, **{field: normalised})
        .select_related("patient", "patient__home_site")
        .first()
    )


# --- invitations -------------------------------------------------------------------------


def _sign_in_url(language: str) -> str:
    with translation.override(language):
        return public_url(reverse("portal:sign_in"))


def visit_path(appointment: Appointment) -> str:
    """Where a message about a visit sends the patient: the portal's page of the visit, or the
    portal's sign-in page when the patient has no active account (the path, in the active
    language; scheduling.hooks makes it absolute)."""
    if PortalAccount.objects.filter(patient_id=appointment.patient_id, is_active=True).exists():
        return reverse("portal:visit", kwargs={"appointment_id": appointment.public_id})
    return reverse("portal:sign_in")


@transaction.atomic
def invite_patient(patient: Patient, *, actor) -> PortalAccount:
    """Open (or refresh) the patient's portal account and send the invitation with its link."""
    phone = normalise_identifier(str(patient.phone)) if patient.phone else None
    email = normalise_identifier(patient.email) if patient.email else None
    if not phone and not email:
        raise PortalRefused(
            _("Add the patient's phone or e-mail first: the portal sends its codes there."),
            code="portal.invite.refused",
        )
    channel = patient.preferred_channel
    if channel not in PortalAccount.Channel.values:
        channel = PortalAccount.Channel.SMS if phone else PortalAccount.Channel.EMAIL
    if channel == PortalAccount.Channel.EMAIL and not email:
        channel = PortalAccount.Channel.SMS
    if channel != PortalAccount.Channel.EMAIL and not phone:
        channel = PortalAccount.Channel.EMAIL
    account, _created = PortalAccount.objects.update_or_create(
        patient=patient,
        defaults={
            "phone": phone or "",
            "email": email or "",
            "channel": channel,
            "language": patient.preferred_language,
            "is_active": True,
            "invited_at": timezone.now(),
            "invited_by": actor,
        },
    )
    with translation.override(account.language):
        body = _(
            "The centre has opened your patient portal: your visits, questionnaires and "
            "documents. Sign in with your %(identifier)s at %(link)s. You will get a one-time "
            "code; nobody from the centre will ever ask you for it."
        ) % {
            "identifier": _("e-mail") if channel == PortalAccount.Channel.EMAIL else _("phone"),
            "link": _sign_in_url(account.language),
        }
        subject = _("Your patient portal")
    enqueue_message(
        channel=channel,
        recipient=email if channel == PortalAccount.Channel.EMAIL else phone,
        subject=subject if channel == PortalAccount.Channel.EMAIL else "",
        body=body,
        site=patient.home_site,
    )
    audit(actor, "portal.invited", patient, obj=account, reason=channel)
    return account


# --- one-time codes ----------------------------------------------------------------------


def _window_start(now):
    return now - timedelta(minutes=settings.PORTAL_LIMIT_WINDOW_MINUTES)


def _limited(ident_hash: str, ip: str | None, now) -> bool:
    """Whether this identifier or this address has used up its attempts for now (lockout)."""
    since = _window_start(now)
    recent = SignInAttempt.objects.filter(at__gte=since)
    by_ident = recent.filter(identifier_hash=ident_hash)
    if by_ident.filter(kind=SignInAttempt.Kind.REQUEST).count() >= (
        settings.PORTAL_CODE_REQUESTS_PER_IDENTIFIER
    ):
        return True
    if by_ident.filter(kind=SignInAttempt.Kind.VERIFY, succeeded=False).count() >= (
        settings.PORTAL_FAILED_CODES_PER_IDENTIFIER
    ):
        return True
    return ip is not None and recent.filter(ip=ip, succeeded=False).count() >= (
        settings.PORTAL_ATTEMPTS_PER_IP
    )


def _refuse_limited(ident_hash, ip):
    raise SignInLimited(
        _("Too many attempts. Please wait %(minutes)s minutes and try again, or phone the centre.")
        % {"minutes": settings.PORTAL_LIMIT_WINDOW_MINUTES}
    )


def _new_code() -> str:
    length = settings.PORTAL_CODE_LENGTH
    return str(secrets.randbelow(10**length)).zfill(length)


@transaction.atomic
def request_code(raw_identifier: str, *, ip: str | None) -> str:
    """Send a one-time code to the account holding this phone or e-mail; returns the
    identifier's hash for the next step. The same work and the same answer whether or not
    the identifier belongs to anyone (no enumeration)."""
    now = timezone.now()
    normalised = normalise_identifier(raw_identifier) or f"invalid:{raw_identifier[:254]}"
    ident = identifier_hash(normalised)
    if _limited(ident, ip, now):
        _refuse_limited(ident, ip)
    # Counted as not (yet) succeeded: the IP limit counts requests until a code is used.
    SignInAttempt.objects.create(identifier_hash=ident, ip=ip, kind=SignInAttempt.Kind.REQUEST)
    account = account_for(normalised)
    code = _new_code()
    SignInCode.objects.create(
        identifier_hash=ident,
        account=account,
        code_hash=_code_hash(ident, code),
        expires_at=now + timedelta(minutes=settings.PORTAL_CODE_MINUTES),
    )
    if account is not None:
        with translation.override(account.language):
            body = _(
                "Your code for the centre's patient portal: %(code)s. It is valid for "
                "%(minutes)s minutes. Do not tell it to anyone."
            ) % {"code": code, "minutes": settings.PORTAL_CODE_MINUTES}
            subject = _("Your sign-in code")
        by_email = account.channel == PortalAccount.Channel.EMAIL
        enqueue_message(
            channel=account.channel,
            recipient=account.email if by_email else account.phone,
            subject=subject if by_email else "",
            body=body,
            site=account.patient.home_site,
            carries_secret=True,
        )
    return ident


def verify_code(ident_hash: str, code: str, *, ip: str | None, shared_device: bool):
    """Check a typed code; on success open a portal session: (session, cookie key).

    Each code is single use and expires; wrong codes count against the code, the identifier
    and the address, and enough of them lock signing in for a while. A wrong code is
    committed as such before the refusal is raised, so the count survives the refusal.
    """
    if _limited(ident_hash, ip, timezone.now()):
        _refuse_limited(ident_hash, ip)
    opened = _check_code(ident_hash, code, ip=ip, shared_device=shared_device)
    if opened is None:
        raise CodeRejected(_("The code is wrong or has expired. Ask for a new one."))
    return opened


@transaction.atomic
def _check_code(ident_hash: str, code: str, *, ip, shared_device):
    now = timezone.now()
    typed = "".join(ch for ch in (code or "") if ch.isdigit())[: settings.PORTAL_CODE_LENGTH]
    # Lock order: docs/architecture.md, "Locks and their order" (the code row, nothing else).
    row = (
        SignInCode.objects.select_for_update(of=("self",), no_key=True)
        .filter(identifier_hash=ident_hash, used_at__isnull=True, expires_at__gt=now)
        .order_by("-created_at", "-pk")
        .first()
    )
    matches = row is not None and hmac.compare_digest(row.code_hash, _code_hash(ident_hash, typed))
    usable = (
        matches
        and row.account is not None
        and row.account.is_active
        and row.failed_attempts < settings.PORTAL_CODE_MAX_ATTEMPTS
    )
    SignInAttempt.objects.create(
        identifier_hash=ident_hash, ip=ip, kind=SignInAttempt.Kind.VERIFY, succeeded=usable
    )
    if not usable:
        if row is not None:
            row.failed_attempts += 1
            row.save(update_fields=["failed_attempts"])
        return None
    row.used_at = now
    row.save(update_fields=["used_at"])
    # Other codes sent for this identifier stop working once one has been used.
    SignInCode.objects.filter(identifier_hash=ident_hash, used_at__isnull=True).update(used_at=now)
    account = row.account
    account.last_signed_in_at = now
    account.save(update_fields=["last_signed_in_at"])
    key = secrets.token_urlsafe(32)
    session = PortalSession.objects.create(
        key_hash=_key_hash(key), account=account, shared_device=shared_device
    )
    audit(
        portal_actor(),
        "portal.signed_in",
        account.patient,
        obj=account,
        reason="shared device" if shared_device else "",
    )
    return session, key


def _limits(session: PortalSession) -> tuple[int, int]:
    if session.shared_device:
        return settings.PORTAL_SHARED_IDLE_SECONDS, settings.PORTAL_SHARED_ABSOLUTE_SECONDS
    return settings.PORTAL_IDLE_SECONDS, settings.PORTAL_ABSOLUTE_SECONDS


def session_for(key: str | None) -> PortalSession | None:
    """The live portal session of a cookie's key, renewed; None when missing or timed out."""
    if not key or len(key) > 100:
        return None
    session = (
        PortalSession.objects.filter(key_hash=_key_hash(key), ended_at__isnull=True)
        .select_related("account", "account__patient", "account__patient__home_site")
        .first()
    )
    if session is None or not session.account.is_active:
        return None
    now = timezone.now()
    idle, absolute = _limits(session)
    if now - session.last_seen_at > timedelta(seconds=idle) or now - session.created_at > (
        timedelta(seconds=absolute)
    ):
        PortalSession.objects.filter(pk=session.pk).update(ended_at=now)
        return None
    # Written at most once a minute, not on every page.
    if now - session.last_seen_at > timedelta(seconds=settings.SESSION_RENEW_SECONDS):
        PortalSession.objects.filter(pk=session.pk).update(last_seen_at=now)
        session.last_seen_at = now
    return session


@transaction.atomic
def sign_out(session: PortalSession) -> None:
    PortalSession.objects.filter(pk=session.pk, ended_at__isnull=True).update(
        ended_at=timezone.now()
    )
    audit(portal_actor(), "portal.signed_out", session.account.patient, obj=session.account)


# --- visits --------------------------------------------------------------------------------


def policy_for(site) -> PortalPolicy | None:
    return (
        PortalPolicy.objects.filter(site=site)
        .prefetch_related("movable_visit_types", "infusion_visit_types")
        .first()
    )


def rules_policy(policy: PortalPolicy) -> rules.Policy:
    return rules.Policy(
        notice_hours=policy.notice_hours,
        movable_type_ids=frozenset(v.pk for v in policy.movable_visit_types.all()),
        infusion_type_ids=frozenset(v.pk for v in policy.infusion_visit_types.all()),
        min_days_between_infusions=policy.min_days_between_infusions,
    )


def visit_facts(appointment: Appointment) -> rules.Visit:
    return rules.Visit(
        visit_type_id=appointment.visit_type_id,
        starts_at=appointment.starts_at,
        is_booked=appointment.status == Appointment.Status.BOOKED,
    )


def course_window(appointment: Appointment) -> rules.CourseWindow | None:
    course = None
    if appointment.series_id and appointment.series.course_id:
        course = appointment.series.course
    else:
        course = (
            Course.objects.filter(patient=appointment.patient, site=appointment.site)
            .filter(status=Course.Status.ACTIVE)
            .order_by("-opened_on")
            .first()
        )
    if course is None:
        return None
    return rules.CourseWindow(
        active=course.status == Course.Status.ACTIVE,
        opens=course.opened_on,
        closes=course.closed_on,
    )


def change_refusal(appointment: Appointment, now=None) -> str | None:
    policy = policy_for(appointment.site)
    if policy is None:
        return _("Visits at this site are changed by phoning the centre.")
    return rules.change_refusal(
        rules_policy(policy), visit_facts(appointment), now or timezone.now()
    )


def _other_infusions(appointment: Appointment, policy: rules.Policy):
    return list(
        Appointment.objects.filter(
            patient=appointment.patient,
            visit_type_id__in=policy.infusion_type_ids,
            status__in=(Appointment.Status.BOOKED, Appointment.Status.CHECKED_IN),
        )
        .exclude(pk=appointment.pk)
        .values_list("starts_at", flat=True)
    )


def move_refusal(appointment: Appointment, new_start, now=None) -> str | None:
    policy_row = policy_for(appointment.site)
    if policy_row is None:
        return _("Visits at this site are changed by phoning the centre.")
    policy = rules_policy(policy_row)
    return rules.move_refusal(
        policy,
        visit_facts(appointment),
        new_start,
        now or timezone.now(),
        other_infusions=_other_infusions(appointment, policy),
        course=course_window(appointment)
        if appointment.visit_type_id in policy.infusion_type_ids
        else None,
    )


def _deny(account: PortalAccount, code: str, reason: str, obj=None) -> None:
    """The refusal's audit row, in its own transaction (the caller's will roll back)."""
    with transaction.atomic():
        audit(
            portal_actor(),
            code,
            account.patient,
            obj=obj,
            outcome=AuditEvent.Outcome.DENIED,
            reason=reason,
        )


def move_visit(account: PortalAccount, appointment: Appointment, *, slot) -> Appointment:
    """Move the patient's own visit to a free slot, within the site's policy."""
    reason = move_refusal(appointment, slot.starts_at)
    if reason:
        refusal = PortalRefused(reason, code="portal.visit.move_refused")
        _deny(account, refusal.code, reason, obj=appointment)
        raise refusal
    return scheduling.reschedule_appointment(
        appointment,
        starts_at=slot.starts_at,
        practitioner=slot.practitioner,
        room=slot.room,
        actor=portal_actor(),
        reason=_("moved by the patient in the portal"),
    )


def cancel_visit(account: PortalAccount, appointment: Appointment, *, reason: str) -> Appointment:
    """Cancel the patient's own visit, within the site's policy."""
    refusal_reason = change_refusal(appointment)
    if refusal_reason:
        refusal = PortalRefused(refusal_reason, code="portal.visit.cancel_refused")
        _deny(account, refusal.code, refusal_reason, obj=appointment)
        raise refusal
    note = _("cancelled by the patient in the portal")
    if reason.strip():
        note = f"{note}: {reason.strip()}"
    return scheduling.cancel_appointment(appointment, reason=note[:300], actor=portal_actor())


def accept_offer(account: PortalAccount, entry: WaitlistEntry) -> Appointment:
    return scheduling.confirm_offer(entry, actor=portal_actor())


# --- questionnaires, scores, consents, data --------------------------------------------------


@transaction.atomic
def open_questionnaire(account: PortalAccount, link: SelfReportLink) -> SelfReportLink:
    """The patient opens a due questionnaire from the portal: the self-report flow takes over."""
    return assessments.open_self_report(link)


@transaction.atomic
def release_scores(patient: Patient, *, actor, note: str = "") -> ScoreRelease:
    """A clinician lets the patient see their scores so far, with an optional note."""
    now = timezone.now()
    completed = Assessment.objects.filter(
        patient=patient, status=Assessment.Status.COMPLETED, completed_at__lte=now
    )
    if not completed.exists():
        raise PortalRefused(
            _("There are no completed scores to release yet."), code="portal.release.refused"
        )
    release = ScoreRelease.objects.create(
        patient=patient, released_through=now, released_by=actor, note=note.strip()[:500]
    )
    audit(actor, "portal.scores.released", patient, obj=release)
    return release


@transaction.atomic
def sign_consent(account: PortalAccount, purpose: str) -> Consent:
    """The patient agrees to the text in force for a purpose, electronically."""
    try:
        return records.record_consent(
            account.patient,
            purpose=purpose,
            given=True,
            channel=Consent.Channel.ELECTRONIC,
            given_at=timezone.now(),
            actor=portal_actor(),
        )
    except Refused as refusal:
        raise PortalRefused(refusal.message, code="portal.consent.refused") from refusal


@transaction.atomic
def withdraw_consent(account: PortalAccount, consent: Consent) -> Consent:
    try:
        return records.withdraw_consent(
            consent, note=_("withdrawn by the patient in the portal"), actor=portal_actor()
        )
    except Refused as refusal:
        raise PortalRefused(refusal.message, code="portal.consent.refused") from refusal


@transaction.atomic
def record_portal_read(account: PortalAccount, what: str) -> None:
    """The patient read or downloaded part of their record (exports, scores)."""
    audit(portal_actor(), f"portal.{what}", account.patient, obj=account)


def record_booking_refusal(account: PortalAccount, appointment, refusal: Refused) -> None:
    """A refusal from the scheduling services (slot just taken, hold ran out), audited."""
    _deny(account, refusal.code, refusal.message, obj=appointment)


@transaction.atomic
def save_policy(site, *, values: dict, actor) -> PortalPolicy:
    """Set a site's self-service policy (with where its numbers come from)."""
    movable = values.pop("movable_visit_types", [])
    infusions = values.pop("infusion_visit_types", [])
    policy, _created = PortalPolicy.objects.update_or_create(
        site=site, defaults={**values, "updated_by": actor, "updated_at": timezone.now()}
    )
    policy.movable_visit_types.set(movable)
    policy.infusion_visit_types.set(infusions)
    audit(
        actor,
        "portal.policy.changed",
        site=site,
        obj=policy,
        reason=f"notice {policy.notice_hours} h, gap {policy.min_days_between_infusions} d",
    )
    return policy


# Sign-in rows are kept only as long as the limits and a short investigation need them.
SIGN_IN_ROWS_KEPT = timedelta(days=7)


@transaction.atomic
def forget_old_sign_ins(now=None) -> dict[str, int]:
    """Delete used or expired codes, counted attempts and ended sessions older than a week.

    The audit trail keeps every sign-in (`portal.signed_in`); these tables only serve the
    limits and the live sessions, and would otherwise grow with every visit to the portal.
    """
    before = (now or timezone.now()) - SIGN_IN_ROWS_KEPT
    codes, _ = SignInCode.objects.filter(expires_at__lt=before).delete()
    attempts, _ = SignInAttempt.objects.filter(at__lt=before).delete()
    sessions, _ = PortalSession.objects.filter(last_seen_at__lt=before).delete()
    return {"codes": codes, "attempts": attempts, "sessions": sessions}
