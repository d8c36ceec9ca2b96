"""Who may use each URL, declared next to the view and enforced by the same declaration.

Every view is wrapped by one of `public`, `signed_in`, `staff(...)` or the patient portal's
`patient_portal` (policy kind PORTAL). The wrapper records the
policy on the view as `access_policy`; the URL x role test (core/tests/test_url_policy.py)
walks every URL pattern, fails on a view without a declaration, and checks each role's
response against it. Views of third-party apps get their declaration through `declare()`.

Object rules (which patient, which site) are not decided here but in each app's `access.py`;
`object_rule` names that function so the declaration reads completely in one place.
"""

import time
from dataclasses import dataclass, field
from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import URLPattern, URLResolver, reverse

PUBLIC = "public"
SIGNED_IN = "signed_in"
SIGN_IN_STEP = "sign_in_step"
STAFF = "staff"
# Pages of the patient portal: a portal session (clinic.portal.access.patient_portal), never a
# staff sign-in.
PORTAL = "portal"

# The one role core's own pages (audit trail, outbox) need. Roles are defined in
# accounts.roles, which core may not import; a test keeps this name equal to that role's.
ADMINISTRATOR = "administrator"


@dataclass(frozen=True)
class Policy:
    kind: str
    roles: frozenset[str] = field(default_factory=frozenset)
    object_rule: str = ""

    def allows_role(self, role_names) -> bool:
        """For staff pages: an empty role set means any member of staff."""
        return bool(role_names) and (not self.roles or bool(self.roles & set(role_names)))


def has_second_factor(user) -> bool:
    # Imported here: allauth's models need the app registry, this module is imported by urls.
    from allauth.mfa.models import Authenticator

    cached = getattr(user, "_clinic_has_totp", None)
    if cached is None:
        cached = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        user._clinic_has_totp = cached
    return cached


def _attach(view, policy: Policy):
    view.access_policy = policy
    return view


def with_policy(view, policy: Policy):
    """Record a policy enforced by a decorator of an app above core (the patient portal's)."""
    return _attach(view, policy)


def public(view):
    """Anyone, signed in or not."""
    return _attach(view, Policy(PUBLIC))


def sign_in_step(view):
    """A step inside signing in (the one-time code prompt): open to anyone, and the library
    sends a visitor with no sign-in under way back to the login page."""
    return _attach(view, Policy(SIGN_IN_STEP))


def signed_in(view):
    """Any signed-in account; second factor not yet required (used to set it up)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return _attach(wrapper, Policy(SIGNED_IN))


def staff(*roles: str, object_rule: str = ""):
    """Members of staff holding one of `roles` (any role if none given), signed in with TOTP.

    Staff without an authenticator are sent to set one up before any page that could show
    patient data; users without the role get 403 (audited by the 403 handler).
    """
    policy = Policy(STAFF, frozenset(str(r) for r in roles), object_rule)

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_second_factor(user):
                query = urlencode({"next": request.get_full_path()})
                return redirect(f"{reverse('mfa_activate_totp')}?{query}")
            if not policy.allows_role(user.role_names):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return _attach(wrapper, policy)

    return decorator


def recently_authenticated(view):
    """The person proved who they are in the last few minutes (ACCOUNT_REAUTHENTICATION_TIMEOUT):
    by signing in, or by re-entering their password or code when this asks for it.

    For pages that hand over secrets or bulk data (recovery codes, audit and patient exports),
    so an unattended signed-in screen is not enough. Signing in counts, which keeps the first
    set-up of the second factor (sign in, set up, see the recovery codes) to one sign-in.
    Apply it inside the access policy (`staff(...)`, `signed_in`), which decides who may ask.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not authenticated_recently(request):
            # allauth's middleware sends the person to re-authenticate and back here.
            from allauth.core.exceptions import ReauthenticationRequired

            raise ReauthenticationRequired()
        return view(request, *args, **kwargs)

    return wrapper


def authenticated_recently(request) -> bool:
    from allauth.account import app_settings
    from allauth.account.internal.flows.login import get_authentication_records

    records = get_authentication_records(request, request.user)
    last = max((record.get("at", 0) for record in records), default=0)
    return time.time() - last < app_settings.REAUTHENTICATION_TIMEOUT


def declare(patterns, default, overrides=None):
    """Wrap the views of an included URL list (a third-party app) with declared policies.

    `default` and the values of `overrides` (keyed by URL name) are the decorators above.
    Returns new pattern objects; the originals stay untouched.
    """
    overrides = overrides or {}
    declared = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = declare(entry.url_patterns, default, overrides)
            declared.append(
                URLResolver(
                    entry.pattern, inner, entry.default_kwargs, entry.app_name, entry.namespace
                )
            )
        elif isinstance(entry, URLPattern):
            decorator = overrides.get(entry.name, default)
            declared.append(
                URLPattern(entry.pattern, decorator(entry.callback), entry.default_args, entry.name)
            )
    return declared
