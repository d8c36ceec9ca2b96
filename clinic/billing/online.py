"""Online payment links: one interface, one HTTP provider.

`HttpProvider` asks the payment service configured by `PAYMENT_LINK_URL` (with
`PAYMENT_LINK_TOKEN`) for a link the patient pays through; the request's public id travels as
the `Idempotency-Key`, so a repeated request gets the first link back. The service reports the
outcome to our callback (views.payment_link_callback) signed with `PAYMENT_LINK_SECRET`.

Without a URL there is no provider: creating a link is refused as "not configured", in
development too, so no one is ever shown a link (or a payment) that does not exist.
"""

import hashlib
import hmac
import logging
from typing import Protocol
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from clinic.core import gateways

log = logging.getLogger(__name__)

# The header carrying the hex HMAC-SHA256 of the callback's body.
SIGNATURE_HEADER = "X-Signature"


class LinkError(Exception):
    """The provider did not give a link; the message says why, for the person asking."""


class Provider(Protocol):
    def create_link(self, payment_request) -> tuple[str, str]:
        """Ask for a link; return (provider_id, url) or raise LinkError."""


class NotConfigured:
    def create_link(self, payment_request) -> tuple[str, str]:
        raise LinkError(_("Online payment is not configured (PAYMENT_LINK_URL)."))


class HttpProvider:
    """POST {"reference", "amount_kopecks", "currency", "description", "expires_at"};
    expects {"id", "url"}."""

    def __init__(self, url: str, token: str, timeout: float):
        self.url, self.token, self.timeout = url, token, timeout

    def create_link(self, payment_request) -> tuple[str, str]:
        if not gateways.allowed_url(self.url):
            raise LinkError(_("The payment service must be an https:// address."))
        payload = {
            "reference": str(payment_request.public_id),
            "amount_kopecks": payment_request.amount_kopecks,
            "currency": "UAH",
            # No name or record number leaves the clinic: the site and our id only.
            "description": payment_request.site.name,
            "expires_at": payment_request.expires_at.isoformat(),
        }
        try:
            body = gateways.post_json(
                self.url, payload, token=self.token, key=str(payment_request.public_id),
                timeout=self.timeout,
            )  # fmt: skip
        except gateways.GatewayError as exc:
            log.warning("payment link not created: %s", exc)
            raise LinkError(_("The payment service did not answer; try again later.")) from exc
        provider_id = body.get("id") if isinstance(body, dict) else None
        url = body.get("url") if isinstance(body, dict) else None
        if not provider_id or not isinstance(url, str) or not url.startswith("https://"):
            raise LinkError(_("The payment service answered without a link."))
        return str(provider_id)[:100], url[:500]


def provider() -> Provider:
    url = getattr(settings, "PAYMENT_LINK_URL", "")
    if not url:
        return NotConfigured()
    return HttpProvider(url, settings.PAYMENT_LINK_TOKEN, settings.PAYMENT_LINK_TIMEOUT_SECONDS)


def provider_name() -> str:
    """The payment service as people call it: PAYMENT_LINK_PROVIDER_NAME, else the host of
    its address, else a plain description."""
    name = getattr(settings, "PAYMENT_LINK_PROVIDER_NAME", "")
    host = urlsplit(getattr(settings, "PAYMENT_LINK_URL", "")).hostname
    return name or host or _("payment service")


def sign(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_is_valid(body: bytes, signature: str) -> bool:
    """The callback's body was signed with our secret (never valid without a secret)."""
    secret = getattr(settings, "PAYMENT_LINK_SECRET", "")
    if not secret or not signature:
        return False
    return hmac.compare_digest(sign(body, secret), signature.strip().lower())
