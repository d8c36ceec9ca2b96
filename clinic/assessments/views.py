from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinic.accounts.roles import Role
from clinic.assessments import services
from clinic.assessments.access import (
    get_alert_for,
    get_assessment_for,
    get_on_duty_for,
    get_schedule_for,
)
from clinic.assessments.chart import ENTRY_ROLES, SECTION_ROLES, chart_section
from clinic.assessments.forms import (
    AcknowledgeForm,
    AssessmentForm,
    InErrorForm,
    LicensedTextForm,
    OnDutyForm,
    OutcomesForm,
    PolicyForm,
    ScaleSettingsForm,
    ScheduleForm,
    SendLinkForm,
    item_wording,
)
from clinic.assessments.instruments import INSTRUMENTS, SAFETY_FLAGS, Licence, ScoringError
from clinic.assessments.models import (
    LicensedText,
    MeasurementPolicy,
    OnDutyPhysician,
    SafetyAlert,
    Schedule,
)
from clinic.assessments.reports import course_outcomes, outcome_rates
from clinic.assessments.selectors import (
    can_send_link,
    current_licensed_texts,
    licence_status,
    licensed_text,
    scale_settings,
    settings_for,
)
from clinic.core import records
from clinic.core.audit import audit
from clinic.core.exports import csv_response
from clinic.core.policy import staff
from clinic.core.refusals import audit_refusal, refused
from clinic.courses.models import Course
from clinic.patients.access import get_patient_for

PATIENT_RULE = "patients.access.get_patient_for"
DIRECTOR_ROLES = (Role.ADMINISTRATOR, Role.PHYSICIAN)


def _instrument_or_404(code):
    instrument = INSTRUMENTS.get(code or "")
    if instrument is None:
        raise Http404
    return instrument


# --- entering and reading scales ----------------------------------------------------------


@staff(*ENTRY_ROLES, object_rule=PATIENT_RULE)
def enter(request, patient_id):
    patient = get_patient_for(request.user, patient_id)
    instrument = _instrument_or_404(request.GET.get("scale"))
    language = request.LANGUAGE_CODE
    licensed = None if instrument.ships_text else licensed_text(instrument.code, language)
    courses = list(Course.objects.filter(patient=patient).active())
    form = AssessmentForm(
        request.POST or None, instrument=instrument, licensed=licensed, courses=courses
    )
    confirmation = None
    if request.method == "POST" and form.is_valid():
        course_id = form.cleaned_data.get("course")
        course = next((c for c in courses if c.pk == course_id), None)
        try:
            assessment = services.record_assessment(
                patient,
                instrument.code,
                form.answers(),
                actor=request.user,
                course=course,
                safety_confirmed=form.safety_confirmed(),
            )
        except services.SafetyConfirmationNeeded as needed:
            # Not an error: the same form again, with the positive items named and a button
            # that confirms exactly these answers.
            audit_refusal(request, needed, patient=patient)
            confirmation = {
                "key": form.answers_key(),
                "items": _positive_items(instrument, form.answers(), needed.items, licensed),
                "indices": set(needed.items),
            }
        except services.AssessmentRefused as refusal:
            refused(request, refusal, patient=patient, form=form)
        else:
            if assessment.safety:
                messages.error(
                    request,
                    _(
                        "A safety item is positive: an alert has been raised and the responsible "
                        "physician notified. Stay with the patient and follow the safety protocol."
                    ),
                )
            else:
                messages.success(request, _("The scale has been recorded."))
            return redirect("assessments:detail", assessment_id=assessment.public_id)
    return render(
        request,
        "assessments/enter.html",
        {
            "patient": patient,
            "instrument": instrument,
            "form": form,
            "licence": Licence.LABELS[
                licence_status(instrument.code, language, {(instrument.code, language): licensed})
                if licensed
                else instrument.licence
            ],
            "licensed": licensed,
            "confirmation": confirmation,
        },
    )


def _positive_items(instrument, answers, indices, licensed) -> list[str]:
    """One line per positive safety item: its name and the score (or, without a total, the
    answer) it was given."""
    lines = []
    for index in indices:
        item = instrument.items[index]
        name = str(item.name)
        if str(item.number) not in name:
            name = _("Item %(number)s — %(name)s") % {"number": item.number, "name": name}
        position = answers[index]
        if instrument.has_total:
            lines.append(
                _("%(item)s scored %(score)s")
                % {"item": name, "score": item.options[position].value}
            )
        else:
            answer = item_wording(instrument, index, licensed)[1][position]
            lines.append(_("%(item)s: %(answer)s") % {"item": name, "answer": answer})
    return lines


@staff(*SECTION_ROLES, object_rule="assessments.access.get_assessment_for")
def detail(request, assessment_id):
    assessment = get_assessment_for(request.user, assessment_id)
    instrument = assessment.instrument
    audit(request.user, "assessment.viewed", assessment.patient, obj=assessment)
    language = request.LANGUAGE_CODE
    licensed = None if instrument.ships_text else licensed_text(instrument.code, language)
    thresholds = settings_for(assessment.code).thresholds()
    # Flags are recomputed from the stored items on every read (domain.md §2 conventions).
    result = None
    if assessment.status != assessment.Status.IN_PROGRESS:
        try:
            result = instrument.score(assessment.answers, thresholds)
        except ScoringError:
            result = None
    flags = result.safety if result else instrument.safety_in(assessment.answers, thresholds)
    rows = []
    for index, position in enumerate(assessment.answers):
        question, labels = item_wording(instrument, index, licensed)
        item = instrument.items[index]
        rows.append(
            {
                "number": item.number,
                "question": question,
                "answer": labels[position] if position is not None else "—",
                "score": item.options[position].value if position is not None else None,
                "flagged": any(
                    rule.index == index and rule.flag in flags for rule in instrument.alert_items
                ),
            }
        )
    alert = SafetyAlert.objects.filter(assessment=assessment).first()
    return render(
        request,
        "assessments/detail.html",
        {
            "assessment": assessment,
            "instrument": instrument,
            "rows": rows,
            "result": result,
            "flags": [SAFETY_FLAGS.get(f, f) for f in flags],
            "alert": alert,
            "link": getattr(assessment, "link", None),
            "error_form": InErrorForm() if request.user.has_role(*ENTRY_ROLES) else None,
            "can_review": request.user.has_role(Role.PHYSICIAN)
            and assessment.status == assessment.Status.COMPLETED
            and assessment.reviewed_at is None,
            "bands": instrument.bands_with(thresholds),
        },
    )


@staff(*ENTRY_ROLES, object_rule="assessments.access.get_assessment_for")
@require_POST
def mark_in_error(request, assessment_id):
    assessment = get_assessment_for(request.user, assessment_id)
    form = InErrorForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the entry is wrong."))
    else:
        try:
            services.mark_assessment_in_error(
                assessment, reason=form.cleaned_data["reason"], actor=request.user
            )
        except (services.AssessmentRefused, records.RecordKeepingRefused) as refusal:
            refused(request, refusal, patient=assessment.patient, obj=assessment)
        else:
            messages.success(request, _("The entry is marked as entered in error."))
    return redirect("assessments:detail", assessment_id=assessment.public_id)


@staff(Role.PHYSICIAN, object_rule="assessments.access.get_assessment_for")
@require_POST
def review(request, assessment_id):
    assessment = get_assessment_for(request.user, assessment_id)
    try:
        services.review_assessment(assessment, actor=request.user)
    except services.AssessmentRefused as refusal:
        refused(request, refusal, patient=assessment.patient, obj=assessment)
    else:
        messages.success(request, _("The score is marked as reviewed."))
    return redirect("assessments:detail", assessment_id=assessment.public_id)


@staff(*ENTRY_ROLES, object_rule=PATIENT_RULE)
@require_POST
def send_link(request, patient_id):
    patient = get_patient_for(request.user, patient_id)
    licensed = current_licensed_texts()
    choices = [
        (code, i.short_name)
        for code, i in INSTRUMENTS.items()
        if can_send_link(code, patient.preferred_language, licensed)
    ]
    form = SendLinkForm(request.POST, choices=choices)
    if not form.is_valid():
        messages.error(request, _("Choose a scale that may be sent to the patient."))
        return redirect("patients:chart", patient_id=patient.public_id)
    try:
        link, url, sent = services.send_self_report_link(
            patient, form.cleaned_data["code"], actor=request.user
        )
    except services.AssessmentRefused as refusal:
        refused(request, refusal, patient=patient)
        return redirect("patients:chart", patient_id=patient.public_id)
    if sent:
        messages.success(request, _("The link has been sent to the patient."))
        return redirect("patients:chart", patient_id=patient.public_id)
    # No channel to send by: show the address once, to open on a tablet or dictate.
    response = render(
        request,
        "assessments/link_created.html",
        {"patient": patient, "url": url, "link": link},
    )
    response["Cache-Control"] = "no-store"
    return response


@staff(*SECTION_ROLES, object_rule=PATIENT_RULE)
def patient_outcomes(request, patient_id):
    patient = get_patient_for(request.user, patient_id)
    audit(request.user, "assessment.outcomes.viewed", patient, obj=patient)
    section = chart_section(patient, request.user)
    return render(
        request,
        "assessments/patient_outcomes.html",
        {
            "patient": patient,
            "section": section,
            "per_course": course_outcomes(section["courses"], section["completed"]),
            "can_approve": request.user.has_role(Role.PHYSICIAN),
        },
    )


# --- safety alerts ------------------------------------------------------------------------


@staff(Role.PHYSICIAN)
def alerts(request):
    site_ids = request.user.site_ids
    open_alerts = list(
        SafetyAlert.objects.open()
        .at_sites(site_ids)
        .select_related("patient", "site", "assessment", "escalated_to")
        .order_by("raised_at")
    )
    recent = list(
        SafetyAlert.objects.at_sites(site_ids)
        .filter(status=SafetyAlert.Status.ACKNOWLEDGED)
        .select_related("patient", "site", "assessment", "acknowledged_by")
        .order_by("-acknowledged_at")[:20]
    )
    for alert in open_alerts + recent:
        alert.flag_names = [SAFETY_FLAGS.get(f, f) for f in alert.flag_list]
    audit(request.user, "assessment.alerts.viewed")
    return render(
        request, "assessments/alerts.html", {"open_alerts": open_alerts, "recent": recent}
    )


@staff(Role.PHYSICIAN, object_rule="assessments.access.get_alert_for")
def alert(request, alert_id):
    alert = get_alert_for(request.user, alert_id)
    audit(request.user, "assessment.alert.viewed", alert.patient, obj=alert)
    alert.flag_names = [SAFETY_FLAGS.get(f, f) for f in alert.flag_list]
    return render(
        request,
        "assessments/alert.html",
        {
            "alert": alert,
            "events": alert.events.select_related("by", "recipient"),
            "form": AcknowledgeForm() if alert.status == SafetyAlert.Status.OPEN else None,
        },
    )


@staff(Role.PHYSICIAN, object_rule="assessments.access.get_alert_for")
@require_POST
def acknowledge(request, alert_id):
    alert = get_alert_for(request.user, alert_id)
    form = AcknowledgeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write down the action taken."))
    else:
        try:
            services.acknowledge_alert(
                alert, action_taken=form.cleaned_data["action_taken"], actor=request.user
            )
        except services.AssessmentRefused as refusal:
            refused(request, refusal, patient=alert.patient, obj=alert)
        else:
            messages.success(request, _("The alert has been acknowledged."))
    return redirect("assessments:alert", alert_id=alert.public_id)


# --- the medical director's outcomes ------------------------------------------------------


def _outcomes_for(request):
    form = OutcomesForm(request.GET or None)
    code = form.cleaned_data["code"] if form.is_valid() and form.cleaned_data["code"] else "phq9"
    return (
        form,
        code,
        outcome_rates(code, site_ids=request.user.site_ids, settings=settings_for(code)),
    )


@staff(*DIRECTOR_ROLES)
def outcomes(request):
    form, code, rates = _outcomes_for(request)
    audit(request.user, "assessment.outcomes.report_viewed", reason=code)
    return render(
        request, "assessments/outcomes.html", {"form": form, "code": code, "rates": rates}
    )


@staff(*DIRECTOR_ROLES)
def outcomes_csv(request):
    _form, code, rates = _outcomes_for(request)
    audit(request.user, "assessment.outcomes.exported", reason=code)
    header = [
        _("Scale"),
        _("Breakdown"),
        _("Group"),
        _("Courses with follow-up"),
        _("Responders"),
        _("Response, %"),
        _("Remitters"),
        _("Remission, %"),
    ]
    scale = rates["instrument"].short_name

    overall = rates["overall"]
    groups = [(_("All"), overall)] + [
        (str(d["label"]), rate) for d in rates["dimensions"] for rate in d["rates"]
    ]
    rows = [
        (
            scale,
            breakdown,
            rate.group,
            rate.count,
            rate.responders,
            rate.response_pct,
            rate.remitters if rates["has_remission"] else "",
            rate.remission_pct if rates["has_remission"] else "",
        )
        for breakdown, rate in groups
    ]
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return csv_response(f"outcomes-{code}-{stamp}.csv", header, rows)


# --- schedules, rota, settings, licensed texts --------------------------------------------


@staff(*DIRECTOR_ROLES)
def schedules(request):
    form = ScheduleForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.create_schedule(actor=request.user, **form.cleaned_data)
        except services.AssessmentRefused as refusal:
            refused(request, refusal, form=form)
        else:
            messages.success(request, _("The schedule has been added."))
            return redirect("assessments:schedules")
    rows = Schedule.objects.select_related("site").filter(
        Q(site__isnull=True) | Q(site_id__in=request.user.site_ids)
    )
    return render(request, "assessments/schedules.html", {"form": form, "schedules": rows})


@staff(*DIRECTOR_ROLES, object_rule="assessments.access.get_schedule_for")
@require_POST
def schedule_toggle(request, schedule_id):
    schedule = get_schedule_for(request.user, schedule_id)
    services.set_schedule_active(schedule, not schedule.is_active, actor=request.user)
    messages.success(
        request,
        _("The schedule is active again.") if schedule.is_active else _("The schedule is paused."),
    )
    return redirect("assessments:schedules")


@staff(Role.ADMINISTRATOR)
def on_duty(request):
    form = OnDutyForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_on_duty(**form.cleaned_data, actor=request.user)
        except services.AssessmentRefused as refusal:
            refused(request, refusal, site=form.cleaned_data.get("site"), form=form)
        else:
            messages.success(request, _("The on-duty physician has been added."))
            return redirect("assessments:on_duty")
    entries = (
        OnDutyPhysician.objects.filter(
            site_id__in=request.user.site_ids, ends_on__gte=timezone.localdate()
        )
        .select_related("site", "physician")
        .order_by("starts_on", "site")
    )
    return render(request, "assessments/on_duty.html", {"form": form, "entries": entries})


@staff(Role.ADMINISTRATOR, object_rule="assessments.access.get_on_duty_for")
@require_POST
def on_duty_remove(request, entry_id):
    entry = get_on_duty_for(request.user, entry_id)
    services.remove_on_duty(entry, actor=request.user)
    messages.success(request, _("The rota entry has been removed."))
    return redirect("assessments:on_duty")


@staff(Role.ADMINISTRATOR)
def settings_list(request):
    policy = MeasurementPolicy.current()
    form = PolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        services.save_measurement_policy(**form.cleaned_data, actor=request.user)
        messages.success(request, _("The timing has been saved."))
        return redirect("assessments:settings")
    rows = list(scale_settings().values())
    return render(request, "assessments/settings.html", {"rows": rows, "policy_form": form})


@staff(Role.ADMINISTRATOR)
def settings_edit(request, code):
    _instrument_or_404(code)
    row = scale_settings()[code]
    form = ScaleSettingsForm(request.POST or None, instance=row)
    if request.method == "POST" and form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if k != "provenance"}
        services.save_scale_settings(
            code, values=values, provenance=form.cleaned_data["provenance"], actor=request.user
        )
        messages.success(request, _("The thresholds have been saved."))
        return redirect("assessments:settings")
    return render(request, "assessments/settings_edit.html", {"form": form, "row": row})


@staff(Role.ADMINISTRATOR)
def licensed_texts(request):
    form = LicensedTextForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.upload_licensed_text(
                code=data["code"],
                language=data["language"],
                raw=data["text"],
                permission=data["permission"],
                actor=request.user,
            )
        except services.AssessmentRefused as refusal:
            refused(request, refusal, form=form)
        else:
            messages.success(request, _("The licensed text is now shown on the forms."))
            return redirect("assessments:licensed_texts")
    texts = LicensedText.objects.select_related("uploaded_by")
    return render(request, "assessments/licensed_texts.html", {"form": form, "texts": texts})
