from django.http import Http404

from clinic.accounts.models import SYSTEM_EMAIL, User


def get_staff_user_for(admin, public_id) -> User:
    """A colleague an administrator may manage: one who shares a site, or has none yet."""
    user = User.objects.prefetch_related("groups", "sites").filter(public_id=public_id).first()
    if user is None or user.email == SYSTEM_EMAIL:
        raise Http404
    if user.site_ids and not (user.site_ids & admin.site_ids):
        raise Http404
    return user
