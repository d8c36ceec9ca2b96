"""The staff start page: where the user works today and a tile for each page of the menu."""

from django.shortcuts import render

from clinic.core.policy import staff
from clinic.locations.models import Closure
from clinic.locations.selectors import current_site


@staff()
def today(request):
    site = current_site(request)
    closures = Closure.objects.current_and_upcoming().filter(site=site)[:5] if site else []
    return render(request, "dashboard/today.html", {"closures": closures})
