"""Where a request came from: the one place that decides the client's address.

The audit trail, django-axes, allauth's rate limits and the contact form's per-sender limit
all ask `client_ip(request)`. Behind the reverse proxy of docs/deploy.md every connection
comes from the proxy, so REMOTE_ADDR alone would give every visitor one address (one audit
address for all, one sign-in limit shared by a whole site). The proxy appends the address it
saw to X-Forwarded-For; only the entries added by proxies we trust are believed, read from the
right, because anything further left was written by the client and may be invented.
"""

import ipaddress

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _trusted_networks():
    try:
        return [ipaddress.ip_network(entry, strict=False) for entry in settings.TRUSTED_PROXIES]
    except ValueError as error:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {error}") from error


def _address(text: str):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, unless that is a trusted proxy; then the nearest
    address in X-Forwarded-For that is not one."""
    address = _address(request.META.get("REMOTE_ADDR", ""))
    if address is None:
        return None
    trusted = _trusted_networks()
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    for hop in reversed(forwarded):
        if not any(address in network for network in trusted):
            break
        earlier = _address(hop)
        if earlier is None:
            break  # a garbled entry: nothing to its left can be trusted either
        address = earlier
    return str(address)
