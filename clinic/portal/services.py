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
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote, urlencode

import phonenumbers
from allauth.mfa.totp.internal import auth as totp
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clinic.accounts.adapters import MFAAdapter
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
    SessionSummary,
    SignInAttempt,
    SignInCode,
    TrustedPerson,
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


def _link_hash(token: str) -> str:
    return hmac.new(
        settings.SECRET_KEY.encode(), f"portal-link:{token}".encode(), hashlib.sha256
    ).hexdigest()


def _sign_in_link(token: str, language: str) -> str:
    with translation.override(language):
        return public_url(reverse("portal:sign_in_link", kwargs={"token": token}))


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
    # Someone the identifier's holder is a trusted person of: the same code, sent the same way.
    grant = None if account is not None else live_grants(ident).first()
    code = _new_code()
    # An e-mail carries a sign-in link beside the code: the same row, so the same lifetime,
    # single use and attempts. Made for every e-mail identifier, known or not (same work).
    token = secrets.token_urlsafe(32) if "@" in normalised else ""
    SignInCode.objects.create(
        identifier_hash=ident,
        account=account,
        code_hash=_code_hash(ident, code),
        link_hash=_link_hash(token) if token else "",
        expires_at=now + timedelta(minutes=settings.PORTAL_CODE_MINUTES),
    )
    if account is not None:
        channel, recipient = (
            account.channel,
            (account.email if account.channel == PortalAccount.Channel.EMAIL else account.phone),
        )
        language, site = account.language, account.patient.home_site
    elif grant is not None:
        channel, recipient = grant.channel, grant.contact
        language, site = grant.patient.portal_account.language, grant.patient.home_site
    else:
        return ident
    by_email = channel == PortalAccount.Channel.EMAIL
    with translation.override(language):
        body = _(
            "Your code for the centre's patient portal: %(code)s. It is valid for "
            "%(minutes)s minutes. Do not tell it to anyone."
        ) % {"code": code, "minutes": settings.PORTAL_CODE_MINUTES}
        if by_email and token:
            body += "\n\n" + _(
                "Or open this link and press the button to sign in (valid for the same "
                "%(minutes)s minutes, once): %(link)s"
            ) % {"minutes": settings.PORTAL_CODE_MINUTES, "link": _sign_in_link(token, language)}
        subject = _("Your sign-in code")
    enqueue_message(
        channel=channel,
        recipient=recipient,
        subject=subject if by_email else "",
        body=body,
        site=site,
        carries_secret=True,
    )
    return ident


def verify_code(ident_hash: str, code: str, *, ip: str | None, shared_device: bool):
    """Check a typed code; on success open a portal session: (session, cookie key), or a
    `SecondStep` when the account's authenticator app is asked for next.

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
        matches and _opens_a_portal(row) and row.failed_attempts < settings.PORTAL_CODE_MAX_ATTEMPTS
    )
    SignInAttempt.objects.create(
        identifier_hash=ident_hash, ip=ip, kind=SignInAttempt.Kind.VERIFY, succeeded=usable
    )
    if not usable:
        if row is not None:
            row.failed_attempts += 1
            row.save(update_fields=["failed_attempts"])
        return None
    return _open_session(row, ident_hash, now, shared_device=shared_device, how="")


def verify_link(token: str, *, ip: str | None, shared_device: bool):
    """Sign in with the e-mailed link (after the person pressed the button on its page, never
    on opening it): (session, cookie key). The link is the code in another form: one use,
    the code's lifetime, and the same limits; a wrong or spent link gets the code's answer."""
    token = (token or "")[:100]
    link = _link_hash(token)
    row = SignInCode.objects.filter(link_hash=link).only("identifier_hash").first()
    # A link nobody was sent is counted under its own hash, and by the address.
    ident = row.identifier_hash if row is not None else identifier_hash(f"link:{link}")
    if _limited(ident, ip, timezone.now()):
        _refuse_limited(ident, ip)
    opened = _check_link(ident, link, ip=ip, shared_device=shared_device)
    if opened is None:
        raise CodeRejected(_("The code is wrong or has expired. Ask for a new one."))
    return opened


@transaction.atomic
def _check_link(ident_hash: str, link: str, *, ip, shared_device):
    now = timezone.now()
    # Lock order: docs/architecture.md, "Locks and their order" (the code row, nothing else).
    row = (
        SignInCode.objects.select_for_update(of=("self",), no_key=True)
        .filter(link_hash=link, used_at__isnull=True, expires_at__gt=now)
        .first()
    )
    usable = (
        row is not None
        and _opens_a_portal(row)
        and row.failed_attempts < settings.PORTAL_CODE_MAX_ATTEMPTS
    )
    SignInAttempt.objects.create(
        identifier_hash=ident_hash, ip=ip, kind=SignInAttempt.Kind.VERIFY, succeeded=usable
    )
    if not usable:
        return None
    return _open_session(row, ident_hash, now, shared_device=shared_device, how="e-mail link")


@dataclass(frozen=True)
class SecondStep:
    """The code was right, and the account asks for its authenticator app's code as well."""

    account_id: str
    identifier_hash: str
    shared_device: bool
    how: str


def _own_account(row: SignInCode) -> PortalAccount | None:
    return row.account if row.account is not None and row.account.is_active else None


def _opens_a_portal(row: SignInCode) -> bool:
    """The code's identifier is a patient's own, or a trusted person's with a live grant."""
    return _own_account(row) is not None or live_grants(row.identifier_hash).exists()


def _open_session(row: SignInCode, ident_hash: str, now, *, shared_device: bool, how: str):
    """Spend the code (and its link) and every other one of the identifier; open a session,
    or, when the patient has added an authenticator app, ask for its code first."""
    row.used_at = now
    row.save(update_fields=["used_at"])
    # Other codes sent for this identifier stop working once one has been used.
    SignInCode.objects.filter(identifier_hash=ident_hash, used_at__isnull=True).update(used_at=now)
    own = _own_account(row)
    if own is not None and own.has_authenticator:
        return SecondStep(str(own.public_id), ident_hash, shared_device, how)
    if own is not None:
        return _start_session(own, now, ident_hash=ident_hash, shared_device=shared_device, how=how)
    grant = live_grants(ident_hash).first()
    key = secrets.token_urlsafe(32)
    session = PortalSession.objects.create(
        key_hash=_key_hash(key),
        account=grant.patient.portal_account,
        trusted_person=grant,
        identifier_hash=ident_hash,
        shared_device=shared_device,
    )
    audit(
        portal_actor(),
        "portal.trusted.signed_in",
        grant.patient,
        obj=grant,
        reason=_how(how, shared_device),
    )
    return session, key


def _how(how: str, shared_device: bool) -> str:
    return ", ".join(filter(None, [how, "shared device" if shared_device else ""]))


def _start_session(account: PortalAccount, now, *, ident_hash: str, shared_device: bool, how: str):
    account.last_signed_in_at = now
    account.save(update_fields=["last_signed_in_at"])
    key = secrets.token_urlsafe(32)
    session = PortalSession.objects.create(
        key_hash=_key_hash(key),
        account=account,
        own_account=account,
        identifier_hash=ident_hash,
        shared_device=shared_device,
    )
    audit(
        portal_actor(),
        "portal.signed_in",
        account.patient,
        obj=account,
        reason=_how(how, shared_device),
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
        .select_related(
            "account",
            "account__patient",
            "account__patient__home_site",
            "trusted_person",
            "own_account",
        )
        .first()
    )
    if session is None or not session.account.is_active:
        return None
    now = timezone.now()
    if session.trusted_person is not None and not session.trusted_person.is_live():
        # Revoked or past its date: the trusted person's next request signs them out.
        PortalSession.objects.filter(pk=session.pk).update(ended_at=now)
        return None
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
    # A trusted person's row names their grant, the patient's their account.
    audit(
        portal_actor(),
        "portal.signed_out",
        session.account.patient,
        obj=session.trusted_person or session.account,
    )


# --- trusted people --------------------------------------------------------------------------


def live_grants(ident_hash: str):
    """The live grants an identifier holds, whose patient's portal is open."""
    return (
        TrustedPerson.objects.live()
        .filter(identifier_hash=ident_hash, patient__portal_account__is_active=True)
        .select_related("patient", "patient__home_site", "patient__portal_account")
        .order_by("granted_at", "pk")
    )


def _own_identifiers(account: PortalAccount) -> set[str]:
    return {value for value in (account.phone, account.email) if value}


@transaction.atomic
def grant_trusted_person(
    account: PortalAccount, *, name: str, relation: str, contact: str, scopes, expires_on=None
) -> TrustedPerson:
    """The patient lets someone into part of their portal, and the person is told how to sign
    in. Only the fixed scopes can be granted; scores, questionnaires, notes, the access log
    and the data export never are."""
    normalised = normalise_identifier(contact)
    if normalised is None:
        raise PortalRefused(
            _("Give a phone number or an e-mail address the person can receive a code at."),
            code="portal.trusted.refused",
        )
    if normalised in _own_identifiers(account):
        raise PortalRefused(
            _("That is your own phone or e-mail: give the trusted person's own."),
            code="portal.trusted.refused",
        )
    scopes = set(scopes) & set(TrustedPerson.Scope.values)
    if not scopes:
        raise PortalRefused(_("Choose what the person may see."), code="portal.trusted.refused")
    if expires_on is not None and expires_on < timezone.localdate():
        raise PortalRefused(_("The date has already passed."), code="portal.trusted.refused")
    by_email = "@" in normalised
    grant = TrustedPerson.objects.create(
        patient=account.patient,
        name=name.strip()[:150],
        relation=relation,
        contact=normalised,
        identifier_hash=identifier_hash(normalised),
        channel=PortalAccount.Channel.EMAIL if by_email else PortalAccount.Channel.SMS,
        can_see_visits=TrustedPerson.Scope.VISITS in scopes
        or TrustedPerson.Scope.CHANGE_VISITS in scopes,
        can_change_visits=TrustedPerson.Scope.CHANGE_VISITS in scopes,
        can_see_documents=TrustedPerson.Scope.DOCUMENTS in scopes,
        expires_on=expires_on,
    )
    with translation.override(account.language):
        # The patient's name only: the message may be read by anyone holding the phone.
        body = _(
            "%(patient)s has given you access to part of their patient portal at the centre. "
            "Sign in with this %(identifier)s at %(link)s; you will get a one-time code."
        ) % {
            "patient": account.patient.given_name,
            "identifier": _("e-mail") if by_email else _("phone"),
            "link": _sign_in_url(account.language),
        }
        subject = _("Access to a patient portal")
    enqueue_message(
        channel=grant.channel,
        recipient=grant.contact,
        subject=subject if by_email else "",
        body=body,
        site=account.patient.home_site,
    )
    audit(
        portal_actor(),
        "portal.trusted.granted",
        account.patient,
        obj=grant,
        reason=",".join(sorted(grant.scopes)),
    )
    return grant


@transaction.atomic
def revoke_trusted_person(grant: TrustedPerson, *, actor=None) -> TrustedPerson:
    """End a grant at once, by the patient in the portal (no actor) or by a member of staff;
    the trusted person's open sessions end with it."""
    # Lock order: docs/architecture.md, "Locks and their order" (the grant row, nothing else).
    locked = TrustedPerson.objects.select_for_update(of=("self",), no_key=True).get(pk=grant.pk)
    now = timezone.now()
    if locked.revoked_at is None:
        locked.revoked_at = now
        locked.revoked_by = actor
        locked.save(update_fields=["revoked_at", "revoked_by"])
    PortalSession.objects.filter(trusted_person=locked, ended_at__isnull=True).update(ended_at=now)
    audit(
        actor or portal_actor(),
        "portal.trusted.revoked",
        locked.patient,
        obj=locked,
        reason="by the patient in the portal" if actor is None else "",
    )
    return locked


def viewing_options(session: PortalSession) -> list[tuple[PortalAccount, TrustedPerson | None]]:
    """The portals this session's sign-in opens: the viewer's own, then each patient who made
    them a trusted person."""
    options = []
    own = session.account if session.trusted_person_id is None else session.own_account
    if own is not None and own.is_active:
        options.append((own, None))
    if session.identifier_hash:
        options += [(g.patient.portal_account, g) for g in live_grants(session.identifier_hash)]
    return options


@transaction.atomic
def switch_portal(session: PortalSession, grant_id) -> PortalSession:
    """Open another portal the same sign-in reaches: the viewer's own (no grant) or a patient's
    who trusts them. Anything else is refused as not found."""
    for account, grant in viewing_options(session):  # noqa: B007 (used after the loop)
        if (grant.public_id if grant else None) == grant_id:
            break
    else:
        raise PortalRefused(_("Not found"), code="portal.refused")
    if session.trusted_person_id is None:
        session.own_account = session.account
    session.account = account
    session.trusted_person = grant
    session.save(update_fields=["own_account", "account", "trusted_person"])
    if grant is None:
        audit(portal_actor(), "portal.signed_in", account.patient, obj=account)
    else:
        audit(portal_actor(), "portal.trusted.signed_in", grant.patient, obj=grant)
    return session


@transaction.atomic
def record_trusted_access(grant: TrustedPerson, *, page: str, changed: bool) -> None:
    """A trusted person opened a page or made a change: a row naming them and the patient."""
    audit(
        portal_actor(),
        "portal.trusted.changed" if changed else "portal.trusted.viewed",
        grant.patient,
        obj=grant,
        reason=page,
    )


def record_trusted_denial(grant: TrustedPerson, *, scope: str) -> None:
    """A trusted person tried a page or change outside their grant: the attempt is kept
    (security.md: denied attempts are logged), nothing else is written."""
    audit(
        portal_actor(),
        "portal.trusted.denied",
        grant.patient,
        obj=grant,
        outcome=AuditEvent.Outcome.DENIED,
        reason=scope,
    )


# --- the authenticator app (TOTP, optional) --------------------------------------------------

# The staff's TOTP helpers (django-allauth's, with the secret sealed by the project's adapter):
# RFC 6238, 30-second steps, one step of tolerance either side (MFA_TOTP_TOLERANCE).


class TotpRejected(PortalRefused):
    code = "portal.totp.rejected"


def new_totp_secret() -> str:
    return totp.generate_totp_secret()


def totp_setup(account: PortalAccount, secret: str) -> tuple[str, str]:
    """The otpauth:// address of a new secret and its QR code (SVG) for the app to scan."""
    adapter = MFAAdapter()
    label = f"{adapter.get_totp_issuer()}:{account.patient.record_number}"
    url = "otpauth://totp/{}?{}".format(
        quote(label), urlencode({"secret": secret, "issuer": adapter.get_totp_issuer()})
    )
    return url, adapter.build_totp_svg(url)


def _totp_step(secret: str, code: str) -> int | None:
    """The time step whose code was typed, or None (a wrong code, or one out of time)."""
    typed = "".join(ch for ch in (code or "") if ch.isdigit())
    if len(typed) != 6:
        return None
    for step in totp.yield_hotp_counters_from_time():
        if hmac.compare_digest(totp.format_hotp_value(totp.hotp_value(secret, step)), typed):
            return step
    return None


def _spend_totp(account: PortalAccount, code: str) -> bool:
    """Check the app's code against the locked account; a code (step) counts only once."""
    step = _totp_step(MFAAdapter().decrypt(account.totp_secret), code)
    if step is None or (account.totp_last_step is not None and step <= account.totp_last_step):
        return False
    account.totp_last_step = step
    account.save(update_fields=["totp_last_step"])
    return True


def _locked_account(pk) -> PortalAccount:
    # Lock order: docs/architecture.md, "Locks and their order" (the account row only).
    return (
        PortalAccount.objects.select_for_update(of=("self",), no_key=True)
        .select_related("patient")
        .get(pk=pk)
    )


@transaction.atomic
def add_authenticator(account: PortalAccount, *, secret: str, code: str) -> PortalAccount:
    """The patient adds an authenticator app: the first code from it proves it is set up."""
    account = _locked_account(account.pk)
    step = _totp_step(secret, code)
    if step is None:
        raise TotpRejected(
            _("The code from the app is wrong. Check the phone's time and try again.")
        )
    account.totp_secret, account.totp_last_step = MFAAdapter().encrypt(secret), step
    account.save(update_fields=["totp_secret", "totp_last_step"])
    audit(portal_actor(), "portal.totp.added", account.patient, obj=account)
    return account


@transaction.atomic
def remove_authenticator(account: PortalAccount, *, code: str) -> PortalAccount:
    """The patient removes the app; a current code from it is asked for first."""
    account = _locked_account(account.pk)
    if not account.has_authenticator or not _spend_totp(account, code):
        raise TotpRejected(
            _("The code from the app is wrong. Check the phone's time and try again.")
        )
    account.totp_secret, account.totp_last_step = "", None
    account.save(update_fields=["totp_secret", "totp_last_step"])
    audit(portal_actor(), "portal.totp.removed", account.patient, obj=account)
    return account


@transaction.atomic
def reset_authenticator(account: PortalAccount, *, actor) -> PortalAccount:
    """Reception removes the app of a patient who lost it, once they have checked who is
    asking (in person or by a call back to the phone on the record). The patient's portal
    sessions end: whoever holds the lost phone is signed out too."""
    account = _locked_account(account.pk)
    if not account.has_authenticator:
        raise PortalRefused(_("The patient has no authenticator app to remove."))
    account.totp_secret, account.totp_last_step = "", None
    account.save(update_fields=["totp_secret", "totp_last_step"])
    PortalSession.objects.filter(account=account, ended_at__isnull=True).update(
        ended_at=timezone.now()
    )
    audit(actor, "portal.totp.reset", account.patient, obj=account)
    return account


def verify_totp(step: SecondStep, code: str, *, ip: str | None):
    """The sign-in's second step: the authenticator app's code, under the same limits as the
    sign-in codes (counted per account and per address). Returns (session, cookie key)."""
    ident = identifier_hash(f"totp:{step.account_id}")
    if _limited(ident, ip, timezone.now()):
        _refuse_limited(ident, ip)
    opened = _check_totp(step, code, ident, ip=ip)
    if opened is None:
        raise CodeRejected(_("The code is wrong or has expired. Ask for a new one."))
    return opened


@transaction.atomic
def _check_totp(step: SecondStep, code: str, ident: str, *, ip):
    row = PortalAccount.objects.filter(public_id=step.account_id, is_active=True).first()
    account = _locked_account(row.pk) if row is not None else None
    usable = account is not None and account.has_authenticator and _spend_totp(account, code)
    SignInAttempt.objects.create(
        identifier_hash=ident, ip=ip, kind=SignInAttempt.Kind.VERIFY, succeeded=usable
    )
    if not usable:
        return None
    how = ", ".join(filter(None, [step.how, "authenticator app"]))
    return _start_session(
        account,
        timezone.now(),
        ident_hash=step.identifier_hash,
        shared_device=step.shared_device,
        how=how,
    )


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


def _by_whom(trusted: TrustedPerson | None) -> str:
    if trusted is None:
        return _("by the patient in the portal")
    return _("by %(name)s, trusted person of the patient, in the portal") % {"name": trusted.name}


def move_visit(
    account: PortalAccount, appointment: Appointment, *, slot, trusted=None
) -> Appointment:
    """Move the patient's own visit to a free slot, within the site's policy (by the patient
    or by a trusted person allowed to)."""
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
        reason=_("moved %(by)s") % {"by": _by_whom(trusted)},
    )


def cancel_visit(
    account: PortalAccount, appointment: Appointment, *, reason: str, trusted=None
) -> Appointment:
    """Cancel the patient's own visit, within the site's policy."""
    refusal_reason = change_refusal(appointment)
    if refusal_reason:
        refusal = PortalRefused(refusal_reason, code="portal.visit.cancel_refused")
        _deny(account, refusal.code, refusal_reason, obj=appointment)
        raise refusal
    note = _("cancelled %(by)s") % {"by": _by_whom(trusted)}
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


# --- session summaries ----------------------------------------------------------------------


class SummaryRefused(PortalRefused):
    code = "portal.summary.refused"


def _locked_summary(note) -> SessionSummary | None:
    # Lock order: the summary row only (the note is signed, so nothing changes it any more).
    return (
        SessionSummary.objects.select_for_update(of=("self",), no_key=True)
        .filter(note=note)
        .first()
    )


@transaction.atomic
def write_summary(note, *, text: str, actor) -> SessionSummary:
    """A physician writes (or rewrites) the plain-language summary of a signed session note.

    Nothing is taken from the note: what the patient may read is only what is typed here.
    A released summary is withdrawn before it is changed, so the patient never reads a text
    that changed under them without a new release.
    """
    text = (text or "").strip()
    if not note.is_signed:
        raise SummaryRefused(_("Only a signed note can be summarised for the patient."))
    if not text:
        raise SummaryRefused(_("Write the summary first."))
    if len(text) > SessionSummary._meta.get_field("text").max_length:
        raise SummaryRefused(_("The summary is too long: keep it short and plain."))
    summary = _locked_summary(note)
    if summary is not None and summary.is_released and summary.text != text:
        raise SummaryRefused(_("Withdraw the released summary before changing it."))
    now = timezone.now()
    if summary is None:
        summary = SessionSummary.objects.create(
            patient=note.patient, note=note, text=text, written_by=actor, updated_at=now
        )
    elif summary.text != text:
        summary.text, summary.written_by, summary.updated_at = text, actor, now
        summary.save(update_fields=["text", "written_by", "updated_at"])
    audit(actor, "portal.summary.written", note.patient, obj=summary)
    return summary


@transaction.atomic
def release_summary(note, *, actor) -> SessionSummary:
    """Let the patient read the note's summary in the portal (audited; no re-authentication:
    it holds only what the physician wrote for the patient)."""
    summary = _locked_summary(note)
    if summary is None or not summary.text.strip():
        raise SummaryRefused(_("Write the summary first."))
    if not note.is_signed:
        raise SummaryRefused(_("Only a signed note can be summarised for the patient."))
    if summary.is_released:
        raise SummaryRefused(_("The summary is already released."))
    summary.released_at, summary.released_by, summary.withdrawn_at = timezone.now(), actor, None
    summary.save(update_fields=["released_at", "released_by", "withdrawn_at"])
    audit(actor, "portal.summary.released", note.patient, obj=summary)
    return summary


@transaction.atomic
def withdraw_summary(note, *, actor) -> SessionSummary:
    """Take a released summary out of the portal again (kept, and can be released anew)."""
    summary = _locked_summary(note)
    if summary is None or not summary.is_released:
        raise SummaryRefused(_("The summary is not released."))
    summary.released_at, summary.released_by, summary.withdrawn_at = None, None, timezone.now()
    summary.save(update_fields=["released_at", "released_by", "withdrawn_at"])
    audit(actor, "portal.summary.withdrawn", note.patient, obj=summary)
    return summary


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
