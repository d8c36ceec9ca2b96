from django.db.models import Prefetch

from clinic.locations.models import Closure, Site

SESSION_SITE_KEY = "clinic_site_id"


def sites_of(user) -> list[Site]:
    """The active sites a member of staff works at, in a stable order."""
    return [site for site in user.all_sites if site.is_active]


def current_site(request) -> Site | None:
    """The site the user is working at now (chosen in the site switcher), else their first."""
    sites = sites_of(request.user)
    chosen = request.session.get(SESSION_SITE_KEY)
    for site in sites:
        if site.pk == chosen:
            return site
    return sites[0] if sites else None


def sites_overview():
    """Every site with hours, rooms and upcoming closures, in a fixed number of queries."""
    return Site.objects.prefetch_related(
        "opening_hours",
        "rooms",
        Prefetch("closures", queryset=Closure.objects.current_and_upcoming()),
    )


def public_sites():
    """Active sites with their hours, for the public pages' footer and contacts."""
    return Site.objects.filter(is_active=True).prefetch_related("opening_hours")
