"""PTSD Checklist for DSM-5 (Weathers 2013). US Government work, public domain [R29].
domain.md §2.7: total 0-80 and the DSM-5 cluster rule, which can disagree."""

from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from clinic.assessments.instruments.base import (
    Band,
    Instrument,
    Item,
    Licence,
    Result,
    numbered_item,
    scores_0_to,
)

AMOUNT = (_("Not at all"), _("A little bit"), _("Moderately"), _("Quite a bit"), _("Extremely"))

TEXTS = (
    _("Repeated, disturbing, and unwanted memories of the stressful experience?"),
    _("Repeated, disturbing dreams of the stressful experience?"),
    _(
        "Suddenly feeling or acting as if the stressful experience were actually happening "
        "again (as if you were actually back there reliving it)?"
    ),
    _("Feeling very upset when something reminded you of the stressful experience?"),
    _(
        "Having strong physical reactions when something reminded you of the stressful "
        "experience (for example, heart pounding, trouble breathing, sweating)?"
    ),
    _("Avoiding memories, thoughts, or feelings related to the stressful experience?"),
    _(
        "Avoiding external reminders of the stressful experience (for example, people, places, "
        "conversations, activities, objects, or situations)?"
    ),
    _("Trouble remembering important parts of the stressful experience?"),
    _(
        "Having strong negative beliefs about yourself, other people, or the world (for "
        "example, having thoughts such as: I am bad, there is something seriously wrong with "
        "me, no one can be trusted, the world is completely dangerous)?"
    ),
    _("Blaming yourself or someone else for the stressful experience or what happened after it?"),
    _("Having strong negative feelings such as fear, horror, anger, guilt, or shame?"),
    _("Loss of interest in activities that you used to enjoy?"),
    _("Feeling distant or cut off from other people?"),
    _(
        "Trouble experiencing positive feelings (for example, being unable to feel happiness "
        "or have loving feelings for people close to you)?"
    ),
    _("Irritable behavior, angry outbursts, or acting aggressively?"),
    _("Taking too many risks or doing things that could cause you harm?"),
    _("Being “superalert” or watchful or on guard?"),
    _("Feeling jumpy or easily startled?"),
    _("Having difficulty concentrating?"),
    _("Trouble falling or staying asleep?"),
)

# DSM-5 clusters and the number of endorsed items (score >= 2) each needs [R29].
CLUSTERS = (
    ("B", range(1, 6), 1),
    ("C", range(6, 8), 1),
    ("D", range(8, 15), 2),
    ("E", range(15, 21), 2),
)
ENDORSED_MIN = 2
DEFAULT_CUTOFF = 33  # probable PTSD 31-33 commonly; 38 in earlier VA guidance [R29]


def score_pcl5(instrument: Instrument, answers: list, thresholds: Mapping) -> Result:
    scores = instrument.item_scores(answers)
    total = sum(scores)
    clusters = {name: sum(scores[n - 1] for n in numbers) for name, numbers, _needed in CLUSTERS}
    rule_met = all(
        sum(1 for n in numbers if scores[n - 1] >= ENDORSED_MIN) >= needed
        for _name, numbers, needed in CLUSTERS
    )
    bands = instrument.bands_with(thresholds)
    return Result(
        code=instrument.code,
        version=instrument.version,
        total=total,
        band=instrument.band_for(total, bands),
        item_scores=scores,
        details={"clusters": clusters, "dsm5_rule_met": rule_met},
    )


@dataclass(frozen=True)
class Pcl5(Instrument):
    def bands_with(self, thresholds=None):
        cutoff = self.threshold(thresholds, "screen_cutoff", DEFAULT_CUTOFF)
        cutoff = min(max(int(cutoff), 1), 80)
        return (
            Band("below_cutoff", _("below cut-off"), 0, cutoff - 1),
            Band("probable", _("probable PTSD"), cutoff, 80),
        )


INSTRUMENT = Pcl5(
    code="pcl5",
    name=_("PTSD Checklist for DSM-5 (PCL-5)"),
    short_name="PCL-5",
    version="pcl5-2013.1",
    instructions=_(
        "Below is a list of problems that people sometimes have in response to a very "
        "stressful experience. In the past month, how much were you bothered by:"
    ),
    items=tuple(
        Item(number=n, name=numbered_item(n), text=text, options=scores_0_to(4, AMOUNT))
        for n, text in enumerate(TEXTS, start=1)
    ),
    licence=Licence.PUBLIC_DOMAIN,
    languages=("uk", "en"),
    recall=_("past month"),
    source="Weathers 2013 [R29]",
    scorer=score_pcl5,
    self_report=True,
    max_total=80,
    remission_max=None,
    remission_source="No remission cut-off in domain.md; clinically meaningful change ~10 "
    "points [R29-bis]",
    settings={
        "screen_cutoff": (DEFAULT_CUTOFF, "probable PTSD 31–33 commonly; 38 earlier VA [R29]")
    },
)
