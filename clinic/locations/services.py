from django.db import transaction

from clinic.core.audit import audit
from clinic.locations.models import Closure, OpeningHours, Room, Site


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


@transaction.atomic
def update_site(site: Site, *, details: dict, hours: dict, actor) -> Site:
    """Change a site's names, address, phone and weekly hours.

    `hours` maps each ISO weekday to (opens, closes), or None for a closed day.
    """
    for field, value in details.items():
        setattr(site, field, value)
    site.save()
    for weekday, times in hours.items():
        if times is None:
            OpeningHours.objects.filter(site=site, weekday=weekday).delete()
        else:
            OpeningHours.objects.update_or_create(
                site=site, weekday=weekday, defaults={"opens": times[0], "closes": times[1]}
            )
    audit(actor, "site.changed", obj=site, site=site)
    return site


@transaction.atomic
def add_room(site: Site, *, name_uk: str, name_en: str, kind: str, actor) -> Room:
    """Add a consulting room, infusion chair or TES room to a site."""
    room = Room.objects.create(site=site, name=name_uk, name_uk=name_uk, name_en=name_en, kind=kind)
    audit(actor, "room.added", obj=room, site=site)
    return room


@transaction.atomic
def change_room(room: Room, *, name_uk: str, name_en: str, kind: str, is_active: bool, actor):
    """Rename a room, change its kind, or take it out of use (rooms are never deleted)."""
    room.name = room.name_uk = name_uk
    room.name_en = name_en
    room.kind = kind
    room.is_active = is_active
    room.save()
    audit(actor, "room.changed", obj=room, site=room.site)
    return room
