from django.core.paginator import Paginator
from django.shortcuts import render

from clinic.accounts.roles import CLINICAL_ROLES
from clinic.assessments.chart import chart_section
from clinic.core.audit import audit
from clinic.core.policy import staff
from clinic.locations.selectors import current_site
from clinic.patients.access import get_patient_for
from clinic.patients.models import Patient


@staff(*CLINICAL_ROLES)
def patient_list(request):
    site = current_site(request)
    patients = Patient.objects.visible_to(request.user).at(site).select_related("home_site")
    page = Paginator(patients, 50).get_page(request.GET.get("page"))
    audit(request.user, "patient.list.viewed", site=site)
    return render(request, "patients/patient_list.html", {"page": page, "site": site})


@staff(*CLINICAL_ROLES, object_rule="patients.access.get_patient_for")
def patient_chart(request, patient_id):
    patient = get_patient_for(request.user, patient_id)
    audit(request.user, "patient.chart.viewed", patient, obj=patient)
    return render(
        request,
        "patients/patient_chart.html",
        {"patient": patient, "assessments": chart_section(patient, request.user)},
    )
