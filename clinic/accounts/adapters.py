"""django-allauth and django-axes hooks."""

import base64
import hashlib
import os

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        # Staff accounts are created by administrators (accounts.services.create_staff_user).
        return False


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
