from clinic.locations.selectors import current_site, sites_of


def sites(request):
    """The site switcher of the staff layout: the user's sites and the one chosen now.

    Computed once per request, like the menu (`core.context_processors.shell`).
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    cached = getattr(request, "_clinic_sites", None)
    if cached is None:
        cached = request._clinic_sites = {
            "user_sites": sites_of(user),
            "current_site": current_site(request),
        }
    return cached
