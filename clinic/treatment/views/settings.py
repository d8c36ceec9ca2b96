"""Each site's treatment settings (thresholds and defaults), with their provenance.

Administrators propose changes; a physician of the site co-signs or rejects them, and only a
co-signed change takes effect (core/cosign.py). Process settings (clinic policy on keeping the
record, `services.settings.PROCESS_SETTINGS`) take effect when saved."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinic.accounts.roles import Role
from clinic.core.models import ProposedChange
from clinic.core.policy import recently_authenticated, staff
from clinic.core.refusals import refused
from clinic.locations.models import Site
from clinic.treatment import forms, selectors, services
from clinic.treatment.models import TreatmentSettings
from clinic.treatment.rules import PROVENANCE
from clinic.treatment.services.settings import KIND, subject_of


def _site_for(user, site_code) -> Site:
    site = Site.objects.filter(code=site_code, pk__in=user.site_ids).first()
    if site is None:
        raise Http404
    return site


@staff(Role.ADMINISTRATOR, Role.PHYSICIAN)
def settings_list(request):
    sites = Site.objects.filter(pk__in=request.user.site_ids)
    return render(request, "treatment/settings_list.html", {"sites": sites})


@staff(Role.ADMINISTRATOR, Role.PHYSICIAN)
def settings_edit(request, site_code):
    site = _site_for(request.user, site_code)
    may_propose = request.user.has_role(Role.ADMINISTRATOR)
    if request.method == "POST" and not may_propose:
        raise PermissionDenied
    current = selectors.rules_for(site)
    form = forms.TreatmentSettingsForm(request.POST or None, instance=current)
    if not may_propose:
        for field in form.fields.values():
            field.disabled = True  # a physician reads the values in force
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in forms.SETTINGS_FIELDS}
        try:
            saved = services.save_treatment_settings(site, values=values, actor=request.user)
        except services.TreatmentRefused as refusal:
            refused(request, refusal, site=site, form=form)
        else:
            if saved.applied:
                messages.success(
                    request,
                    _("Saved and in force: %(settings)s.")
                    % {"settings": ", ".join(_label(name) for name in saved.applied)},
                )
            if saved.proposal is not None:
                messages.success(
                    request,
                    _(
                        "The change of %(site)s is stored and takes effect when a physician of "
                        "the site co-signs it."
                    )
                    % {"site": site.name},
                )
            return redirect("treatment:settings_edit", site.code)
    pending = services.pending_settings_change(site)
    return render(
        request,
        "treatment/settings_form.html",
        {
            "form": form,
            "site": site,
            "provenance": PROVENANCE,
            "may_propose": may_propose,
            "pending": pending,
            "pending_rows": _rows(pending),
            "may_decide": pending is not None
            and request.user.has_role(Role.PHYSICIAN)
            and pending.proposed_by_id != request.user.pk,
        },
    )


def _label(name) -> str:
    return str(TreatmentSettings._meta.get_field(name).verbose_name)


def _rows(change):
    if change is None:
        return []
    return [
        (TreatmentSettings._meta.get_field(name).verbose_name, old, new)
        for name, old, new in change.changes
    ]


def _pending_for(user, site_code, change_id) -> ProposedChange:
    site = _site_for(user, site_code)
    return get_object_or_404(
        ProposedChange.objects.select_related("site", "proposed_by"),
        public_id=change_id,
        kind=KIND,
        subject=subject_of(site),
    )


@staff(Role.PHYSICIAN)
@require_POST
def settings_co_sign(request, site_code, change_id):
    # Access first, so a site the physician does not work at still answers 404.
    change = _pending_for(request.user, site_code, change_id)
    return _co_sign(request, change, site_code)


# Co-signing puts a clinical threshold in force: like signing a dose, it asks the physician to
# prove who they are again when the last sign-in is not recent; the POST resumes afterwards.
@recently_authenticated
def _co_sign(request, change, site_code):
    try:
        services.co_sign_treatment_settings(change, actor=request.user)
    except services.TreatmentRefused as refusal:
        refused(request, refusal, obj=change, site=change.site)
    else:
        messages.success(request, _("Co-signed: the new values are in force."))
    return redirect("treatment:settings_edit", site_code)


@staff(Role.PHYSICIAN)
@require_POST
def settings_reject(request, site_code, change_id):
    change = _pending_for(request.user, site_code, change_id)
    try:
        services.reject_treatment_settings(
            change, note=request.POST.get("note", "")[:500], actor=request.user
        )
    except services.TreatmentRefused as refusal:
        refused(request, refusal, obj=change, site=change.site)
    else:
        messages.success(request, _("The change is rejected; the values in force stay."))
    return redirect("treatment:settings_edit", site_code)
