from django.db import transaction

from clinic.core.audit import audit
from clinic.locations.models import Closure, Site


@transaction.atomic
def add_closure(site: Site, *, starts_on, ends_on, reason: str, actor) -> Closure:
    """Close a site for a range of days."""
    closure = Closure.objects.create(
        site=site, starts_on=starts_on, ends_on=ends_on, reason=reason, created_by=actor
    )
    audit(actor, "closure.added", obj=closure, site=site, reason=reason)
    return closure


@transaction.atomic
def change_closure(closure: Closure, *, starts_on, ends_on, reason: str, actor) -> Closure:
    """Correct the dates or reason of a closure."""
    closure.starts_on, closure.ends_on, closure.reason = starts_on, ends_on, reason
    closure.save(update_fields=["starts_on", "ends_on", "reason"])
    audit(actor, "closure.changed", obj=closure, reason=reason)
    return closure


@transaction.atomic
def remove_closure(closure: Closure, *, actor) -> None:
    """Reopen the days of a closure (closures are schedule data, not clinical records)."""
    audit(actor, "closure.removed", obj=closure, reason=closure.reason)
    closure.delete()
