"""The second person's signature: a colleague authenticates in the same flow.

Picking a name from a list would only prove that two ids were typed (security.md §4.3); the
witness enters their own e-mail, password and current one-time code. Password checks go
through Django's `authenticate` with the request, so django-axes counts failures and locks the
witness's account as it would at the sign-in page; the code is checked by allauth's TOTP,
whose replay guard refuses a code already used.
"""

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth import authenticate
from django.utils.translation import gettext as _

from clinic.controlled_drugs.ledger import LedgerRefused
from clinic.controlled_drugs.services import check_witness
from clinic.core.audit import audit
from clinic.core.models import AuditEvent


class WitnessRefused(LedgerRefused):
    """The witness did not authenticate; nothing was written but the audit of the attempt."""

    code = "drugs.witness.refused"
    audited = True  # by `_refuse` below, with the e-mail that was tried


def authenticate_witness(request, *, email: str, password: str, code: str, actor, site):
    """The witness as a user, or WitnessRefused (audited). Called by views only."""
    user = authenticate(request, email=email, password=password) if email and password else None
    if user is None:
        _refuse(actor, site, email, "password not accepted")
        raise WitnessRefused(_("The witness's e-mail or password is not correct."))
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None or not TOTP(authenticator).validate_code(code):
        _refuse(actor, site, email, "one-time code not accepted")
        raise WitnessRefused(_("The witness's one-time code is not correct or was already used."))
    try:
        check_witness(user, actor=actor, site=site)
    except LedgerRefused as refusal:
        _refuse(actor, site, email, "not an eligible witness")
        raise WitnessRefused(str(refusal)) from refusal
    return user


def _refuse(actor, site, email, why):
    audit(
        actor,
        "drugs.witness.refused",
        site=site,
        outcome=AuditEvent.Outcome.FAILED,
        reason=f"{email[:200]}: {why}",
    )
