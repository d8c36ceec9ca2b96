"""Fiscal registration of payments and refunds: one interface, two providers.

In Ukraine every payment taken from a person is registered as a fiscal receipt by a cash
register or its software equivalent (PRRO). `HttpProvider` posts the receipt to the PRRO
service configured by `PRRO_URL` (with `PRRO_TOKEN`) and takes its fiscal number; the
receipt's key travels as the `Idempotency-Key`, so the service answers a repeated key with the
first registration. `LoggingProvider` is the default without a URL: in development it invents
a number marked as such; anywhere else it refuses, so a payment is never shown as registered
when nothing was. The outbox worker calls them (services.register_with_prro): a refusal is a
failed delivery, retried with the outbox's backoff.
"""

import logging
from typing import Protocol

from django.conf import settings

from clinic.core import gateways
from clinic.core.outbox import DeliveryError

log = logging.getLogger(__name__)


class RegistrationError(DeliveryError):
    """The PRRO did not confirm the registration; the outbox tries it again."""


class Provider(Protocol):
    def register(self, receipt) -> str:
        """Register the receipt; return its fiscal number or raise RegistrationError."""


class LoggingProvider:
    def register(self, receipt) -> str:
        if not settings.DEBUG:
            raise RegistrationError("no PRRO is configured (PRRO_URL)")
        log.info("fiscal receipt (development, not registered): %s", receipt.key)
        return f"DEV-{str(receipt.key)[:8]}"


class HttpProvider:
    """POST {"key", "kind", "method", "amount_kopecks", "site"}; expects {"fiscal_number"}."""

    def __init__(self, url: str, token: str, timeout: float):
        self.url, self.token, self.timeout = url, token, timeout

    def register(self, receipt) -> str:
        if not gateways.allowed_url(self.url):
            raise RegistrationError("the PRRO must be an https:// address")
        payment = receipt.payment
        payload = {
            "key": str(receipt.key),
            "kind": payment.kind,
            "method": payment.method,
            "amount_kopecks": payment.amount_kopecks,
            "site": payment.site.code,
        }
        try:
            body = gateways.post_json(
                self.url, payload, token=self.token, key=str(receipt.key), timeout=self.timeout
            )
        except gateways.GatewayError as exc:
            raise RegistrationError(f"PRRO: {exc}") from exc
        number = body.get("fiscal_number") if isinstance(body, dict) else None
        if not number:
            raise RegistrationError("PRRO answered without a fiscal number")
        return str(number)[:64]


def provider() -> Provider:
    url = getattr(settings, "PRRO_URL", "")
    if not url:
        return LoggingProvider()
    return HttpProvider(url, settings.PRRO_TOKEN, settings.PRRO_TIMEOUT_SECONDS)
