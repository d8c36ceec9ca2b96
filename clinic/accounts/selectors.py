from clinic.accounts.models import SYSTEM_EMAIL, User


def colleagues_of(admin):
    """Accounts at the administrator's sites, with roles and sites loaded for the list."""
    return (
        User.objects.exclude(email=SYSTEM_EMAIL)
        .filter(sites__in=admin.site_ids)
        .distinct()
        .prefetch_related("groups", "sites")
    )
