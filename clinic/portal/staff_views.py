"""Staff actions of the portal: invite a registered patient, release scores and session
summaries to the patient, and set each site's self-service policy."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinic.accounts.roles import Role
from clinic.core.audit import audit
from clinic.core.policy import recently_authenticated, staff
from clinic.core.refusals import refused
from clinic.locations.access import get_managed_site_for
from clinic.locations.models import Site
from clinic.patients.access import get_clinical_patient_for, get_patient_for
from clinic.portal import selectors, services
from clinic.portal.access import get_grant_of
from clinic.portal.forms import PolicyForm, SummaryForm
from clinic.portal.models import PortalAccount
from clinic.treatment.access import get_note_for

INVITERS = (Role.RECEPTIONIST, Role.PHYSICIAN)
# Who sees a patient's trusted people on the chart and may withdraw a grant (the patient may
# ask at the desk or by phone).
TRUSTED_KEEPERS = (Role.RECEPTIONIST, Role.PHYSICIAN)
RELEASERS = (Role.PHYSICIAN, Role.PSYCHOTHERAPIST)
# A session summary is released to the patient by a physician (issue 17, part 4).
SUMMARY_WRITERS = (Role.PHYSICIAN,)


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


@staff(*TRUSTED_KEEPERS, object_rule="patients.access.get_patient_for")
@require_POST
@recently_authenticated
def reset_authenticator(request, patient_id):
    """Remove the authenticator app of a patient who lost it (a second factor: the member of
    staff signs in again first, and checks who is asking)."""
    patient = get_patient_for(request.user, patient_id)
    account = PortalAccount.objects.filter(patient=patient).first()
    if account is None:
        raise Http404
    try:
        services.reset_authenticator(account, actor=request.user)
    except services.PortalRefused as refusal:
        refused(request, refusal, patient=patient)
    else:
        messages.success(
            request,
            _("The authenticator app is removed; the patient signs in with a sent code alone."),
        )
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


@staff(*SUMMARY_WRITERS, object_rule="treatment.access.get_note_for")
def summary(request, note_id):
    """Write, release or withdraw the plain-language summary of a signed session note."""
    note = get_note_for(request.user, note_id)
    current = selectors.summary_states([note.pk]).get(note.pk)
    form = SummaryForm(request.POST or None, initial={"text": current.text if current else ""})
    if request.method == "POST":
        action = request.POST.get("action", "save")
        try:
            if action == "withdraw":
                services.withdraw_summary(note, actor=request.user)
                messages.success(request, _("The summary is withdrawn from the portal."))
                return redirect("portal_staff:summary", note_id=note.public_id)
            if form.is_valid():
                services.write_summary(note, text=form.cleaned_data["text"], actor=request.user)
                if action == "release":
                    services.release_summary(note, actor=request.user)
                    messages.success(request, _("The patient can now read the summary."))
                else:
                    messages.success(request, _("The summary is saved; it is not released yet."))
                return redirect("portal_staff:summary", note_id=note.public_id)
        except services.PortalRefused as refusal:
            refused(request, refusal, patient=note.patient, obj=note, form=form)
    else:
        audit(request.user, "portal.summary.viewed", note.patient, obj=note)
    return render(
        request,
        "portal/summary_form.html",
        {"note": note, "patient": note.patient, "summary": current, "form": form},
    )


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
