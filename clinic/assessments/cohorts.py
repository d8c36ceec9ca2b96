"""What other records say about patients, for outcome breakdowns and chart markers.

The intake (presenting conditions), the infusion sessions and the medication record are
other apps' data. These functions are the single seam through which they arrive; until those
apps are wired in they return the neutral answer.
"""

from datetime import date

from clinic.assessments.models import Condition


def condition_of(patient_ids) -> dict[int, str]:
    """Presenting condition per patient from the intake; "unspecified" until it is wired."""
    return dict.fromkeys(patient_ids, Condition.UNSPECIFIED.value)


def infusion_count(patient_ids) -> dict[int, int]:
    """Infusions given per patient (infusion sessions app); 0 until it is wired."""
    return dict.fromkeys(patient_ids, 0)


def treatment_markers(patient) -> list[tuple[date, str]]:
    """(day, label) of infusions and medication changes for the trend charts; [] for now."""
    return []
