"""The rating scales, one module each, and the one entry point that scores them.

    from clinic.assessments.instruments import score, ScoringError
    result = score("phq9", [3, 3, 3, 3, 3, 3, 2, 2, 1])   # total 23, band "severe", safety

`answers` are option positions in item order (0 = the first option as printed). Invalid
input raises `ScoringError` with a message; nothing else is raised for any input.
"""

from collections.abc import Mapping

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clinic.assessments.instruments import (
    aldrete,
    bprs,
    cadss,
    cadss6,
    cssrs,
    epds,
    gad7,
    madrs,
    moaas,
    padss,
    pcl5,
    phq9,
    qids_sr16,
)
from clinic.assessments.instruments.base import (
    Instrument,
    Licence,
    Result,
    ScoringError,
)

__all__ = ["INSTRUMENTS", "Instrument", "Licence", "Result", "ScoringError", "get", "score"]

INSTRUMENTS: dict[str, Instrument] = {
    module.INSTRUMENT.code: module.INSTRUMENT
    for module in (
        phq9,
        gad7,
        epds,
        madrs,
        qids_sr16,
        pcl5,
        cssrs,
        cadss,
        cadss6,
        moaas,
        aldrete,
        padss,
        bprs,
    )
}

# Flags that must reach a clinician, with what the alert says about them.
SAFETY_FLAGS = {
    "phq9_item9": gettext_lazy("PHQ-9, item 9 (thoughts of death or self-harm)"),
    "epds_item10": gettext_lazy("EPDS, item 10 (thoughts of self-harm)"),
    "qids_item12": gettext_lazy("QIDS-SR16, item 12 (thoughts of death or suicide)"),
    "madrs_item10": gettext_lazy("MADRS, item 10 (suicidal thoughts)"),
    "cssrs_moderate": gettext_lazy("C-SSRS: moderate risk"),
    "cssrs_high": gettext_lazy("C-SSRS: high risk"),
}


def get(code: str) -> Instrument:
    try:
        return INSTRUMENTS[code]
    except (KeyError, TypeError):
        raise ScoringError(
            _("There is no rating scale called %(code)r.") % {"code": code}
        ) from None


def score(code: str, answers, thresholds: Mapping | None = None) -> Result:
    """Score one administration. `thresholds`: the clinic's configured levels (ScaleSettings)."""
    return get(code).score(answers, thresholds)
