"""Transcranial electrical stimulation sessions."""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.core.audit import audit
from clinic.courses.models import Modality
from clinic.locations.models import Room
from clinic.treatment import links, rules
from clinic.treatment.models import (
    TesSession,
)
from clinic.treatment.selectors import (
    SESSION_TES,
    rules_for,
)
from clinic.treatment.services.common import (
    TreatmentRefused,
)
from clinic.treatment.services.visits import (
    check_in_visit,
    check_visit,
)


@transaction.atomic
def start_tes_session(
    patient,
    *,
    room,
    course=None,
    appointment=None,
    device,
    serial_number,
    stimulation,
    anode,
    cathode,
    electrode_area_cm2: Decimal,
    current_ma: Decimal,
    minutes: int,
    ramp_up_seconds: int,
    ramp_down_seconds: int,
    skin_before,
    skin_before_note="",
    actor,
) -> TesSession:
    """Start a TES session after the skin check; parameters above the site's limits are refused."""
    if room.kind != Room.Kind.TES or room.site_id != patient.home_site_id:
        raise TreatmentRefused(_("Choose a TES room of the patient's site."), action="tes.refused")
    if course is not None and (course.patient_id != patient.pk or course.modality != Modality.TES):
        raise TreatmentRefused(_("Choose a TES course of this patient."), action="tes.refused")
    if anode == cathode:
        raise TreatmentRefused(
            _("Anode and cathode must be at different positions."), action="tes.refused"
        )
    if appointment is not None:
        appointment = links.lock_visit(appointment)
        check_visit(appointment, patient=patient, kind=SESSION_TES)
    if skin_before == "lesion":
        raise TreatmentRefused(
            _("Do not stimulate over damaged skin: move the electrode or postpone."),
            action="tes.refused",
        )
    derived = rules.tes_derived(
        current_ma=current_ma, minutes=minutes, electrode_area_cm2=electrode_area_cm2
    )
    problems = rules.tes_problems(
        current_ma=current_ma,
        minutes=minutes,
        charge_c=derived.charge_c,
        rules=rules_for(patient.home_site),
    )
    if problems:
        raise TreatmentRefused(" ".join(problems), action="tes.limits.refused")
    if appointment is not None:
        check_in_visit(appointment, actor=actor)
    tes = TesSession.objects.create(
        patient=patient,
        site=patient.home_site,
        room=room,
        course=course,
        appointment=appointment,
        device=device,
        serial_number=serial_number,
        stimulation=stimulation,
        anode=anode,
        cathode=cathode,
        electrode_area_cm2=electrode_area_cm2,
        current_ma=current_ma,
        minutes=minutes,
        ramp_up_seconds=ramp_up_seconds,
        ramp_down_seconds=ramp_down_seconds,
        charge_c=derived.charge_c,
        current_density_ma_cm2=derived.current_density_ma_cm2,
        skin_before=skin_before,
        skin_before_note=skin_before_note,
        performed_by=actor,
    )
    audit(actor, "tes.started", patient, obj=tes, reason=f"{current_ma} mA {minutes} min")
    return tes


@transaction.atomic
def complete_tes_session(
    tes, *, skin_after, skin_after_note="", sensations="", adverse_effects="", actor
) -> TesSession:
    """Close a TES session with the skin check after, sensations and adverse effects."""
    tes = (
        TesSession.objects.select_for_update(of=("self",), no_key=True)
        .select_related("patient")
        .get(pk=tes.pk)
    )
    if tes.status != TesSession.Status.STARTED:
        raise TreatmentRefused(_("This session has already been completed."))
    tes.skin_after, tes.skin_after_note = skin_after, skin_after_note
    tes.sensations, tes.adverse_effects = sensations, adverse_effects
    tes.status, tes.completed_at = TesSession.Status.COMPLETED, timezone.now()
    tes.save()
    # The visit's row lock comes before the audit row (docs/architecture.md, lock order).
    if tes.appointment_id is not None:
        links.complete_visit(tes.appointment, actor=actor)
    audit(actor, "tes.completed", tes.patient, obj=tes, reason=skin_after)
    return tes
