"""The one root of refused business actions, and write contention turned into a refusal.

A service that will not do what was asked raises a subclass of `Refused`: nothing was
written, the message says why (translated, for the person at the screen) and `code` names
the refusal in the audit trail. Each app's root (`BookingRefused`, `LedgerRefused`, ...) sets
its own `code`; a raise may name a narrower one (`infusion.dose.refused`). Views show the
refusal and audit it with `clinic.core.refusals.refused`.
"""

from functools import wraps

from django.db import OperationalError
from django.utils.translation import gettext as _


class Refused(Exception):
    """A business action was not taken; nothing was written."""

    code = "refused"
    # True when the raise site has already written the audit row (with facts only it has).
    audited = False

    def __init__(self, message="", *, code: str | None = None):
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self)


# PostgreSQL gave up on a transaction because of another one: serialization_failure,
# deadlock_detected, lock_not_available. Trying again may well succeed.
_CONTENTION_SQLSTATES = {"40001", "40P01", "55P03"}


def is_contention(error: OperationalError) -> bool:
    """The write lost a race with another writer; the database itself is fine."""
    if getattr(error.__cause__, "sqlstate", None) in _CONTENTION_SQLSTATES:
        return True
    # SQLite: the write lock was not free within the busy timeout (settings: 10 s).
    return "database is locked" in str(error)


def refuse_on_contention(refusal: type[Refused], message=None):
    """Decorate a service (outside its `transaction.atomic`) so that losing a race with
    another writer is a refusal with a "try again" message, like any other refusal.

    Other operational errors (the database is down) propagate: the error handler answers
    those with 503 and Retry-After (core/views.server_error).
    """

    def decorate(service):
        @wraps(service)
        def wrapper(*args, **kwargs):
            try:
                return service(*args, **kwargs)
            except OperationalError as error:
                if not is_contention(error):
                    raise
                text = message or _(
                    "Another change was being saved at the same moment. Nothing was saved; "
                    "please try again."
                )
                raise refusal(str(text)) from error

        return wrapper

    return decorate
