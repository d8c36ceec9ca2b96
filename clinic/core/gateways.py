"""JSON over HTTPS to the outside services (message gateways, the PRRO, the payment provider).

One place decides which addresses may be called (https://, or http://127.0.0.1 when the tests
allow it: MESSAGE_GATEWAY_ALLOW_LOOPBACK_HTTP) and how a call is made: a POST with a bearer
token and an Idempotency-Key, so a retry after a lost answer is harmless to the service.
"""

import json
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings


class GatewayError(Exception):
    """The call did not succeed: a refused address, a transport error, a timeout, bad JSON."""


def allowed_url(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    return (
        parts.scheme == "http"
        and parts.hostname == "127.0.0.1"
        and settings.MESSAGE_GATEWAY_ALLOW_LOOPBACK_HTTP
    )


def post_json(url: str, payload: dict, *, token: str, key: str, timeout: float):
    """POST `payload`; the decoded answer (whatever JSON it is), or GatewayError."""
    if not allowed_url(url):
        raise GatewayError("not an https:// address")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url,
        data=json.dumps(payload).encode(),
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": key,
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return json.loads(response.read() or b"{}")
    except (OSError, ValueError) as exc:
        # HTTP errors (5xx, 429), refused connections and timeouts all land here.
        raise GatewayError(str(exc)) from exc
