"""What the treatment services share: the refusal, the physician check, the session lock."""

from datetime import timedelta

from django.utils.translation import gettext as _

from clinic.accounts.roles import Role
from clinic.core.errors import Refused
from clinic.core.records import transition
from clinic.treatment.models import (
    InfusionSession,
)

Status = InfusionSession.Status
# A reading may be entered a little ahead of the server's clock (a tablet's clock drifts).
CLOCK_SKEW = timedelta(minutes=2)


class TreatmentRefused(Refused):
    """The step was not taken; the message says why. `action` is its audit code."""

    code = "treatment.refused"

    def __init__(self, message, *, action="treatment.refused"):
        super().__init__(message, code=action)

    @property
    def action(self) -> str:
        return self.code


def require_physician(actor, what):
    if not actor.has_role(Role.PHYSICIAN):
        raise TreatmentRefused(
            _("Only a physician can %(what)s.") % {"what": what}, action="treatment.refused"
        )


def locked_session(session: InfusionSession) -> InfusionSession:
    return (
        # Lock order: docs/architecture.md, "Locks and their order".
        InfusionSession.objects.select_for_update(of=("self",), no_key=True)
        .select_related("site", "patient", "course")
        .get(pk=session.pk)
    )


def move(session: InfusionSession, status, *, actor, reason="", at=None):
    # Each step audits itself with what it recorded, so the status change is not audited again.
    transition(session, status, actor=actor, reason=reason, at=at)
