"""Modified Observer's Assessment of Alertness/Sedation (Chernik 1990), one rating 0-5.
Licence UNCONFIRMED: level numbers only. Options are printed 0 to 5, so the position is the
score. domain.md §2.10."""

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _

from clinic.assessments.instruments.base import Instrument, Item, Licence, Result, scores_0_to

# "Sedated" at or below this level: UNCONFIRMED (e.g. <=3), configurable (domain.md §2.10).
DEFAULT_SEDATION_MAX = 3


def score_moaas(instrument: Instrument, answers: list, thresholds: Mapping) -> Result:
    scores = instrument.item_scores(answers)
    level = scores[0]
    sedation_max = instrument.threshold(thresholds, "sedation_max", DEFAULT_SEDATION_MAX)
    return Result(
        code=instrument.code,
        version=instrument.version,
        total=level,
        band="sedated" if level <= sedation_max else "alert",
        item_scores=scores,
        details={"sedated": level <= sedation_max, "unresponsive": level == 0},
    )


INSTRUMENT = Instrument(
    code="moaas",
    name=_("Modified Observer's Assessment of Alertness/Sedation (MOAA/S)"),
    short_name="MOAA/S",
    version="moaas-1990.1",
    items=(
        Item(
            number=1, name=_("Responsiveness (5 = alert, 0 = no response)"), options=scores_0_to(5)
        ),
    ),
    licence=Licence.UNCONFIRMED,
    recall=_("current"),
    source="Chernik 1990 [R32]",
    scorer=score_moaas,
    max_total=5,
    lower_is_better=False,
    settings={"sedation_max": (DEFAULT_SEDATION_MAX, "UNCONFIRMED: e.g. ≤3 (domain.md §2.10)")},
)
