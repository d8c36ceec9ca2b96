"""QIDS-SR16 (Rush 2003). Licence for embedding UNCONFIRMED [R27]: item names only.
domain.md §2.6: the total is the sum of nine DOMAIN scores, not of the sixteen items."""

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _

from clinic.assessments.instruments.base import (
    AlertItem,
    Band,
    Instrument,
    Item,
    Licence,
    Result,
    scores_0_to,
)

NAMES = (
    _("Item 1 — falling asleep"),
    _("Item 2 — sleep during the night"),
    _("Item 3 — waking up too early"),
    _("Item 4 — sleeping too much"),
    _("Item 5 — feeling sad"),
    _("Item 6 — decreased appetite"),
    _("Item 7 — increased appetite"),
    _("Item 8 — decreased weight"),
    _("Item 9 — increased weight"),
    _("Item 10 — concentration and decisions"),
    _("Item 11 — view of myself"),
    _("Item 12 — thoughts of death or suicide"),
    _("Item 13 — general interest"),
    _("Item 14 — energy level"),
    _("Item 15 — feeling slowed down"),
    _("Item 16 — feeling restless"),
)

# Domain -> item numbers; multi-item domains take the maximum [R27].
DOMAINS = (
    ("sleep", (1, 2, 3, 4)),
    ("sad_mood", (5,)),
    ("appetite_weight", (6, 7, 8, 9)),
    ("concentration", (10,)),
    ("view_of_self", (11,)),
    ("suicidal_ideation", (12,)),
    ("interest", (13,)),
    ("energy", (14,)),
    ("psychomotor", (15, 16)),
)


def score_domains(instrument: Instrument, answers: list, thresholds: Mapping) -> Result:
    scores = instrument.item_scores(answers)
    domains = {name: max(scores[n - 1] for n in numbers) for name, numbers in DOMAINS}
    total = sum(domains.values())
    return Result(
        code=instrument.code,
        version=instrument.version,
        total=total,
        band=instrument.band_for(total),
        item_scores=scores,
        safety=instrument.safety_in(answers, thresholds),
        details={"domains": domains},
    )


INSTRUMENT = Instrument(
    code="qids_sr16",
    name=_("Quick Inventory of Depressive Symptomatology, self-report (QIDS-SR16)"),
    short_name="QIDS-SR16",
    version="qids-sr16-2003.1",
    items=tuple(
        Item(number=n, name=name, options=scores_0_to(3)) for n, name in enumerate(NAMES, start=1)
    ),
    # 0-5 none, 6-10 mild, 11-15 moderate, 16-20 severe, 21-27 very severe [R27].
    bands=(
        Band("none", _("none"), 0, 5),
        Band("mild", _("mild"), 6, 10),
        Band("moderate", _("moderate"), 11, 15),
        Band("severe", _("severe"), 16, 20),
        Band("very_severe", _("very severe"), 21, 27),
    ),
    alert_items=(AlertItem(index=11, flag="qids_item12"),),
    licence=Licence.UNCONFIRMED,
    recall=_("last 7 days"),
    source="Rush 2003 [R27]; STAR*D [R28]",
    scorer=score_domains,
    self_report=True,
    max_total=27,
    remission_max=5,
    remission_source="QIDS-SR16 ≤5, STAR*D usage [R28]",
)
