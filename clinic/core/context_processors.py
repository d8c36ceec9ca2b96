from clinic.core import navigation


def shell(request):
    """The staff menu for the user's roles, on every page of the staff layout.

    Computed once per request: pages made of several rendered parts (the patient chart's
    sections) would otherwise count the menu's counters again for every part. The site
    switcher's data come from `locations.context_processors.sites`.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    cached = getattr(request, "_clinic_shell", None)
    if cached is None:
        cached = request._clinic_shell = {"nav_items": navigation.navigation_for(user)}
    return cached
