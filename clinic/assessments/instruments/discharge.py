"""The two discharge scores (domain.md §2.12): shared scoring, the criteria in each module."""

from collections.abc import Mapping

from clinic.assessments.instruments.base import Instrument, Result


def score_discharge(instrument: Instrument, answers: list, thresholds: Mapping) -> Result:
    scores = instrument.item_scores(answers)
    total = sum(scores)
    default = instrument.settings["discharge_min"][0]
    fit = total >= instrument.threshold(thresholds, "discharge_min", default)
    return Result(
        code=instrument.code,
        version=instrument.version,
        total=total,
        band="fit" if fit else "not_fit",
        item_scores=scores,
        details={"fit_for_discharge": fit},
    )
