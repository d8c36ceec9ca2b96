"""Everything treatment needs from other parts of the record, behind one seam.

Each function works today with what this app knows; when the patient record (eligibility,
weight), rating scales and the controlled-drug register arrive, these bodies delegate to
them and nothing else in the app changes.
"""

from decimal import Decimal

from clinic.treatment import scales


def ketamine_eligibility(patient):
    """The eligibility decision on file for ketamine, or None when there is none.

    With None, a ketamine course needs the approving physician's explicit confirmation.
    """
    return None


def latest_weight(patient):
    """(weight_kg, measured_on) from the record, or None; the pre-check then records it."""
    return None


def score_scale(code: str, answers: dict) -> int:
    """Total of a CADSS / CADSS-6 / MOAA/S / modified Aldrete / PADSS rating."""
    return scales.score(code, answers)


def ampoule_unaccounted_mg(session) -> Decimal:
    """Ketamine drawn for the session and not yet given or wasted (controlled-drug register).

    A session cannot be closed while this is not zero.
    """
    return Decimal("0")
