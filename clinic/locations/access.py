from django.http import Http404

from clinic.locations.models import Closure, Room, Site


def get_closure_for(user, public_id) -> Closure:
    """A closure an administrator may change: any site they belong to."""
    closure = Closure.objects.select_related("site").filter(public_id=public_id).first()
    if closure is None:
        raise Http404
    if closure.site_id not in user.site_ids:
        raise Http404
    return closure


def get_site_for(user, site_id) -> Site:
    site = Site.objects.filter(pk=site_id, is_active=True).first()
    if site is None or site.pk not in user.site_ids:
        raise Http404
    return site


def get_managed_site_for(user, code) -> Site:
    """A site an administrator may edit: one they work at."""
    site = Site.objects.filter(code=code).first()
    if site is None or site.pk not in user.site_ids:
        raise Http404
    return site


def get_room_for(user, public_id) -> Room:
    room = Room.objects.select_related("site").filter(public_id=public_id).first()
    if room is None or room.site_id not in user.site_ids:
        raise Http404
    return room
