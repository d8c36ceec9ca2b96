"""The staff start page: where the user works today, what is waiting for them (the worklists
of their roles, core.worklists) and a tile for each page of the menu."""

from django.shortcuts import render

from clinic.core import worklists
from clinic.core.policy import staff
from clinic.locations.models import Closure
from clinic.locations.selectors import current_site


@staff()
def today(request):
    site = current_site(request)
    closures = Closure.objects.current_and_upcoming().filter(site=site)[:5] if site else []
    lists = worklists.for_user(request.user, site)
    return render(request, "dashboard/today.html", {"closures": closures, "worklists": lists})
