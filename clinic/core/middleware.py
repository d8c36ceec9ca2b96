import time
import uuid

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login

from clinic.core import context
from clinic.core.network import client_ip


class HealthProbeMiddleware:
    """Answers /healthz and /readyz first, before any other middleware runs.

    Probes come from the host itself (nginx, systemd, monitoring) over plain http with a
    Host header of 127.0.0.1 or localhost. Further down, ALLOWED_HOSTS would answer 400, the
    HTTPS redirect 301, and a session cookie would load the session from the database, so
    `/healthz` would fail during a database outage although the process is fine. The views
    stay in the URL map (and their policy) all the same.
    """

    def __init__(self, get_response):
        from clinic.core import views

        self.get_response = get_response
        self.probes = {"/healthz": views.healthz, "/readyz": views.readyz}

    def __call__(self, request):
        probe = self.probes.get(request.path_info)
        if probe is not None:
            return probe(request)
        return self.get_response(request)


class RequestContextMiddleware:
    """Binds the request's network facts for audit rows and tags the response with an id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = uuid.uuid4().hex
        token = context.bind(
            context.RequestContext(
                ip=client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
                request_id=request_id,
            )
        )
        try:
            response = self.get_response(request)
        finally:
            context.unbind(token)
        response["X-Request-ID"] = request_id
        return response


class UkrainianFirstMiddleware:
    """Ukrainian unless the user chose otherwise in the language switcher (a cookie).

    The browser's Accept-Language is ignored: staff computers are often set to English or
    Russian, and the centre works in Ukrainian. The one exception is the bare domain, `/`: a
    visitor typing it is sent to the public home in the language their browser asks for.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info != "/":
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


SESSION_STARTED_KEY = "clinic_session_started"


class AbsoluteSessionLimitMiddleware:
    """Ends a signed-in session 12 hours after it began, however active it has been.

    The idle limit is the session cookie age, renewed by `SessionRenewalMiddleware`.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            started = request.session.setdefault(SESSION_STARTED_KEY, int(time.time()))
            if time.time() - started > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
                return redirect_to_login(request.get_full_path())
        return self.get_response(request)


SESSION_RENEWED_KEY = "clinic_session_renewed"


class SessionRenewalMiddleware:
    """Renews a signed-in session's idle expiry at most once a minute, not on every request.

    Saving the session on every request rewrote its row for each page and each htmx part.
    A session is saved (and its expiry moved SESSION_COOKIE_AGE ahead) when something in it
    changed or when more than SESSION_RENEW_SECONDS passed since the last renewal, so a user
    idle for the cookie age is signed out, give or take that minute, and an active one never is.
    Views that detach the session (`without_session_renewal`) do not count as activity.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if session is None or user is None or not user.is_authenticated:
            return response
        if not session.session_key:
            return response
        now = int(time.time())
        if now - session.get(SESSION_RENEWED_KEY, 0) >= settings.SESSION_RENEW_SECONDS:
            session[SESSION_RENEWED_KEY] = now  # marks the session modified: it is saved
        return response
