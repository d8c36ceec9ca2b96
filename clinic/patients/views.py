import json
from copy import copy
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from clinic.accounts.roles import CLINICAL_ROLES, Role
from clinic.core import records
from clinic.core.audit import audit
from clinic.core.exports import render_pdf
from clinic.core.policy import recently_authenticated, staff
from clinic.core.refusals import refused
from clinic.locations.selectors import current_site
from clinic.patients import chart, selectors, services
from clinic.patients.access import (
    CLINICAL_READERS,
    MEASURERS,
    REGISTRARS,
    can_read_clinical,
    can_write_note,
    get_blood_pressure_for,
    get_clinical_patient_for,
    get_consent_for,
    get_measurement_for,
    get_medication_for,
    get_note_for,
    get_patient_for,
    get_prior_treatment_for,
    get_privacy_request_for,
    get_trial_for,
)
from clinic.patients.export import patient_data
from clinic.patients.forms import (
    ConsentForm,
    ConsentWordingForm,
    EligibilityForm,
    IntakeForm,
    MeasurementForm,
    MedicationForm,
    NoteForm,
    NoteTextForm,
    OutcomeForm,
    PatientForm,
    PriorTreatmentForm,
    PrivacyRequestForm,
    SearchForm,
    StrikeOutForm,
    TrialForm,
    WithdrawForm,
)
from clinic.patients.models import ClinicalNote, ConsentWording, Intake, Patient
from clinic.patients.services import RecordRefused

NOTE_AUTHORS = (Role.PHYSICIAN, Role.PSYCHOTHERAPIST)


def _chart(patient, anchor=""):
    response = redirect("patients:chart", patient_id=patient.public_id)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


def _form_page(request, patient, form, *, title, intro="", submit=None, template=None):
    return render(
        request,
        template or "patients/form.html",
        {"patient": patient, "form": form, "title": title, "intro": intro, "submit": submit},
        status=400 if form.is_bound and form.errors else 200,
    )


@staff(*CLINICAL_ROLES)
def patient_list(request):
    site = current_site(request)
    form = SearchForm(request.GET or None)
    patients = Patient.objects.visible_to(request.user).at(site).select_related("home_site")
    query = form.cleaned_data["q"] if form.is_valid() else ""
    if query:
        patients = patients.matching(query)
    page = Paginator(patients, 50).get_page(request.GET.get("page"))
    audit(request.user, "patient.list.viewed", site=site, reason="search" if query else "")
    return render(
        request,
        "patients/patient_list.html",
        {
            "page": page,
            "site": site,
            "form": form,
            "query": query,
            "querystring": urlencode({"q": query}) if query else "",
            "can_register": request.user.has_role(*REGISTRARS),
        },
    )


@staff(*REGISTRARS)
def register(request):
    site = current_site(request)
    form = PatientForm(request.POST or None, user=request.user, site=site)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        patient = services.register_new_patient(
            home_site=data.pop("home_site"),
            idempotency_key=data.pop("idempotency_key"),
            actor=request.user,
            **{k: ("" if v is None and k.endswith("phone") else v) for k, v in data.items()},
        )
        messages.success(
            request,
            _("Patient %(number)s has been registered.") % {"number": patient.record_number},
        )
        return _chart(patient)
    return _form_page(request, None, form, title=_("Register a patient"), submit=_("Register"))


@staff(*CLINICAL_ROLES, object_rule="patients.access.get_patient_for")
def patient_chart(request, patient_id):
    patient = get_patient_for(request.user, patient_id)
    sections = chart.chart_sections(patient, request.user)
    for section in sections:
        section.render(patient, request)
    audit(request.user, "patient.chart.viewed", patient, obj=patient)
    clinical = can_read_clinical(request.user, patient)
    return render(
        request,
        "patients/patient_chart.html",
        {
            "patient": patient,
            "sections": sections,
            "timeline": chart.timeline_of(sections)[:50],
            "header": _header(patient) if clinical else None,
            "facts": chart.header_facts(patient, request.user) if clinical else [],
        },
    )


def _header(patient):
    intake = selectors.current_intake(patient)
    findings = selectors.ketamine_screen(patient)
    return {
        "intake": intake,
        "flags": selectors.risk_flags_for(patient),
        "picture": selectors.trd_picture(patient),
        "decision": selectors.current_ketamine_eligibility(patient),
        "contraindications": [f for f in findings if f.is_contraindication],
        "weight": selectors.latest_weight(patient),
    }


@staff(*REGISTRARS, object_rule="patients.access.get_patient_for")
def edit_details(request, patient_id):
    patient = get_patient_for(request.user, patient_id)
    # A model form writes to its instance while validating; give it a copy, so only the
    # service changes the record.
    form = PatientForm(request.POST or None, instance=copy(patient), user=request.user, site=None)
    if request.method == "POST" and form.is_valid():
        changes = {
            name: ("" if value is None and name.endswith("phone") else value)
            for name, value in form.cleaned_data.items()
        }
        try:
            services.update_patient_details(patient, changes=changes, actor=request.user)
        except RecordRefused as refusal:
            refused(request, refusal, patient=patient, form=form)
        else:
            messages.success(request, _("The details have been saved."))
            return _chart(patient, "details")
    return _form_page(request, patient, form, title=_("Change the details"), submit=_("Save"))


@staff(*REGISTRARS, object_rule="patients.access.get_patient_for")
def add_consent(request, patient_id):
    patient = get_patient_for(request.user, patient_id)
    form = ConsentForm(
        request.POST or None,
        initial={"given_at": timezone.localtime().replace(second=0, microsecond=0)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.record_consent(patient, **form.cleaned_data, actor=request.user)
        except RecordRefused as refusal:
            refused(request, refusal, patient=patient, form=form)
        else:
            messages.success(request, _("The consent has been recorded."))
            return _chart(patient, "consents")
    return _form_page(
        request, patient, form, title=_("Record a consent"), submit=pgettext("button", "Record")
    )


@staff(*REGISTRARS, object_rule="patients.access.get_consent_for")
def withdraw_consent(request, consent_id):
    consent = get_consent_for(request.user, consent_id)
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.withdraw_consent(consent, note=form.cleaned_data["note"], actor=request.user)
        except RecordRefused as refusal:
            refused(request, refusal, patient=consent.patient, obj=consent)
        else:
            messages.success(request, _("The consent has been withdrawn."))
        return _chart(consent.patient, "consents")
    return _form_page(
        request,
        consent.patient,
        form,
        title=_("Withdraw consent: %(purpose)s") % {"purpose": consent.get_purpose_display()},
        submit=_("Withdraw"),
    )


@staff(Role.PHYSICIAN, object_rule="patients.access.get_clinical_patient_for")
def edit_intake(request, patient_id):
    patient = get_clinical_patient_for(request.user, patient_id)
    current = selectors.current_intake(patient)
    if request.method == "GET":
        audit(request.user, "patient.intake.viewed", patient, obj=current)
    form = IntakeForm(request.POST or None, instance=None, initial=_intake_initial(current))
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            services.record_intake(patient, data=data, actor=request.user)
        except RecordRefused as refusal:
            refused(request, refusal, patient=patient, form=form)
        else:
            messages.success(request, _("The intake has been saved."))
            return _chart(patient, "intake")
    return _form_page(
        request,
        patient,
        form,
        title=_("Intake"),
        intro=_("Saving keeps the previous version in the history."),
        submit=_("Save"),
        template="patients/intake_form.html",
    )


def _intake_initial(intake: Intake | None) -> dict:
    if intake is None:
        return {}
    return {name: getattr(intake, name) for name in IntakeForm.Meta.fields}


@staff(*MEASURERS, object_rule="patients.access.get_clinical_patient_for")
def add_measurement(request, patient_id):
    patient = get_clinical_patient_for(request.user, patient_id)
    form = MeasurementForm(request.POST or None, initial={"measured_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                if data["weight_kg"] is not None:
                    services.record_weight(
                        patient,
                        weight_kg=data["weight_kg"],
                        height_cm=data["height_cm"],
                        measured_on=data["measured_on"],
                        actor=request.user,
                    )
                if data["systolic"] is not None:
                    services.record_blood_pressure(
                        patient,
                        systolic=data["systolic"],
                        diastolic=data["diastolic"],
                        measured_on=data["measured_on"],
                        actor=request.user,
                    )
        except RecordRefused as refusal:
            refused(request, refusal, patient=patient, form=form)
        else:
            messages.success(request, _("The measurement has been saved."))
            return _chart(patient, "intake")
    return _form_page(
        request, patient, form, title=_("Weight and blood pressure"), submit=_("Save")
    )


@staff(Role.PHYSICIAN, object_rule="patients.access.get_clinical_patient_for")
def add_medication(request, patient_id):
    patient = get_clinical_patient_for(request.user, patient_id)
    form = MedicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_medication(patient, **form.cleaned_data, actor=request.user)
        except RecordRefused as refusal:
            refused(request, refusal, patient=patient, form=form)
        else:
            messages.success(request, _("The medicine has been added."))
            return _chart(patient, "intake")
    return _form_page(request, patient, form, title=_("Add a medicine"), submit=_("Add"))


@staff(Role.PHYSICIAN, object_rule="patients.access.get_medication_for")
@require_POST
def stop_medication(request, medication_id):
    medication = get_medication_for(request.user, medication_id)
    try:
        services.stop_medication(medication, stopped_on=timezone.localdate(), actor=request.user)
    except RecordRefused as refusal:
        refused(request, refusal, patient=medication.patient, obj=medication)
    else:
        messages.success(request, _("The medicine is marked as stopped today."))
    return _chart(medication.patient, "intake")


@staff(Role.PHYSICIAN, object_rule="patients.access.get_clinical_patient_for")
def add_trial(request, patient_id):
    patient = get_clinical_patient_for(request.user, patient_id)
    form = TrialForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_antidepressant_trial(patient, **form.cleaned_data, actor=request.user)
        except RecordRefused as refusal:
            refused(request, refusal, patient=patient, form=form)
        else:
            messages.success(request, _("The trial has been added."))
            return _chart(patient, "history")
    return _form_page(
        request, patient, form, title=_("Add an antidepressant trial"), submit=_("Add")
    )


@staff(Role.PHYSICIAN, object_rule="patients.access.get_clinical_patient_for")
def add_prior_treatment(request, patient_id):
    patient = get_clinical_patient_for(request.user, patient_id)
    form = PriorTreatmentForm(request.POST or None, initial={"kind": request.GET.get("kind")})
    if request.method == "POST" and form.is_valid():
        try:
            services.add_prior_treatment(patient, **form.cleaned_data, actor=request.user)
        except RecordRefused as refusal:
            refused(request, refusal, patient=patient, form=form)
        else:
            messages.success(request, _("The treatment has been added."))
            return _chart(patient, "history")
    return _form_page(request, patient, form, title=_("Add another treatment"), submit=_("Add"))


def _strike_out(request, record, anchor):
    form = StrikeOutForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            records.strike_out(record, reason=form.cleaned_data["reason"], actor=request.user)
        except records.RecordKeepingRefused as refusal:
            refused(request, refusal, patient=record.patient, obj=record)
        else:
            messages.success(request, _("The entry is marked as entered in error."))
        return _chart(record.patient, anchor)
    return _form_page(
        request,
        record.patient,
        form,
        title=_("Entered in error: %(entry)s") % {"entry": record},
        intro=_("The entry stays in the record, struck out, with your reason."),
        submit=_("Mark as entered in error"),
    )


@staff(Role.PHYSICIAN, object_rule="patients.access.get_trial_for")
def strike_out_trial(request, trial_id):
    return _strike_out(request, get_trial_for(request.user, trial_id), "history")


@staff(Role.PHYSICIAN, object_rule="patients.access.get_prior_treatment_for")
def strike_out_prior_treatment(request, treatment_id):
    return _strike_out(request, get_prior_treatment_for(request.user, treatment_id), "history")


@staff(Role.PHYSICIAN, object_rule="patients.access.get_medication_for")
def strike_out_medication(request, medication_id):
    return _strike_out(request, get_medication_for(request.user, medication_id), "intake")


@staff(*MEASURERS, object_rule="patients.access.get_measurement_for")
def strike_out_measurement(request, measurement_id):
    return _strike_out(request, get_measurement_for(request.user, measurement_id), "intake")


@staff(*MEASURERS, object_rule="patients.access.get_blood_pressure_for")
def strike_out_blood_pressure(request, reading_id):
    return _strike_out(request, get_blood_pressure_for(request.user, reading_id), "intake")


@staff(Role.PHYSICIAN, object_rule="patients.access.get_clinical_patient_for")
def decide_eligibility(request, patient_id):
    patient = get_clinical_patient_for(request.user, patient_id)
    findings = selectors.ketamine_screen(patient)
    if request.method == "GET":
        audit(request.user, "patient.ketamine_screen.viewed", patient)
    form = EligibilityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.decide_ketamine_eligibility(patient, **form.cleaned_data, actor=request.user)
        except RecordRefused as refusal:
            refused(request, refusal, patient=patient, form=form)
        else:
            messages.success(request, _("The decision has been recorded."))
            return _chart(patient, "ketamine")
    return render(
        request,
        "patients/eligibility_form.html",
        {"patient": patient, "form": form, "findings": findings},
        status=400 if form.is_bound and form.errors else 200,
    )


@staff(*NOTE_AUTHORS, object_rule="patients.access.get_clinical_patient_for")
def new_note(request, patient_id):
    patient = get_clinical_patient_for(request.user, patient_id)
    kinds = [
        (kind, label)
        for kind, label in ClinicalNote.Kind.choices
        if can_write_note(request.user, patient, kind)
    ]
    form = NoteForm(request.POST or None, kinds=kinds, initial={"kind": request.GET.get("kind")})
    if request.method == "POST" and form.is_valid():
        note = services.write_note(patient, **form.cleaned_data, actor=request.user)
        messages.success(request, _("The draft has been saved. Sign it when it is complete."))
        return redirect("patients:note", note_id=note.public_id)
    return _form_page(request, patient, form, title=_("New note"), submit=_("Save draft"))


@staff(*CLINICAL_READERS, object_rule="patients.access.get_note_for")
def note_detail(request, note_id):
    note = get_note_for(request.user, note_id)
    is_author = note.author_id == request.user.pk
    form = NoteTextForm(request.POST or None, initial={"text": note.text})
    if request.method == "POST":
        if form.is_valid():
            try:
                if note.is_signed:
                    records.add_addendum(note, text=form.cleaned_data["text"], actor=request.user)
                    messages.success(request, _("The addendum has been added."))
                else:
                    records.edit_note(note, text=form.cleaned_data["text"], actor=request.user)
                    messages.success(request, _("The draft has been saved."))
            except records.NoteRefused as refusal:
                refused(request, refusal, patient=note.patient, obj=note)
            return redirect("patients:note", note_id=note.public_id)
    else:
        audit(request.user, "patient.note.viewed", note.patient, obj=note, reason=note.kind)
    can_add = (
        note.is_signed
        and request.user.has_role(*NOTE_AUTHORS)
        and (is_author or note.kind == ClinicalNote.Kind.CONSULTATION)
    )
    if note.is_signed:
        form = NoteTextForm(request.POST or None)
        form.fields["text"].label = _("Addendum")
    return render(
        request,
        "patients/note.html",
        {
            "note": note,
            "patient": note.patient,
            "addenda": note.addenda.select_related("author"),
            "form": form if (can_add or (is_author and not note.is_signed)) else None,
            "can_sign": is_author and not note.is_signed,
        },
    )


@staff(*NOTE_AUTHORS, object_rule="patients.access.get_note_for")
@require_POST
def sign_note(request, note_id):
    note = get_note_for(request.user, note_id)
    try:
        records.sign_note(note, actor=request.user)
    except records.NoteRefused as refusal:
        refused(request, refusal, patient=note.patient, obj=note)
    else:
        messages.success(request, _("The note is signed and locked."))
    return redirect("patients:note", note_id=note.public_id)


@staff(*REGISTRARS, object_rule="patients.access.get_patient_for")
def add_privacy_request(request, patient_id):
    patient = get_patient_for(request.user, patient_id)
    form = PrivacyRequestForm(request.POST or None, initial={"received_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.receive_privacy_request(patient, **form.cleaned_data, actor=request.user)
        except RecordRefused as refusal:
            refused(request, refusal, patient=patient, form=form)
        else:
            messages.success(
                request, _("The request has been registered; the answer is due in 30 days.")
            )
            return _chart(patient, "privacy")
    return _form_page(
        request, patient, form, title=_("Register a data-protection request"), submit=_("Register")
    )


@staff(*REGISTRARS, object_rule="patients.access.get_privacy_request_for")
def complete_privacy_request(request, request_id):
    privacy_request = get_privacy_request_for(request.user, request_id)
    form = OutcomeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.complete_privacy_request(
                privacy_request, outcome=form.cleaned_data["outcome"], actor=request.user
            )
        except RecordRefused as refusal:
            refused(request, refusal, patient=privacy_request.patient, obj=privacy_request)
        else:
            messages.success(request, _("The request is answered."))
        return _chart(privacy_request.patient, "privacy")
    return _form_page(
        request,
        privacy_request.patient,
        form,
        title=_("Answer: %(request)s") % {"request": privacy_request},
        submit=_("Save"),
    )


@staff(Role.PHYSICIAN, object_rule="patients.access.get_privacy_request_for")
@require_POST
def process_erasure(request, request_id):
    privacy_request = get_privacy_request_for(request.user, request_id)
    try:
        result = services.process_erasure_request(privacy_request, actor=request.user)
    except RecordRefused as refusal:
        refused(request, refusal, patient=privacy_request.patient, obj=privacy_request)
    else:
        messages.info(request, result.outcome)
    return _chart(privacy_request.patient, "privacy")


@staff(Role.PHYSICIAN, object_rule="patients.access.get_clinical_patient_for")
@recently_authenticated
def export_json(request, patient_id):
    patient = get_clinical_patient_for(request.user, patient_id)
    services.record_export(patient, kind="json", actor=request.user)
    body = json.dumps(
        patient_data(patient, request.user), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2
    )
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="patient-{patient.record_number}.json"'
    response["Cache-Control"] = "no-store"
    return response


@staff(Role.PHYSICIAN, object_rule="patients.access.get_clinical_patient_for")
@recently_authenticated
def export_pdf(request, patient_id):
    patient = get_clinical_patient_for(request.user, patient_id)
    services.record_export(patient, kind="pdf", actor=request.user)
    data = patient_data(patient, request.user)
    # Labels in the reader's language for the identity block.
    details = [
        (Patient._meta.get_field(name).verbose_name, data["patient"].get(name))
        for name in services.DEMOGRAPHIC_FIELDS
    ]
    html = render_to_string(
        "patients/summary_pdf.html",
        {"patient": patient, **_header(patient), "data": data, "details": details},
        request=request,
    )
    response = HttpResponse(render_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="patient-{patient.record_number}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@staff(Role.ADMINISTRATOR)
def consent_texts(request):
    form = ConsentWordingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        wording = services.publish_consent_wording(**form.cleaned_data, actor=request.user)
        messages.success(
            request,
            _("Version %(version)s of “%(purpose)s” is now in force.")
            % {"version": wording.version, "purpose": wording.get_purpose_display()},
        )
        return redirect("patients:consent_texts")
    return render(
        request,
        "patients/consent_texts.html",
        {"form": form, "wordings": ConsentWording.objects.all()},
        status=400 if form.is_bound and form.errors else 200,
    )
