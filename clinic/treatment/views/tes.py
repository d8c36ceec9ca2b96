"""Transcranial electrical stimulation sessions."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinic.core.audit import audit
from clinic.core.policy import staff
from clinic.core.refusals import refused
from clinic.patients.access import get_patient_for
from clinic.treatment import forms, selectors, services
from clinic.treatment.access import (
    get_tes_for,
)
from clinic.treatment.views.common import (
    INFUSION_ROLES,
    form_errors,
    visit_from_query,
)


@staff(*INFUSION_ROLES, object_rule="patients.access.get_patient_for")
def tes_new(request, patient_id):
    patient = get_patient_for(request.user, patient_id)
    visit = visit_from_query(request)
    form = forms.TesStartForm(request.POST or None, patient=patient, visit=visit)
    settings = selectors.rules_for(patient.home_site)
    if request.method == "POST" and form.is_valid():
        try:
            tes = services.start_tes_session(
                patient, **form.cleaned_data, appointment=visit, actor=request.user
            )
        except services.TreatmentRefused as refusal:
            refused(request, refusal, patient=patient, form=form)
        else:
            messages.success(request, _("The TES session has started."))
            return redirect("treatment:tes", tes_id=tes.public_id)
    return render(
        request,
        "treatment/tes_form.html",
        {"form": form, "patient": patient, "settings": settings, "visit": visit},
    )


@staff(*INFUSION_ROLES, object_rule="treatment.access.get_tes_for")
def tes_detail(request, tes_id):
    tes = get_tes_for(request.user, tes_id)
    audit(request.user, "tes.viewed", tes.patient, obj=tes)
    return render(
        request,
        "treatment/tes_detail.html",
        {
            "tes": tes,
            "patient": tes.patient,
            "complete_form": forms.TesCompleteForm() if tes.status == "started" else None,
        },
    )


@staff(*INFUSION_ROLES, object_rule="treatment.access.get_tes_for")
@require_POST
def tes_complete(request, tes_id):
    tes = get_tes_for(request.user, tes_id)
    form = forms.TesCompleteForm(request.POST)
    if not form.is_valid():
        form_errors(request, form)
    else:
        try:
            services.complete_tes_session(tes, **form.cleaned_data, actor=request.user)
        except services.TreatmentRefused as refusal:
            refused(request, refusal, patient=tes.patient, obj=tes)
        else:
            messages.success(request, _("The TES session is complete."))
    return redirect("treatment:tes", tes_id=tes.public_id)
