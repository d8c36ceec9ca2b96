"""Clinician-Administered Dissociative States Scale (Bremner 1998), 23-item version used in
ketamine studies. Licence and item wording UNCONFIRMED [R31]: item numbers only.
domain.md §2.9."""

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _

from clinic.assessments.instruments.base import (
    Instrument,
    Item,
    Licence,
    Result,
    numbered_item,
    scores_0_to,
)

# CADSS-6 short form: items 1, 2, 6, 7, 15, 22 (rho 0.91-0.95 vs the full scale) [R31].
SHORT_FORM = (1, 2, 6, 7, 15, 22)


def score_cadss(instrument: Instrument, answers: list, thresholds: Mapping) -> Result:
    scores = instrument.item_scores(answers)
    return Result(
        code=instrument.code,
        version=instrument.version,
        total=sum(scores),
        band="",
        item_scores=scores,
        details={"cadss6": sum(scores[n - 1] for n in SHORT_FORM)},
    )


INSTRUMENT = Instrument(
    code="cadss",
    name=_("Clinician-Administered Dissociative States Scale (CADSS)"),
    short_name="CADSS",
    version="cadss23-1998.1",
    items=tuple(
        Item(number=n, name=numbered_item(n), options=scores_0_to(4)) for n in range(1, 24)
    ),
    licence=Licence.UNCONFIRMED,
    recall=_("current state"),
    source="Bremner 1998 [R31]",
    scorer=score_cadss,
    max_total=92,  # 23 x 4 (derived)
)
