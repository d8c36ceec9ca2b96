"""What the treatment views share: the roles that use them and the small view helpers."""

import uuid
from functools import wraps

from django.contrib import messages
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.translation import gettext as _

from clinic.accounts.roles import Role
from clinic.scheduling.access import get_appointment_for
from clinic.treatment.models import InfusionSession

INFUSION_ROLES = (Role.NURSE, Role.PHYSICIAN)
COURSE_ROLES = (Role.PHYSICIAN, Role.NURSE, Role.PSYCHOTHERAPIST)
NOTE_ROLES = (Role.PHYSICIAN, Role.PSYCHOTHERAPIST)
Status = InfusionSession.Status


def form_errors(request, form):
    problems = [str(e) for errors in form.errors.values() for e in errors]
    messages.error(request, _("Check the entries: %(errors)s") % {"errors": " ".join(problems)})


def without_session_renewal(view):
    """For polling endpoints: the response does not count as activity.

    Activity renews a session (core.middleware.SessionRenewalMiddleware), which moves the
    idle timeout. A board that polls every 20 seconds would otherwise keep a session open forever
    on an unattended screen. Detaching the session before SessionMiddleware's response phase
    skips that save; an expired session still ends the poll (the user is signed out).
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if hasattr(request, "session"):
            del request.session
        # SessionMiddleware would have added Vary: Cookie; the answer is per user.
        patch_vary_headers(response, ("Cookie",))
        add_never_cache_headers(response)
        return response

    return wrapper


def visit_from_query(request):
    """The visit named by `?appointment=` (the visit page's link), or None without one."""
    try:
        public_id = uuid.UUID(request.GET.get("appointment", ""))
    except ValueError:
        return None  # no link, or a malformed one: the session stands alone
    return get_appointment_for(request.user, public_id)
