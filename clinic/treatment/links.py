"""Everything treatment needs from other parts of the record, behind one seam: the patient
record (eligibility, consent, weight) and the controlled-drug register."""

import uuid
from dataclasses import dataclass
from decimal import Decimal

from clinic.controlled_drugs import services as register
from clinic.controlled_drugs.ledger import LedgerRefused
from clinic.controlled_drugs.models import ZERO, Substance
from clinic.controlled_drugs.selectors import (
    administrations_for_session,
    entries_for_session,
    ketamine_holdings,
    unaccounted_for_session,
)
from clinic.core.errors import Refused
from clinic.patients import selectors as record
from clinic.patients.models import ConsentPurpose
from clinic.patients.screening import BloodPressureLimits
from clinic.treatment import scales


def ketamine_eligibility(patient):
    """The physician's eligibility decision on file for ketamine, or None when there is none.

    With None, a ketamine course needs the approving physician's explicit confirmation.
    """
    return record.current_ketamine_eligibility(patient)


def eligibility_decision_of(course):
    """The eligibility decision a ketamine course was approved on (named by its public id on
    the course), or None when the physician confirmed eligibility without one."""
    try:
        public_id = uuid.UUID(course.eligibility_reference)
    except ValueError:
        return None  # none was needed (the physician confirmed) or an old free-text reference
    return record.eligibility_decisions(course.patient).filter(public_id=public_id).first()


def ketamine_consent_on_file(patient) -> bool:
    """A ketamine-therapy consent recorded in the chart and not withdrawn."""
    return record.has_consent(patient, ConsentPurpose.KETAMINE)


# The formulary's interaction of a medicine -> the pre-check's interaction list (InteractionRule
# codes, treatment migration 0002): both follow domain.md §7.
PRECHECK_RULE_OF_INTERACTION = {
    "benzodiazepine": "benzodiazepines",
    "lamotrigine": "lamotrigine",
    "naltrexone": "naltrexone",
    "cyp_inducer": "cyp_modulators",
    "cyp_inhibitor": "cyp_modulators",
    "cns_depressant": "cns_depressants",
    "maoi": "stimulants_maois",
    "stimulant": "stimulants_maois",
    "theophylline": "theophylline",
}
BREASTFEEDING_ON_CHART = ("exclusive", "mixed", "expressing")


@dataclass(frozen=True)
class PrecheckChart:
    """What the patient's record says that the pre-check asks again."""

    sex: str
    has_intake: bool
    pregnant: bool
    breastfeeding: str  # the intake's value: exclusive / mixed / expressing / none / ""
    allergies: str
    no_known_allergies: bool
    weight: tuple | None  # (kg, measured_on)
    emergency_contact: tuple[str, str, str] | None  # (name, phone, relation)
    medicines: tuple[tuple[str, str], ...]  # (name, pre-check interaction rule code)

    @property
    def is_breastfeeding(self) -> bool:
        return self.breastfeeding in BREASTFEEDING_ON_CHART


def precheck_chart(patient) -> PrecheckChart:
    """The record's pregnancy, breastfeeding, allergies, weight, emergency contact and current
    medicines that interact with ketamine, for prefilling and checking the pre-check."""
    intake = record.current_intake(patient)
    facts = record.screen_facts(patient)
    contact = None
    if patient.emergency_contact_name and patient.emergency_contact_phone:
        contact = (
            patient.emergency_contact_name,
            str(patient.emergency_contact_phone),
            patient.emergency_contact_relation,
        )
    return PrecheckChart(
        sex=patient.sex,
        has_intake=intake is not None,
        pregnant=bool(intake and intake.pregnant),
        breastfeeding=intake.breastfeeding if intake else "",
        allergies=intake.allergies.strip() if intake else "",
        no_known_allergies=bool(intake and intake.no_known_allergies),
        weight=record.latest_weight(patient),
        emergency_contact=contact,
        medicines=tuple(
            (name, PRECHECK_RULE_OF_INTERACTION[interaction])
            for name, interaction in facts.medications
            if interaction in PRECHECK_RULE_OF_INTERACTION
        ),
    )


def blood_pressure_limits(site_id: int) -> BloodPressureLimits:
    """The site's pre-dose blood-pressure thresholds in force, for the record's ketamine screen
    (handed to `patients.limits` in `TreatmentConfig.ready()`)."""
    from clinic.treatment.models import TreatmentSettings

    settings = TreatmentSettings.objects.filter(site_id=site_id).first() or TreatmentSettings()
    return BloodPressureLimits(
        block_systolic=settings.bp_block_systolic,
        block_diastolic=settings.bp_block_diastolic,
        warn_systolic=settings.bp_warn_systolic,
        warn_diastolic=settings.bp_warn_diastolic,
    )


def score_scale(code: str, answers: list, *, discharge_min: int | None = None) -> int:
    """Total of a CADSS / CADSS-6 / MOAA/S / modified Aldrete / PADSS rating, scored by the
    rating-scales module from option positions in item order; `scales.ScaleError` when the
    answers do not fit."""
    return scales.score(code, answers, discharge_min=discharge_min)


def ampoule_unaccounted_mg(session) -> Decimal:
    """Ketamine drawn for the session and not yet given or destroyed, per the register (its
    administrations carry the session as clinical reference). A session cannot be closed while
    this is not zero.

    What the session gave and no administration accounts for yet (the second lot of a dose
    drawn from two) is unaccounted too. Once the infusion began, a session the register holds
    no administration for has the whole dose unaccounted: the drug was given, so it must have
    left a safe. That is the dose as it was prepared (the volume drawn x the lot's strength),
    or the signed dose for an order from before preparations.
    """
    if session.infusion_started_at is None:
        return ZERO
    registered = registered_administered_mg(session)
    if registered is None:
        dose = session.doses.filter(replaced_by__isnull=True).order_by("pk").last()
        if dose is None:
            return ZERO
        prepared = getattr(dose, "preparation", None)
        return dose.dose_mg if prepared is None else prepared.dose_given_mg
    # Given in the session and not yet in any administration (a second lot still to enter).
    given = session.administered_mg
    missing = max(given - registered, ZERO) if given is not None else ZERO
    return unaccounted_for_session(session.public_id) + missing


# Scheduling: the visit a session fulfils -----------------------------------------------------


def lock_visit(appointment):
    """The appointment row, locked: two nurses starting the same visit wait for each other."""
    from clinic.scheduling.models import Appointment

    return (
        # Lock order: docs/architecture.md, "Locks and their order".
        Appointment.objects.select_for_update(of=("self",), no_key=True)
        .select_related("patient", "site", "visit_type", "room")
        .get(pk=appointment.pk)
    )


def lock_visit_rooms(appointment, *, rooms):
    """Bookings' locks on the rooms and the patient, taken before the visit's row as booking
    does (docs/architecture.md, "Locks and their order")."""
    from clinic.scheduling import services as scheduling

    scheduling.lock_resources(rooms=rooms, patients=[appointment.patient])


def change_visit_room(appointment, *, room, actor, reason=""):
    """Seat the visit's patient in another chair: scheduling records and audits the change."""
    from clinic.scheduling import services as scheduling

    return scheduling.change_room(appointment, room=room, actor=actor, reason=reason)


def check_in_visit(appointment, *, actor):
    """Check the patient in for the visit (scheduling's own rule: only on the day)."""
    from clinic.scheduling import services as scheduling

    return scheduling.check_in_appointment(appointment, actor=actor)


def complete_visit(appointment, *, actor):
    """Close a checked-in visit once its session is over; other states are left alone."""
    from clinic.scheduling import services as scheduling
    from clinic.scheduling.models import Appointment

    appointment = lock_visit(appointment)
    if appointment.status == Appointment.Status.CHECKED_IN:
        scheduling.complete_appointment(appointment, actor=actor)


def note_visit_session_ended(appointment, *, note: str, actor):
    from clinic.scheduling import services as scheduling

    scheduling.note_session_ended(appointment, note=note, actor=actor)


# The controlled-drug register: the session's ampoule ---------------------------------------


def is_ketamine(holding) -> bool:
    return holding.lot.drug.substance == Substance.KETAMINE


def holdings_to_prepare_from(site):
    """The lots of ketamine with stock in the site's safes: what a dose is prepared from."""
    return ketamine_holdings(site)


def strength_mg_per_ml(holding) -> Decimal | None:
    """The lot's strength as the register's catalogue gives it (None for a form without one)."""
    return holding.lot.drug.concentration_mg_per_ml


class RegisterRefused(Refused):
    """The register refused the entry; nothing was written. The message is for the person."""

    code = "infusion.administration.refused"


def register_ketamine_administration(
    session, *, holding, drawn_mg, administered_mg, prescribed_by, witness, act_number, note, actor
):
    """Write the session's administration to the register, and the witnessed destruction of
    the residue when less was given than drawn (both or neither)."""
    try:
        administration, _residue = register.record_administration_with_residue(
            lot=holding.lot,
            safe=holding.safe,
            patient=session.patient,
            drawn_mg=drawn_mg,
            administered_mg=administered_mg,
            witness=witness,
            act_number=act_number,
            clinical_reference=session.public_id,
            prescribed_by=prescribed_by,
            note=note,
            actor=actor,
        )
    except LedgerRefused as refusal:
        raise RegisterRefused(str(refusal)) from refusal
    return administration


def registered_administered_mg(session) -> Decimal | None:
    """What the register says the patient received in this session, or None if nothing."""
    amounts = list(
        administrations_for_session(session.public_id).values_list("administered_mg", flat=True)
    )
    return sum(amounts, ZERO) if amounts else None


def registered_drawn_mg(session) -> Decimal:
    """What the register says was drawn (ampoules opened) for this session."""
    amounts = administrations_for_session(session.public_id).values_list("drawn_mg", flat=True)
    return sum(amounts, ZERO)


@dataclass(frozen=True)
class RegisterSummary:
    entries: list
    administered_mg: Decimal | None
    unaccounted_mg: Decimal

    given_mg: Decimal | None = None

    @property
    def has_administration(self) -> bool:
        return self.administered_mg is not None

    @property
    def still_to_enter_mg(self) -> Decimal:
        """What the session gave and no administration records yet."""
        if self.given_mg is None:
            return ZERO
        return max(self.given_mg - (self.administered_mg or ZERO), ZERO)


def register_summary(session) -> RegisterSummary:
    """What the session page shows of the register: its entries and what is unaccounted."""
    return RegisterSummary(
        entries=list(entries_for_session(session.public_id)),
        administered_mg=registered_administered_mg(session),
        unaccounted_mg=ampoule_unaccounted_mg(session),
        given_mg=session.administered_mg,
    )
