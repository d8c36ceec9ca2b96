"""Approving a course of ketamine treatment: the checks before the course of care opens."""

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format, localize
from django.utils.translation import gettext as _

from clinic.core.audit import audit
from clinic.courses import services as courses
from clinic.courses.models import Condition, Course, Modality
from clinic.treatment import links
from clinic.treatment.selectors import (
    rules_for,
)
from clinic.treatment.services.common import (
    TreatmentRefused,
    require_physician,
)


@transaction.atomic
def approve_course(
    patient,
    *,
    modality,
    indication,
    planned_sessions,
    condition=Condition.UNSPECIFIED,
    plan="",
    target_dose_mg_per_kg=None,
    infusion_minutes=None,
    eligibility_confirmed=False,
    responsible_physician=None,
    actor,
) -> Course:
    """A physician approves a treatment plan for one patient and indication.

    For IV ketamine the record decides: the consent must be on the chart, and a "not eligible"
    decision in force refuses the course. Only with no decision on file does the approving
    physician's own confirmation (`eligibility_confirmed`) stand in for it.
    """
    require_physician(actor, _("approve a treatment course"))
    eligibility = None
    consent_on_file = False
    if modality == Modality.IV_KETAMINE:
        settings = rules_for(patient.home_site)
        target_dose_mg_per_kg = target_dose_mg_per_kg or settings.default_dose_mg_per_kg
        infusion_minutes = infusion_minutes or settings.default_infusion_minutes
        if target_dose_mg_per_kg > settings.max_dose_mg_per_kg:
            raise TreatmentRefused(
                _("The target dose is above this site's maximum of %(limit)s mg/kg.")
                % {"limit": localize(settings.max_dose_mg_per_kg)},
                action="course.refused",
            )
        consent_on_file = links.ketamine_consent_on_file(patient)
        if not consent_on_file:
            raise TreatmentRefused(
                _(
                    "No ketamine-therapy consent is on the patient's chart. Record the signed "
                    "consent on the chart first."
                ),
                action="course.refused",
            )
        eligibility = links.ketamine_eligibility(patient)
        if eligibility is not None and not eligibility.is_eligible:
            raise TreatmentRefused(
                _(
                    "On %(date)s %(physician)s decided that the patient is not eligible for "
                    "ketamine. A new eligibility decision is needed before a course."
                )
                % {
                    "date": date_format(timezone.localdate(eligibility.decided_at)),
                    "physician": str(eligibility.decided_by),
                },
                action="course.refused",
            )
        if eligibility is None and not eligibility_confirmed:
            raise TreatmentRefused(
                _(
                    "No eligibility decision is on file. Confirm that you have assessed the "
                    "patient as eligible, or record the decision first."
                ),
                action="course.refused",
            )
    else:
        target_dose_mg_per_kg = infusion_minutes = None
    course = courses.open_course(
        patient,
        modality=modality,
        indication=indication,
        condition=condition,
        planned_sessions=planned_sessions,
        plan=plan,
        target_dose_mg_per_kg=target_dose_mg_per_kg,
        infusion_minutes=infusion_minutes,
        ketamine_consent_confirmed=consent_on_file,
        eligibility_reference=str(getattr(eligibility, "public_id", "") or ""),
        eligibility_confirmed_by_physician=modality == Modality.IV_KETAMINE and eligibility is None,
        responsible_physician=responsible_physician,
        actor=actor,
    )
    if course.eligibility_confirmed_by_physician:
        audit(
            actor,
            "course.eligibility.confirmed_without_decision",
            patient,
            obj=course,
            reason="no eligibility decision on file; confirmed by the approving physician",
        )
    return course
