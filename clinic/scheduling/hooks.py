"""What other apps do when a visit ends: hooks called inside the status change's transaction.

Scheduling must not import the apps above it (billing charges a completed visit, a late
cancellation or a missed visit), so those apps hand their work down: each registers a
function in its `AppConfig.ready()`:

    hooks.register(hooks.COMPLETED, charge_completed_visit)

A hook runs inside the service's transaction and takes `(appointment, actor)`. If it raises,
the status change rolls back with it: a visit is never completed without its charge.
"""

from collections.abc import Callable

COMPLETED = "completed"
CANCELLED = "cancelled"
NO_SHOW = "no_show"

_hooks: dict[str, dict[str, Callable]] = {COMPLETED: {}, CANCELLED: {}, NO_SHOW: {}}


def register(event: str, hook: Callable) -> None:
    """Add a hook for `event`; registering the same function again replaces it."""
    _hooks[event][f"{hook.__module__}.{hook.__qualname__}"] = hook


def run(event: str, appointment, *, actor) -> None:
    for hook in _hooks[event].values():
        hook(appointment, actor=actor)


# Where a message about a visit sends the patient. The portal (above scheduling) registers
# `visit_path(appointment) -> str` in its `AppConfig.ready()`: the portal's page of the visit,
# or its sign-in page for a patient without an account. Without one, messages carry no link.
_visit_path: Callable | None = None


def register_visit_path(provider: Callable) -> None:
    global _visit_path
    _visit_path = provider


def visit_path(appointment) -> str | None:
    """The path (no host) of the patient's own page of `appointment`, in the active language."""
    return _visit_path(appointment) if _visit_path is not None else None
