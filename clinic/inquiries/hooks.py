"""What other apps offer when an inquiry becomes a patient.

The portal sits above inquiries (it may not be imported from here), so it hands its invitation
down in `PortalConfig.ready()`:

    hooks.provide_inviter(invite_patient)

The inviter takes `(patient, *, actor)` and sends the same portal invitation reception sends
from the chart. Without one the registration form offers no invitation.
"""

from collections.abc import Callable

_inviter: Callable | None = None


def provide_inviter(inviter: Callable) -> None:
    global _inviter
    _inviter = inviter


def can_invite() -> bool:
    return _inviter is not None


def invite(patient, *, actor) -> None:
    if _inviter is not None:
        _inviter(patient, actor=actor)
