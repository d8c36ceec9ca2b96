"""django-allauth and django-axes hooks."""

import base64
import hashlib
import os
import time
from urllib.parse import quote

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.mfa.adapter import DefaultMFAAdapter
from axes.handlers.proxy import AxesProxyHandler
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from clinic.core.audit import Anonymous, audit
from clinic.core.middleware import SESSION_STARTED_KEY
from clinic.core.models import AuditEvent, OutboxMessage
from clinic.core.network import client_ip
from clinic.core.outbox import enqueue_message
from clinic.core.public_url import public_url

# Who tries to sign in and fails: not yet anybody the system knows.
SIGN_IN_FORM = Anonymous("sign-in-form")


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        # Staff accounts are created by administrators (accounts.services.create_staff_user).
        return False

    def get_client_ip(self, request):
        # allauth's rate limits count per address: the same address the audit trail records.
        address = client_ip(request)
        if address is None:
            raise PermissionDenied("Unable to determine client IP address")
        return address

    def pre_authenticate(self, request, **credentials):
        # An address already locked out for this account (django-axes) is refused before
        # allauth counts the attempt against the account itself: otherwise a single address
        # could use up the account's own limit and lock its owner out everywhere. The lockout
        # page is the one axes shows (its middleware answers for a locked-out request).
        if settings.AXES_ENABLED and not AxesProxyHandler.is_allowed(request, credentials):
            request.axes_locked_out = True
            raise self.validation_error("too_many_login_attempts")
        super().pre_authenticate(request, **credentials)

    def login(self, request, user):
        # allauth calls this once every stage (password, one-time code) has passed.
        super().login(request, user)
        request.session[SESSION_STARTED_KEY] = int(time.time())
        audit(user, "auth.signed_in")

    # Links in account e-mails are built from the public base URL, not from the host of the
    # request that asked for them (which may be an internal address behind the proxy).
    def get_reset_password_from_key_url(self, key: str) -> str:
        path = reverse("account_reset_password_from_key", kwargs={"uidb36": "UID", "key": "KEY"})
        return public_url(path.replace("UID-KEY", quote(key)))

    def get_email_confirmation_url(self, request, emailconfirmation) -> str:
        return public_url(reverse("account_confirm_email", args=[emailconfirmation.key]))

    def send_mail(self, template_prefix, email, context):
        """Account e-mails (password reset) go through the outbox like every other message,
        so a mail server that is down delays them instead of failing the request."""
        request = allauth_context.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request)}
        ctx.update(context)
        if "signup_url" in ctx:
            ctx["signup_url"] = public_url(reverse("account_signup"))
        message = self.render_mail(template_prefix, email, ctx)
        enqueue_message(
            channel=OutboxMessage.Channel.EMAIL,
            recipient=email,
            subject=message.subject,
            body=message.body,
            # Account e-mails carry reset links and verification codes.
            carries_secret=True,
        )

    def logout(self, request):
        user = request.user if request.user.is_authenticated else None
        super().logout(request)
        if user is not None:
            audit(user, "auth.signed_out")

    def authentication_failed(self, request, **credentials):
        # The lockout counts live in django-axes; the audit trail keeps who was tried, from where.
        email = str(credentials.get("email") or credentials.get("username") or "")[:200]
        audit(SIGN_IN_FORM, "auth.sign_in_failed", outcome=AuditEvent.Outcome.FAILED, reason=email)


def _mfa_key() -> bytes:
    secret = settings.MFA_ENCRYPTION_KEY or settings.SECRET_KEY
    return hashlib.sha256(b"clinic-mfa-v1:" + secret.encode()).digest()


class MFAAdapter(DefaultMFAAdapter):
    """Encrypts TOTP secrets at rest and forbids staff from switching their second factor off."""

    def encrypt(self, text: str) -> str:
        nonce = os.urandom(12)
        sealed = AESGCM(_mfa_key()).encrypt(nonce, text.encode(), None)
        return "v1:" + base64.b64encode(nonce + sealed).decode()

    def decrypt(self, encrypted_text: str) -> str:
        if not encrypted_text.startswith("v1:"):
            return encrypted_text
        raw = base64.b64decode(encrypted_text[3:])
        return AESGCM(_mfa_key()).decrypt(raw[:12], raw[12:], None).decode()

    def can_delete_authenticator(self, authenticator) -> bool:
        return False

    def get_totp_issuer(self) -> str:
        return settings.MFA_TOTP_ISSUER


def axes_username(request, credentials=None) -> str:
    """The e-mail being tried: allauth posts it as `login`, authenticate() passes `email`."""
    credentials = credentials or {}
    value = credentials.get("email") or credentials.get("login") or credentials.get("username")
    if not value and request is not None and request.method == "POST":
        value = request.POST.get("login", "")
    return (value or "").strip().lower()
