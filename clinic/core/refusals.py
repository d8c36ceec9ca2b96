"""Showing a refused action to the person and keeping it in the audit trail."""

import logging

from django.contrib import messages
from django.db import DatabaseError, transaction

from clinic.core.audit import VISITOR, audit
from clinic.core.errors import Refused
from clinic.core.models import AuditEvent

log = logging.getLogger(__name__)


def audit_refusal(request, refusal: Refused, *, patient=None, obj=None, site=None) -> None:
    """One audit row for the refusal, in a transaction of its own: the service's transaction
    has rolled back, taking everything it wrote with it."""
    if refusal.audited:
        return
    actor = request.user if request.user.is_authenticated else VISITOR
    try:
        with transaction.atomic():
            audit(
                actor,
                refusal.code,
                patient,
                obj=obj,
                site=site,
                outcome=AuditEvent.Outcome.DENIED,
                reason=refusal.message,
            )
    except DatabaseError:
        # The refusal stands even when it cannot be recorded (a busy or unreachable database
        # is often why the action was refused in the first place).
        log.warning("refusal %s not audited", refusal.code, exc_info=True)


def refused(request, refusal: Refused, *, patient=None, obj=None, site=None, form=None) -> None:
    """Tell the person why (on the form when one is given, otherwise as a message) and audit
    the refusal. Called by views in the `except` of a service call."""
    if form is not None:
        form.add_error(None, refusal.message)
    else:
        messages.error(request, refusal.message)
    audit_refusal(request, refusal, patient=patient, obj=obj, site=site)
