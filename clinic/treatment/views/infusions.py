"""An infusion session from check-in to discharge: pre-check, dose, monitoring, alerts, record."""

import uuid
from functools import wraps

from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinic.accounts.roles import Role
from clinic.controlled_drugs.forms import SessionAdministrationForm
from clinic.controlled_drugs.witness import WitnessRefused, authenticate_witness
from clinic.core import records
from clinic.core.audit import audit
from clinic.core.exports import render_pdf
from clinic.core.numbers import quantity
from clinic.core.policy import recently_authenticated, staff
from clinic.core.refusals import audit_refusal, refused
from clinic.courses.access import get_course_for
from clinic.scheduling.access import get_appointment_for
from clinic.treatment import forms, links, scales, selectors, services
from clinic.treatment.access import (
    get_alert_for,
    get_infusion_for,
)
from clinic.treatment.models import InfusionSession
from clinic.treatment.views.common import (
    INFUSION_ROLES,
    Status,
    form_errors,
)
from clinic.treatment.vitals_chart import vitals_svg


@staff(*INFUSION_ROLES, object_rule="courses.access.get_course_for")
@require_POST
def infusion_open(request, course_id):
    course = get_course_for(request.user, course_id)
    form = forms.OpenSessionForm(request.POST, site=course.site)
    if not form.is_valid():
        form_errors(request, form)
        return redirect("treatment:course", course_id=course.public_id)
    try:
        session = services.open_infusion_session(
            course,
            chair=form.cleaned_data["chair"],
            check_in=form.cleaned_data["check_in"],
            actor=request.user,
        )
    except services.TreatmentRefused as refusal:
        refused(request, refusal, patient=course.patient, obj=course)
        return redirect("treatment:course", course_id=course.public_id)
    return redirect("treatment:infusion", session_id=session.public_id)


@staff(*INFUSION_ROLES, object_rule="scheduling.access.get_appointment_for")
@require_POST
def visit_infusion_start(request, appointment_id):
    """ "Start the infusion session" on a visit page or the chair board."""
    appointment = get_appointment_for(request.user, appointment_id)
    form = forms.VisitChairForm(request.POST, site=appointment.site)
    if not form.is_valid():
        form_errors(request, form)
        return redirect("scheduling:appointment", appointment_id=appointment.public_id)
    try:
        session = services.start_infusion_for_visit(
            appointment, chair=form.cleaned_data["chair"], actor=request.user
        )
    except services.TreatmentRefused as refusal:
        refused(request, refusal, patient=appointment.patient, obj=appointment)
        return redirect("scheduling:appointment", appointment_id=appointment.public_id)
    messages.success(
        request, _("The patient is checked in on %(chair)s.") % {"chair": session.chair.name}
    )
    return redirect("treatment:infusion", session_id=session.public_id)


def _infusion_context(session, user):
    settings = selectors.rules_for(session.site)
    readings = list(session.vitals.all())
    valid = [v for v in readings if not v.entered_in_error]
    last_in_phase = None
    phase = selectors.phase_of(session)
    if phase is not None:
        in_phase = [v for v in valid if v.measured_at >= phase[1]]
        last_in_phase = in_phase[-1].measured_at if in_phase else None
    due = selectors.next_due(session, last_in_phase)
    now = timezone.now()
    precheck = getattr(session, "precheck", None)
    doses = list(
        session.doses.select_related(
            "signed_by",
            "preparation__prepared_by",
            "preparation__checked_by",
            "preparation__holding__lot__drug",
        )
    )
    replaced_ids = {d.replaces_id for d in doses if d.replaces_id}
    current = next((d for d in reversed(doses) if d.pk not in replaced_ids), None)
    preparation = getattr(current, "preparation", None) if current else None
    scores = list(session.scores.all())
    cadss_due = (
        session.infusion_started_at + timezone.timedelta(minutes=settings.cadss_at_minutes)
        if session.infusion_started_at
        else None
    )
    unmet = []
    if session.status in (Status.MONITORING, Status.READY, Status.STOPPED):
        unmet = selectors.unmet_discharge_criteria(
            session, escort_confirmed=True, instructions_given=True, now=now
        )
    alerts = list(session.alerts.select_related("vitals", "closed_by", "acknowledged_by"))
    pump_events = selectors.pump_events(session)
    given = selectors.pump_delivery(
        session, events=pump_events, until=now if session.infusion_ended_at is None else None
    )
    return {
        "pump_events": pump_events,
        "pump_given": given,
        "pump_rate": next(
            (e.rate_ml_per_h for e in reversed(pump_events) if e.rate_ml_per_h), None
        ),
        "session": session,
        "patient": session.patient,
        "settings": settings,
        "precheck": precheck,
        "drugs": list(precheck.drugs.all()) if precheck else [],
        "doses": doses,
        "dose": current,
        "preparation": preparation,
        "readings": readings,
        "chart": vitals_svg(readings, started_at=session.infusion_started_at),
        "next_due": due,
        "checkpoints": selectors.vitals_checkpoints(session, readings, now),
        "overdue": bool(due and due < now),
        "alerts": alerts,
        "open_alerts": [alert for alert in alerts if alert.is_open],
        "closed_alerts": [alert for alert in alerts if not alert.is_open],
        "scores": scores,
        "scale_names": {code: scales.name(code) for code in scales.SESSION_SCALES},
        "cadss_due": cadss_due,
        "events": list(session.adverse_events.select_related("recorded_by")),
        "history": list(session.history.all()),
        "unmet": unmet,
        "discharge": getattr(session, "discharge", None),
        "now": now,
        "is_physician": user.has_role(Role.PHYSICIAN),
    }


@staff(*INFUSION_ROLES, object_rule="treatment.access.get_infusion_for")
def infusion_detail(request, session_id):
    session = get_infusion_for(request.user, session_id)
    return _infusion_page(request, session)


def _infusion_page(
    request,
    session,
    *,
    administration_form=None,
    precheck_form=None,
    preparation_form=None,
    preview=None,
    http_status=200,
):
    audit(request.user, "infusion.viewed", session.patient, obj=session)
    context = _infusion_context(session, request.user)
    settings = context["settings"]
    status = session.status
    if status == Status.CHECKED_IN and context["precheck"] is None:
        context["precheck_form"] = precheck_form or forms.PreCheckForm(
            initial=services.precheck_initial(session.patient)
        )
    if context["precheck"] and context["precheck"].bp_decision == "pending":
        context["bp_form"] = forms.BpDecisionForm()
    if status in (Status.PRECHECKED, Status.INFUSING, Status.INTERRUPTED):
        dose = context["dose"]
        context["dose_form"] = forms.DoseForm(
            initial={
                "mg_per_kg": dose.mg_per_kg if dose else session.course.target_dose_mg_per_kg,
                "minutes": dose.minutes if dose else session.course.infusion_minutes,
            }
        )
        if dose is not None and context["preparation"] is None:
            context["preparation_form"] = preparation_form or _preparation_form(session)
            context["preview"] = preview
        elif context["preparation"] is not None and not context["preparation"].is_checked:
            context["check_form"] = forms.PreparationCheckForm()
    if status in (Status.INFUSING, Status.INTERRUPTED, Status.MONITORING, Status.READY):
        context["interrupt_form"] = forms.InterruptForm(auto_id="interrupt-%s")
        context["end_form"] = forms.EndInfusionForm(auto_id="end-%s")
        context["stop_form"] = forms.ReasonForm(auto_id="stop-%s")
    if status == Status.INFUSING and context["pump_events"]:
        context["rate_form"] = forms.RateChangeForm(auto_id="rate-%s")
    if status in InfusionSession.MONITORED:
        context["vitals_form"] = forms.VitalsForm()
        context["event_form"] = forms.AdverseEventForm(
            initial={"onset_at": forms.now_local_input()}
        )
        context["alert_form"] = forms.AlertForm()
    if status not in InfusionSession.CLOSED and status != Status.SCHEDULED:
        context["scale_forms"] = [
            (code, scales.name(code), forms.scale_form_class(code)(prefix=code))
            for code in ("cadss6", "cadss", "moaas", settings.discharge_scale)
        ]
    if status in (Status.MONITORING, Status.READY, Status.STOPPED):
        context["discharge_form"] = forms.DischargeForm()
    if session.infusion_started_at is not None:
        context["register"] = register = links.register_summary(session)
        if (
            session.infusion_ended_at is not None
            and status != Status.DISCHARGED
            and (not register.has_administration or register.still_to_enter_mg > 0)
        ):
            context["administration_form"] = administration_form or _administration_form(
                session, register=register
            )
    return render(request, "treatment/infusion_detail.html", context, status=http_status)


def _preparation_form(session, data=None):
    return forms.PreparationForm(data, holdings=links.holdings_to_prepare_from(session.site))


@staff(*INFUSION_ROLES, object_rule="treatment.access.get_infusion_for")
@require_POST
def infusion_preparation(request, session_id):
    """The nurse makes up the signed dose: "calculate" shows the volumes, concentration, pump
    rate and dose actually given; "record" saves them when they are still what was shown."""
    session = get_infusion_for(request.user, session_id)
    form = _preparation_form(session, request.POST)
    preview = None
    if form.is_valid():
        data = form.cleaned_data
        prepared = services.PreparationInput(
            holding=data["holding"],
            method=data["method"],
            final_volume_ml=data["final_volume_ml"],
            draw_step_ml=data["draw_step_ml"],
        )
        try:
            preview = services.calculate_preparation(session, prepared=prepared)
            if "record" in request.POST:
                if not form.shown_matches(preview):
                    form.add_error(
                        None,
                        _(
                            "The values have changed since they were calculated: check them and "
                            "record again."
                        ),
                    )
                else:
                    services.record_dose_preparation(session, prepared=prepared, actor=request.user)
                    messages.success(
                        request,
                        _(
                            "The preparation is recorded. A second person checks it before the "
                            "start."
                        ),
                    )
                    return redirect("treatment:infusion", session_id=session.public_id)
        except services.TreatmentRefused as refusal:
            preview = None
            refused(request, refusal, patient=session.patient, obj=session, form=form)
    if preview is not None:
        # What "record" sends back, so a value changed after "calculate" is caught.
        form.data = form.data.copy()
        form.data["shown_drug_volume_ml"] = str(preview.drug_volume_ml)
        form.data["shown_rate_ml_per_h"] = str(preview.rate_ml_per_h)
    session.refresh_from_db()
    status = 200 if preview is not None and not form.errors else 400
    return _infusion_page(
        request, session, preparation_form=form, preview=preview, http_status=status
    )


def _administration_form(session, data=None, register=None):
    """The next ampoule(s) for the register: prefilled with what of the session's amount is
    not yet entered, and enough whole ampoules of the first lot to hold it."""
    register = register or links.register_summary(session)
    rest = register.still_to_enter_mg
    form = SessionAdministrationForm(
        data, site=session.site, initial={"administered_mg": f"{rest.normalize():f}"}
    )
    if data is None:
        first = form.fields["holding"].queryset.first()
        if first is not None:
            content = first.lot.drug.unit_content_mg
            ampoules = max(1, -(-rest // content))
            form.initial["drawn_mg"] = f"{(content * ampoules).normalize():f}"
    return form


@staff(*INFUSION_ROLES, object_rule="treatment.access.get_infusion_for")
@require_POST
def infusion_administration(request, session_id):
    """The nurse enters the session's ketamine in the register, with the witness signing in
    the same form when residue is destroyed; errors re-render the page with the form."""
    session = get_infusion_for(request.user, session_id)
    form = _administration_form(session, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            witness = None
            if form.needs_witness(data):
                witness = authenticate_witness(
                    request, **form.witness_credentials(), actor=request.user, site=session.site
                )
            services.record_ketamine_administration(
                session,
                holding=data["holding"],
                drawn_mg=data["drawn_mg"],
                administered_mg=data["administered_mg"],
                witness=witness,
                act_number=data["act_number"],
                note=data["note"],
                actor=request.user,
            )
        except (WitnessRefused, services.TreatmentRefused) as refusal:
            # A witness who did not authenticate was audited where it was checked.
            refused(request, refusal, patient=session.patient, obj=session, form=form)
        else:
            messages.success(request, _("The administration is recorded in the register."))
            return redirect("treatment:infusion", session_id=session.public_id)
    session.refresh_from_db()
    return _infusion_page(request, session, administration_form=form, http_status=400)


def _infusion_step(handler):
    """A POST step on a session: fetch through access, run, report, back to the session."""

    @wraps(handler)
    def view(request, session_id):
        session = get_infusion_for(request.user, session_id)
        try:
            done = handler(request, session)
        except (services.TreatmentRefused, records.RecordKeepingRefused) as refusal:
            refused(request, refusal, patient=session.patient, obj=session)
        else:
            if done:
                messages.success(request, done)
        return redirect("treatment:infusion", session_id=session.public_id)

    return require_POST(view)


def _step(*roles):
    def decorator(handler):
        return staff(*roles, object_rule="treatment.access.get_infusion_for")(
            _infusion_step(handler)
        )

    return decorator


@_step(*INFUSION_ROLES)
def infusion_check_in(request, session):
    services.check_in_patient(session, actor=request.user)
    return _("The patient is checked in.")


@staff(*INFUSION_ROLES, object_rule="treatment.access.get_infusion_for")
@require_POST
def infusion_precheck(request, session_id):
    # Not a plain step: a refused pre-check (a difference from the chart to confirm, a
    # pressure to re-measure) shows the form again with what the nurse entered.
    session = get_infusion_for(request.user, session_id)
    form = forms.PreCheckForm(request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        data["drugs"] = tuple(data["drugs"])
        try:
            precheck = services.record_precheck(
                session, check=services.PreCheckInput(**data), actor=request.user
            )
        except services.TreatmentRefused as refusal:
            refused(request, refusal, patient=session.patient, obj=session, form=form)
        else:
            done = _("The pre-check is recorded.")
            if precheck.bp_decision == "pending":
                done = _(
                    "The pre-check is recorded. The blood pressure needs a physician's decision."
                )
            messages.success(request, done)
            return redirect("treatment:infusion", session_id=session.public_id)
    return _infusion_page(request, session, precheck_form=form, http_status=400)


@_step(Role.PHYSICIAN)
def infusion_bp_decision(request, session):
    form = forms.BpDecisionForm(request.POST)
    if not form.is_valid():
        form_errors(request, form)
        return None
    services.decide_on_blood_pressure(session, **form.cleaned_data, actor=request.user)
    return _("The decision is recorded.")


# Signing a dose of a controlled drug asks the physician to prove who they are again when the
# last sign-in is older than ACCOUNT_REAUTHENTICATION_TIMEOUT; the POST resumes afterwards.
# Inside the step, so a session the physician may not reach answers 404 first.
@staff(Role.PHYSICIAN, object_rule="treatment.access.get_infusion_for")
@_infusion_step
@recently_authenticated
def infusion_dose(request, session):
    form = forms.DoseForm(request.POST)
    if not form.is_valid():
        form_errors(request, form)
        return None
    order = services.sign_dose(session, **form.cleaned_data, actor=request.user)
    return _(
        "Dose signed: %(mgkg)s mg/kg × %(kg)s kg = %(mg)s mg over %(minutes)s min. The nurse "
        "prepares it."
    ) % {
        "mgkg": quantity(order.mg_per_kg),
        "kg": quantity(order.weight_kg),
        "mg": quantity(order.dose_mg),
        "minutes": order.minutes,
    }


@_step(*INFUSION_ROLES)
def infusion_preparation_check(request, session):
    form = forms.PreparationCheckForm(request.POST)
    if not form.is_valid():
        form_errors(request, form)
        return None
    services.check_dose_preparation(session, **form.cleaned_data, actor=request.user)
    return _("The double check is recorded: the infusion can start.")


@_step(*INFUSION_ROLES)
def infusion_start(request, session):
    services.start_infusion(session, actor=request.user)
    return _("The infusion has started.")


@_step(*INFUSION_ROLES)
def infusion_interrupt(request, session):
    form = forms.InterruptForm(request.POST)
    if not form.is_valid():
        form_errors(request, form)
        return None
    services.interrupt_session(session, **form.cleaned_data, actor=request.user)
    return _("The session is interrupted.")


@_step(*INFUSION_ROLES)
def infusion_resume(request, session):
    services.resume_session(session, actor=request.user)
    return _("The session has resumed.")


@_step(*INFUSION_ROLES)
def infusion_rate(request, session):
    form = forms.RateChangeForm(request.POST)
    if not form.is_valid():
        form_errors(request, form)
        return None
    event = services.change_infusion_rate(session, **form.cleaned_data, actor=request.user)
    return _("The pump's rate is now %(rate)s ml/h.") % {"rate": quantity(event.rate_ml_per_h)}


@_step(*INFUSION_ROLES)
def infusion_end(request, session):
    form = forms.EndInfusionForm(request.POST)
    if not form.is_valid():
        form_errors(request, form)
        return None
    services.end_infusion(session, **form.cleaned_data, actor=request.user)
    session.refresh_from_db()
    return _("The infusion has ended (%(mg)s mg given); observation continues.") % {
        "mg": quantity(session.administered_mg)
    }


@_step(*INFUSION_ROLES)
def infusion_stop(request, session):
    form = forms.ReasonForm(request.POST)
    if not form.is_valid():
        form_errors(request, form)
        return None
    services.stop_session(session, **form.cleaned_data, actor=request.user)
    return _("The session has been stopped.")


@_step(*INFUSION_ROLES)
def infusion_score(request, session):
    code = request.POST.get("code", "")
    if code not in scales.SESSION_SCALES:
        raise services.TreatmentRefused(_("Choose a scale."))
    form = forms.scale_form_class(code)(request.POST, prefix=code)
    if not form.is_valid():
        raise services.TreatmentRefused(_("Answer every item of the scale."))
    score = services.record_score(
        session,
        code=code,
        point=form.cleaned_data["point"],
        answers=forms.scale_answers(form, code),
        actor=request.user,
    )
    return _("%(scale)s recorded: %(total)s.") % {"scale": scales.name(code), "total": score.total}


@_step(*INFUSION_ROLES)
def infusion_adverse_event(request, session):
    form = forms.AdverseEventForm(request.POST)
    if not form.is_valid():
        form_errors(request, form)
        return None
    services.record_adverse_event(session, **form.cleaned_data, actor=request.user)
    return _("The adverse event is recorded.")


@_step(*INFUSION_ROLES)
def infusion_discharge(request, session):
    form = forms.DischargeForm(request.POST)
    if not form.is_valid():
        form_errors(request, form)
        return None
    services.discharge_patient(session, **form.cleaned_data, actor=request.user)
    return _("The patient has been discharged.")


@staff(*INFUSION_ROLES, object_rule="treatment.access.get_infusion_for")
@require_POST
def infusion_vitals(request, session_id):
    """Record one reading. Answers JSON to the offline queue (vitals.js), redirects a form."""
    session = get_infusion_for(request.user, session_id)
    wants_json = "application/json" in request.headers.get("Accept", "")
    form = forms.VitalsForm(request.POST)
    if not form.is_valid():
        if wants_json:
            return JsonResponse({"status": "invalid", "errors": form.errors}, status=400)
        form_errors(request, form)
        return redirect("treatment:infusion", session_id=session.public_id)
    data = dict(form.cleaned_data)
    key = data.pop("idempotency_key")
    try:
        vitals, created = services.record_vitals(
            session, reading=services.VitalsInput(**data), idempotency_key=key, actor=request.user
        )
    except services.TreatmentRefused as refusal:
        if wants_json:
            audit_refusal(request, refusal, patient=session.patient, obj=session)
            return JsonResponse({"status": "refused", "message": str(refusal)}, status=409)
        refused(request, refusal, patient=session.patient, obj=session)
        return redirect("treatment:infusion", session_id=session.public_id)
    if wants_json:
        return JsonResponse(
            {
                "status": "recorded" if created else "duplicate",
                "key": str(vitals.idempotency_key),
                "measured_at": vitals.measured_at.isoformat(),
            },
            status=201 if created else 200,
        )
    if created:
        alerts = vitals.alerts.count()
        if alerts:
            messages.warning(request, _("Out of range: an alert needs an action."))
        else:
            messages.success(request, _("The reading is recorded."))
    else:
        messages.info(request, _("This reading had already been recorded."))
    return redirect("treatment:infusion", session_id=session.public_id)


@_step(*INFUSION_ROLES)
def infusion_vitals_error(request, session):
    try:
        key = uuid.UUID(request.POST.get("reading", ""))
    except ValueError:
        key = None
    reading = session.vitals.standing().filter(idempotency_key=key).first()
    reason = request.POST.get("reason", "")
    if reading is None or len(reason) > 500 or "\x00" in reason:
        raise services.TreatmentRefused(_("Choose a reading and give the reason."))
    records.strike_out(reading, reason=reason, actor=request.user)
    return _("The reading is marked as entered in error.")


@staff(*INFUSION_ROLES, object_rule="treatment.access.get_alert_for")
@require_POST
def alert_resolve(request, alert_id):
    alert = get_alert_for(request.user, alert_id)
    form = forms.AlertForm(request.POST)
    if not form.is_valid():
        form_errors(request, form)
    else:
        try:
            services.resolve_alert(alert, **form.cleaned_data, actor=request.user)
        except services.TreatmentRefused as refusal:
            refused(request, refusal, patient=alert.session.patient, obj=alert.session)
        else:
            messages.success(request, _("The alert is closed."))
    return redirect("treatment:infusion", session_id=alert.session.public_id)


@staff(Role.PHYSICIAN, object_rule="treatment.access.get_alert_for")
@require_POST
def alert_acknowledge(request, alert_id):
    alert = get_alert_for(request.user, alert_id)
    try:
        services.acknowledge_alert(alert, actor=request.user)
    except services.TreatmentRefused as refusal:
        refused(request, refusal, patient=alert.session.patient, obj=alert.session)
    else:
        messages.success(request, _("The alert is acknowledged."))
    return redirect("treatment:infusion", session_id=alert.session.public_id)


@staff(*INFUSION_ROLES, object_rule="treatment.access.get_infusion_for")
def infusion_record(request, session_id, language):
    """The session record as a PDF, in the patient's language or the other one."""
    if language not in ("uk", "en"):
        raise Http404
    session = get_infusion_for(request.user, session_id)
    with translation.override(language):
        context = _infusion_context(session, request.user)
        context["language"] = language
        context["register"] = links.register_summary(session)
        html = render_to_string("treatment/infusion_record.html", context, request=request)
    pdf = render_pdf(html)
    audit(request.user, "infusion.record.printed", session.patient, obj=session, reason=language)
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"infusion-{session.patient.record_number}-{session.created_at:%Y%m%d}-{language}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response
