"""The ratings taken at the chair, as the rating-scales module defines them (domain.md
§2.9-§2.12): CADSS-6, CADSS, MOAA/S and the two discharge scores. Items, options and scoring
live in `clinic.assessments.instruments`, one definition per instrument; this module only
says which of them a session uses. Answers are option positions in item order.

The discharge threshold that decides "ready for discharge" is the site's
(`TreatmentSettings.discharge_threshold`), not the rating-scales setting: the treatment rules
are the one place that decides discharge, and the score passes that threshold on.
"""

from clinic.assessments.instruments import ScoringError, get

ScaleError = ScoringError

# The in-session ratings, in the order the session page offers them.
SESSION_SCALES = ("cadss6", "cadss", "moaas", "aldrete", "padss")
DISCHARGE_SCALES = ("aldrete", "padss")


def instrument(code: str):
    """The definition of a session rating; ScaleError for any other code."""
    if code not in SESSION_SCALES:
        raise ScaleError(f"{code!r} is not a session rating")
    return get(code)


def name(code: str):
    return instrument(code).short_name


def score(code: str, answers, *, discharge_min: int | None = None) -> int:
    """The total of a complete set of answers (option positions); ScaleError otherwise."""
    thresholds = {"discharge_min": discharge_min} if discharge_min is not None else None
    return instrument(code).score(answers, thresholds).total
