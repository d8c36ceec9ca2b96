"""Brief Psychiatric Rating Scale (Overall & Gorham 1962), 18 items rated 1-7, 0 = not
assessed. Public domain [R33]; the item names are the published ones. domain.md §2.11."""

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _

from clinic.assessments.instruments.base import Instrument, Item, Licence, Option, Result

SEVERITY = (
    _("not assessed"),
    _("not present"),
    _("very mild"),
    _("mild"),
    _("moderate"),
    _("moderately severe"),
    _("severe"),
    _("extremely severe"),
)
NAMES = (
    _("Somatic concern"),
    _("Anxiety"),
    _("Emotional withdrawal"),
    _("Conceptual disorganisation"),
    _("Guilt feelings"),
    _("Tension"),
    _("Mannerisms and posturing"),
    _("Grandiosity"),
    _("Depressive mood"),
    _("Hostility"),
    _("Suspiciousness"),
    _("Hallucinatory behaviour"),
    _("Motor retardation"),
    _("Uncooperativeness"),
    _("Unusual thought content"),
    _("Blunted affect"),
    _("Excitement"),
    _("Disorientation"),
)
# Thinking disturbance: conceptual disorganisation, hallucinatory behaviour, unusual thought
# content [R33-bis]; the ketamine positive-symptom set is UNCONFIRMED, so all items are kept.
THINKING_DISTURBANCE = (4, 12, 15)


def score_bprs(instrument: Instrument, answers: list, thresholds: Mapping) -> Result:
    scores = instrument.item_scores(answers)
    assessed = [s for s in scores if s]
    complete = len(assessed) == len(scores)
    return Result(
        code=instrument.code,
        version=instrument.version,
        # 18-126 only when every item was assessed; otherwise the sum of those assessed.
        total=sum(assessed),
        band="" if complete else "incomplete",
        item_scores=scores,
        details={
            "complete": complete,
            "not_assessed": len(scores) - len(assessed),
            "thinking_disturbance": sum(scores[n - 1] for n in THINKING_DISTURBANCE),
        },
    )


INSTRUMENT = Instrument(
    code="bprs",
    name=_("Brief Psychiatric Rating Scale (BPRS)"),
    short_name="BPRS",
    version="bprs18-1962.1",
    items=tuple(
        Item(number=n, name=name, options=tuple(Option(v, t) for v, t in enumerate(SEVERITY)))
        for n, name in enumerate(NAMES, 1)
    ),
    licence=Licence.PUBLIC_DOMAIN,
    languages=("uk", "en"),
    recall=_("rater-defined period"),
    source="Overall & Gorham 1962 [R33]",
    scorer=score_bprs,
    max_total=126,
)
