"""Making up a signed dose at the chair and the second person's check of it.

The arithmetic is `clinic.treatment.preparation.prepare`; these services take its facts from
the session (the current signed dose, the site's maximum rate) and the register (the lot's
strength), store what it computed, and hold the infusion until someone other than the
preparer has checked the syringe or bag and the pump (ISMP: ketamine is a high-alert
medicine; an independent double check before it is given).
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.core.audit import audit
from clinic.treatment import links, preparation
from clinic.treatment.models import DosePreparation
from clinic.treatment.selectors import rules_for
from clinic.treatment.services.common import Status, TreatmentRefused, locked_session

# A dose is prepared and checked while it can still be given.
PREPARING = (Status.PRECHECKED, Status.INFUSING, Status.INTERRUPTED)


@dataclass(frozen=True)
class PreparationInput:
    holding: object
    method: str
    final_volume_ml: Decimal | None = None
    draw_step_ml: Decimal | None = None


def _current_dose(session):
    return session.doses.filter(replaced_by__isnull=True).last()


def calculate_preparation(session, *, prepared: PreparationInput) -> preparation.Preparation:
    """What the preparation would be for the session's current dose (nothing is written):
    the page's "calculate" step and the first step of recording it."""
    dose = _current_dose(session)
    if dose is None:
        raise TreatmentRefused(
            _("The dose has not been signed by a physician."),
            action="infusion.preparation.refused",
        )
    holding = prepared.holding
    if holding.safe.site_id != session.site_id or not links.is_ketamine(holding):
        raise TreatmentRefused(
            _("Choose a lot of ketamine kept at this site."),
            action="infusion.preparation.refused",
        )
    try:
        return preparation.prepare(
            preparation.Prescription(dose.mg_per_kg, dose.weight_kg, dose.minutes),
            strength_mg_per_ml=links.strength_mg_per_ml(holding),
            method=prepared.method,
            final_volume_ml=prepared.final_volume_ml,
            draw_step_ml=prepared.draw_step_ml,
            max_mg_per_kg_per_min=rules_for(session.site).max_rate_mg_per_kg_per_min,
        )
    except preparation.PreparationRefused as refusal:
        raise TreatmentRefused(str(refusal), action=refusal.code) from refusal


@transaction.atomic
def record_dose_preparation(session, *, prepared: PreparationInput, actor) -> DosePreparation:
    """The nurse records how the current signed dose was made up; the values stored are the
    ones `preparation.prepare` computed, never typed in."""
    session = locked_session(session)
    if session.status not in PREPARING:
        raise TreatmentRefused(
            _("A dose is prepared after it is signed and before the infusion ends."),
            action="infusion.preparation.refused",
        )
    dose = _current_dose(session)
    if dose is not None and DosePreparation.objects.filter(dose=dose).exists():
        raise TreatmentRefused(
            _("This dose is already prepared. A changed dose needs a new preparation."),
            action="infusion.preparation.refused",
        )
    result = calculate_preparation(session, prepared=prepared)
    record = DosePreparation.objects.create(
        dose=dose,
        holding=prepared.holding,
        strength_mg_per_ml=result.strength_mg_per_ml,
        method=result.method,
        final_volume_ml=prepared.final_volume_ml,
        draw_step_ml=result.draw_step_ml,
        drug_volume_ml=result.drug_volume_ml,
        dose_given_mg=result.dose_given_mg,
        total_volume_ml=result.total_volume_ml,
        final_concentration_mg_per_ml=result.final_concentration_mg_per_ml,
        rate_ml_per_h=result.rate_ml_per_h,
        mg_per_kg_per_min=result.mg_per_kg_per_min,
        prepared_by=actor,
    )
    audit(
        actor,
        "infusion.preparation.recorded",
        session.patient,
        obj=session,
        reason=(
            f"{result.drug_volume_ml} ml of {result.strength_mg_per_ml} mg/ml "
            f"({result.dose_given_mg.normalize():f} mg) in {result.total_volume_ml} ml "
            f"at {result.rate_ml_per_h} ml/h"
        ),
    )
    return record


@transaction.atomic
def check_dose_preparation(
    session, *, drug_volume_ml: Decimal, rate_ml_per_h: Decimal, actor
) -> DosePreparation:
    """A second person checks the prepared dose: they read the volume drawn and the rate set
    on the pump, and both must match the preparation. The preparer cannot check their own."""
    session = locked_session(session)
    dose = _current_dose(session)
    record = (
        # Lock order: docs/architecture.md, "Locks and their order" (the session, then its part).
        DosePreparation.objects.select_for_update(of=("self",), no_key=True)
        .filter(dose=dose)
        .first()
        if dose is not None
        else None
    )
    if record is None:
        raise TreatmentRefused(
            _("The current dose has not been prepared yet."),
            action="infusion.preparation.check.refused",
        )
    if record.is_checked:
        raise TreatmentRefused(
            _("This preparation has already been checked."),
            action="infusion.preparation.check.refused",
        )
    if record.prepared_by_id == actor.pk:
        raise TreatmentRefused(
            _("The double check is done by a second person, not the one who prepared the dose."),
            action="infusion.preparation.check.refused",
        )
    if drug_volume_ml != record.drug_volume_ml or rate_ml_per_h != record.rate_ml_per_h:
        raise TreatmentRefused(
            _(
                "What you read does not match the preparation (%(ml)s ml drawn, %(rate)s "
                "ml/h). Read again; if the syringe or the pump differs, do not start: the "
                "physician signs the dose again and it is prepared anew."
            )
            % {"ml": record.drug_volume_ml, "rate": record.rate_ml_per_h},
            action="infusion.preparation.check.refused",
        )
    record.checked_by, record.checked_at = actor, timezone.now()
    record.save(update_fields=["checked_by", "checked_at"])
    audit(actor, "infusion.preparation.checked", session.patient, obj=session)
    return record
