from clinic.core import navigation


def shell(request):
    """What the staff layout needs on every page: the menu for the user's roles and sites."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from clinic.locations.selectors import current_site, sites_of

    return {
        "nav_items": navigation.navigation_for(user),
        "user_sites": sites_of(user),
        "current_site": current_site(request),
    }
