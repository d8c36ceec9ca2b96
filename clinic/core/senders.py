"""Senders for text channels (SMS, Telegram, Viber): one interface, two backends.

`LoggingSender` is the default: in development it writes the message to the log; anywhere
else it refuses, so a message with no real gateway behind it is never recorded as sent.
`HttpSender` posts JSON to the gateway configured for the channel and reports success only
when the gateway answers that it accepted the message. Both are used by the outbox worker
(`clinic.core.outbox`), which records the outcome.
"""

import logging
from typing import Protocol

from django.conf import settings

from clinic.core import gateways

log = logging.getLogger(__name__)

# channel -> (settings name of the endpoint, of the token, label used in messages)
GATEWAYS = {
    "sms": ("SMS_GATEWAY_URL", "SMS_GATEWAY_TOKEN", "SMS"),
    "telegram": ("TELEGRAM_GATEWAY_URL", "TELEGRAM_GATEWAY_TOKEN", "Telegram"),
    "viber": ("VIBER_GATEWAY_URL", "VIBER_GATEWAY_TOKEN", "Viber"),
}


class Sender(Protocol):
    def send(self, message) -> str:
        """Deliver the message; return the provider's reference or raise DeliveryError."""


class LoggingSender:
    def __init__(self, label: str, setting: str):
        self.label, self.setting = label, setting

    def send(self, message) -> str:
        from clinic.core.outbox import DeliveryError

        if not settings.DEBUG:
            raise DeliveryError(f"no {self.label} gateway is configured ({self.setting})")
        log.info(
            "%s (development, not sent) to %s: %s", self.label, message.recipient, message.body
        )
        return "development-log"


class HttpSender:
    """POST {"id", "channel", "to", "text"} with a bearer token and an Idempotency-Key.

    The key is the message's stable id, so a retry after a lost answer does not make the
    gateway send twice. Only https:// is accepted, except http://127.0.0.1 when the tests
    allow it (MESSAGE_GATEWAY_ALLOW_LOOPBACK_HTTP).
    """

    def __init__(self, url: str, token: str, label: str, timeout: float):
        self.url, self.token, self.label, self.timeout = url, token, label, timeout

    def send(self, message) -> str:
        from clinic.core.outbox import DeliveryError

        if not gateways.allowed_url(self.url):
            raise DeliveryError(f"the {self.label} gateway must be an https:// address")
        payload = {
            "id": str(message.message_id),
            "channel": message.channel,
            "to": message.recipient,
            "text": message.body,
        }
        try:
            body = gateways.post_json(
                self.url, payload, token=self.token, key=str(message.message_id),
                timeout=self.timeout,
            )  # fmt: skip
        except gateways.GatewayError as exc:
            raise DeliveryError(f"{self.label} gateway: {exc}") from exc
        if not isinstance(body, dict) or body.get("accepted") is not True:
            reason = body.get("error", "no reason") if isinstance(body, dict) else "bad answer"
            raise DeliveryError(f"{self.label} gateway refused the message: {reason}")
        return str(body.get("ref", ""))


def sender_for(channel: str) -> Sender:
    url_setting, token_setting, label = GATEWAYS[channel]
    url = getattr(settings, url_setting, "")
    if not url:
        return LoggingSender(label, url_setting)
    return HttpSender(
        url, getattr(settings, token_setting, ""), label, settings.MESSAGE_GATEWAY_TIMEOUT_SECONDS
    )
