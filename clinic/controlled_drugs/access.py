"""How a view obtains register objects: only at the user's sites.

An object of another site answers 404, as if absent, and the attempt is audited. The roles are
checked by each view's policy.
"""

from django.http import Http404

from clinic.controlled_drugs.models import Drug, Holding, LedgerEntry, Safe, StockCount, Supplier
from clinic.core.audit import audit
from clinic.core.models import AuditEvent


def _at_users_site(user, obj, site):
    if obj is None:
        raise Http404
    if site.pk not in user.site_ids:
        audit(
            user,
            "drugs.access.denied",
            obj=obj,
            site=site,
            outcome=AuditEvent.Outcome.DENIED,
            reason="register object of another site",
        )
        raise Http404
    return obj


def get_holding_for(user, public_id) -> Holding:
    holding = (
        Holding.objects.select_related("lot__drug", "safe__site")
        .filter(public_id=public_id)
        .first()
    )
    return _at_users_site(user, holding, holding.safe.site if holding else None)


def get_entry_for(user, public_id) -> LedgerEntry:
    entry = (
        LedgerEntry.objects.for_pages()
        .select_related("holding", "supplier", "prescribed_by", "administration", "reverses")
        .filter(public_id=public_id)
        .first()
    )
    return _at_users_site(user, entry, entry.site if entry else None)


def get_safe_for(user, public_id) -> Safe:
    safe = Safe.objects.select_related("site").filter(public_id=public_id).first()
    return _at_users_site(user, safe, safe.site if safe else None)


def get_count_for(user, public_id) -> StockCount:
    count = (
        StockCount.objects.select_related("safe", "site", "actor", "witness")
        .filter(public_id=public_id)
        .first()
    )
    return _at_users_site(user, count, count.site if count else None)


def get_drug_for(user, public_id) -> Drug:
    """The catalogue is the centre's, not a site's: any drug officer reaches any drug."""
    drug = Drug.objects.filter(public_id=public_id).first()
    if drug is None:
        raise Http404
    return drug


def get_supplier_for(user, supplier_id) -> Supplier:
    supplier = Supplier.objects.filter(pk=supplier_id).first()
    if supplier is None:
        raise Http404
    return supplier
