"""Each site's treatment settings (thresholds and defaults), with their provenance."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from clinic.accounts.roles import Role
from clinic.core.policy import staff
from clinic.locations.models import Site
from clinic.treatment import forms, selectors, services
from clinic.treatment.rules import PROVENANCE


@staff(Role.ADMINISTRATOR)
def settings_list(request):
    sites = Site.objects.filter(pk__in=request.user.site_ids)
    return render(request, "treatment/settings_list.html", {"sites": sites})


@staff(Role.ADMINISTRATOR)
def settings_edit(request, site_code):
    site = Site.objects.filter(code=site_code, pk__in=request.user.site_ids).first()
    if site is None:
        raise Http404
    current = selectors.rules_for(site)
    form = forms.TreatmentSettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in forms.SETTINGS_FIELDS}
        services.update_treatment_settings(site, values=values, actor=request.user)
        messages.success(request, _("The settings of %(site)s are saved.") % {"site": site.name})
        return redirect("treatment:settings")
    return render(
        request,
        "treatment/settings_form.html",
        {"form": form, "site": site, "provenance": PROVENANCE},
    )
