"""Absolute links for messages that leave the system (e-mail, SMS, calendar feeds).

A message is read far from the request that caused it (often by the worker, which has no
request at all), so its links are built from the one configured public base URL,
`settings.PUBLIC_BASE_URL`, never from a request's host.
"""

from django.conf import settings


def public_url(path: str) -> str:
    """`path` (as `reverse()` gives it) made absolute on the public base URL."""
    return settings.PUBLIC_BASE_URL.rstrip("/") + "/" + path.lstrip("/")
