from clinic.core import navigation


def shell(request):
    """What the staff layout needs on every page: the menu for the user's roles and sites.

    Computed once per request: pages made of several rendered parts (the patient chart's
    sections) would otherwise count the menu's counters again for every part.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    cached = getattr(request, "_clinic_shell", None)
    if cached is None:
        from clinic.locations.selectors import current_site, sites_of

        cached = request._clinic_shell = {
            "nav_items": navigation.navigation_for(user),
            "user_sites": sites_of(user),
            "current_site": current_site(request),
        }
    return cached
