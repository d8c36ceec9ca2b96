"""Staff actions of the portal: invite a registered patient, release scores to the patient,
and set each site's self-service policy."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinic.accounts.roles import Role
from clinic.core.policy import staff
from clinic.core.refusals import refused
from clinic.locations.access import get_managed_site_for
from clinic.locations.models import Site
from clinic.patients.access import get_clinical_patient_for, get_patient_for
from clinic.portal import services
from clinic.portal.access import get_grant_of
from clinic.portal.forms import PolicyForm

INVITERS = (Role.RECEPTIONIST, Role.PHYSICIAN)
# Who sees a patient's trusted people on the chart and may withdraw a grant (the patient may
# ask at the desk or by phone).
TRUSTED_KEEPERS = (Role.RECEPTIONIST, Role.PHYSICIAN)
RELEASERS = (Role.PHYSICIAN, Role.PSYCHOTHERAPIST)


@staff(*INVITERS, object_rule="patients.access.get_patient_for")
@require_POST
def invite(request, patient_id):
    patient = get_patient_for(request.user, patient_id)
    try:
        services.invite_patient(patient, actor=request.user)
    except services.PortalRefused as refusal:
        refused(request, refusal, patient=patient)
    else:
        messages.success(request, _("The invitation to the portal is on its way."))
    return redirect("patients:chart", patient_id=patient.public_id)


@staff(*TRUSTED_KEEPERS, object_rule="patients.access.get_patient_for")
@require_POST
def revoke_trusted(request, patient_id, grant_id):
    """Withdraw a trusted person's access to the patient's portal, at the patient's request."""
    patient = get_patient_for(request.user, patient_id)
    grant = get_grant_of(patient, grant_id)
    services.revoke_trusted_person(grant, actor=request.user)
    messages.success(request, _("Access withdrawn: the trusted person is signed out."))
    return redirect("patients:chart", patient_id=patient.public_id)


@staff(*RELEASERS, object_rule="patients.access.get_clinical_patient_for")
@require_POST
def release_scores(request, patient_id):
    patient = get_clinical_patient_for(request.user, patient_id)
    try:
        services.release_scores(patient, actor=request.user, note=request.POST.get("note", ""))
    except services.PortalRefused as refusal:
        refused(request, refusal, patient=patient)
    else:
        messages.success(request, _("The patient can now see their scores in the portal."))
    return redirect("patients:chart", patient_id=patient.public_id)


@staff(Role.ADMINISTRATOR)
def policies(request):
    """The sites the administrator works at, each with its portal policy (or none yet)."""
    sites = list(
        Site.objects.filter(pk__in=request.user.site_ids, is_active=True)
        .select_related("portal_policy")
        .order_by("code")
    )
    return render(request, "portal/policies.html", {"sites": sites})


@staff(Role.ADMINISTRATOR, object_rule="locations.access.get_managed_site_for")
def policy(request, site_code):
    site = get_managed_site_for(request.user, site_code)
    current = services.policy_for(site)
    form = PolicyForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        services.save_policy(site, values=dict(form.cleaned_data), actor=request.user)
        messages.success(request, _("Saved."))
        return redirect("portal_staff:policy", site_code=site.code)
    return render(request, "portal/policy.html", {"site": site, "form": form, "policy": current})
