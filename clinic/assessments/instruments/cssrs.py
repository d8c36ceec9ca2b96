"""Columbia Suicide Severity Rating Scale, screener (Posner 2011), triage. © Research
Foundation for Mental Hygiene; electronic versions are licensed exclusively to Clario [R30]:
clinician-entered codes with question names only. domain.md §2.8."""

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _

from clinic.assessments.instruments.base import (
    Band,
    Instrument,
    Item,
    Licence,
    Option,
    Result,
    ScoringError,
)

NO_YES = (Option(0, _("No")), Option(1, _("Yes")))

QUESTIONS = (
    (_("Q1 — wish to be dead (past month)"), False),
    (_("Q2 — non-specific active suicidal thoughts (past month)"), False),
    (_("Q3 — thoughts of a method (past month)"), True),
    (_("Q4 — intent, without a specific plan (past month)"), True),
    (_("Q5 — intent with a specific plan (past month)"), True),
    (_("Q6 — suicidal behaviour (lifetime)"), False),
    (_("Q6 — was it within the past 3 months?"), True),
)

CATEGORIES = (
    Band("none", _("no risk reported"), 0, 0),
    Band("low", _("low risk"), 1, 1),
    Band("moderate", _("moderate risk"), 2, 2),
    Band("high", _("high risk"), 3, 3),
)


def _check_branching(answers: list) -> None:
    """If Q2 = No, Q3-Q5 are skipped; Q6a is asked only after Q6 = Yes [R30]."""
    q2, q6 = answers[1], answers[5]
    for index in (2, 3, 4):
        if q2 == 1 and answers[index] is None:
            raise ScoringError(
                _("Question %(number)s must be answered when question 2 is Yes.")
                % {"number": index + 1}
            )
        if q2 == 0 and answers[index] == 1:
            raise ScoringError(
                _("Question %(number)s is skipped when question 2 is No; it cannot be Yes.")
                % {"number": index + 1}
            )
    if q6 == 1 and answers[6] is None:
        raise ScoringError(_("Say whether the behaviour was within the past 3 months."))
    if q6 == 0 and answers[6] == 1:
        raise ScoringError(_("Without suicidal behaviour there is nothing to date."))


def score_cssrs(instrument: Instrument, answers: list, thresholds: Mapping) -> Result:
    _check_branching(answers)
    q1, q2, q3, q4, q5, q6, q6_recent = (a == 1 for a in answers)
    # Evaluated top-down, as the triage table is (domain.md §2.8).
    if q4 or q5 or (q6 and q6_recent):
        category = "high"
    elif q3 or q6:
        category = "moderate"
    elif q1 or q2:
        category = "low"
    else:
        category = "none"
    safety = (f"cssrs_{category}",) if category in ("moderate", "high") else ()
    return Result(
        code=instrument.code,
        version=instrument.version,
        total=None,
        band=category,
        item_scores=instrument.item_scores(answers),
        safety=safety,
        details={"risk": category},
    )


INSTRUMENT = Instrument(
    code="cssrs",
    name=_("Columbia Suicide Severity Rating Scale, screener (C-SSRS)"),
    short_name="C-SSRS",
    version="cssrs-screener-2011.1",
    items=tuple(
        Item(number=n, name=name, options=NO_YES, conditional=conditional)
        for n, (name, conditional) in enumerate(QUESTIONS, start=1)
    ),
    bands=CATEGORIES,
    licence=Licence.PERMISSION_REQUIRED,
    recall=_("past month (ideation); lifetime and past 3 months (behaviour)"),
    source="Posner 2011 [R30]",
    scorer=score_cssrs,
)
