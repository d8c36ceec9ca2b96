"""Everything treatment needs from other parts of the record, behind one seam: the patient
record (eligibility, consent, weight) and the controlled-drug register."""

import uuid
from dataclasses import dataclass
from decimal import Decimal

from clinic.controlled_drugs import services as register
from clinic.controlled_drugs.ledger import LedgerRefused
from clinic.controlled_drugs.models import ZERO
from clinic.controlled_drugs.selectors import (
    KETAMINE_INN,
    administrations_for_session,
    entries_for_session,
    unaccounted_for_session,
)
from clinic.core.errors import Refused
from clinic.patients import selectors as record
from clinic.patients.models import ConsentPurpose
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


def latest_weight(patient):
    """(weight_kg, measured_on) from the record, or None; the pre-check then records it."""
    return record.latest_weight(patient)


def score_scale(code: str, answers: list, *, discharge_min: int | None = None) -> int:
    """Total of a CADSS / CADSS-6 / MOAA/S / modified Aldrete / PADSS rating, scored by the
    rating-scales module from option positions in item order; `scales.ScaleError` when the
    answers do not fit."""
    return scales.score(code, answers, discharge_min=discharge_min)


def ampoule_unaccounted_mg(session) -> Decimal:
    """Ketamine drawn for the session and not yet given or destroyed, per the register (its
    administrations carry the session as clinical reference). A session cannot be closed while
    this is not zero.

    Once the infusion began, a session the register holds no administration for has the whole
    signed dose unaccounted: the drug was given, so it must have left a safe.
    """
    if session.infusion_started_at is None:
        return ZERO
    if not administrations_for_session(session.public_id).exists():
        dose = session.doses.filter(replaced_by__isnull=True).order_by("pk").last()
        return dose.dose_mg if dose is not None else ZERO
    return unaccounted_for_session(session.public_id)


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
    return holding.lot.drug.inn.casefold() == KETAMINE_INN


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


@dataclass(frozen=True)
class RegisterSummary:
    entries: list
    administered_mg: Decimal | None
    unaccounted_mg: Decimal

    @property
    def has_administration(self) -> bool:
        return self.administered_mg is not None


def register_summary(session) -> RegisterSummary:
    """What the session page shows of the register: its entries and what is unaccounted."""
    return RegisterSummary(
        entries=list(entries_for_session(session.public_id)),
        administered_mg=registered_administered_mg(session),
        unaccounted_mg=ampoule_unaccounted_mg(session),
    )
