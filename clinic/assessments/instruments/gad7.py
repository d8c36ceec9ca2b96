"""GAD-7 (Spitzer 2006). Public domain [R21][R22]. domain.md §2.3. No safety item."""

from django.utils.translation import gettext_lazy as _

from clinic.assessments.instruments.base import (
    Band,
    Instrument,
    Item,
    Licence,
    scores_0_to,
    sum_scorer,
)
from clinic.assessments.instruments.phq9 import FREQUENCY

# The lowest option is "Not at all" (some publications wrongly print "Not at all sure") [R21].
ITEMS = (
    (_("Nervousness"), _("Feeling nervous, anxious or on edge")),
    (_("Uncontrollable worry"), _("Not being able to stop or control worrying")),
    (_("Worrying too much"), _("Worrying too much about different things")),
    (_("Trouble relaxing"), _("Trouble relaxing")),
    (_("Restlessness"), _("Being so restless that it is hard to sit still")),
    (_("Irritability"), _("Becoming easily annoyed or irritable")),
    (_("Feeling afraid"), _("Feeling afraid as if something awful might happen")),
)

INSTRUMENT = Instrument(
    code="gad7",
    name=_("Generalised Anxiety Disorder scale (GAD-7)"),
    short_name="GAD-7",
    version="gad7-2006.1",
    instructions=_(
        "Over the last 2 weeks, how often have you been bothered by the following problems?"
    ),
    items=tuple(
        Item(number=n, name=name, text=text, options=scores_0_to(3, FREQUENCY))
        for n, (name, text) in enumerate(ITEMS, start=1)
    ),
    # Cut-points 5/10/15 [R23].
    bands=(
        Band("minimal", _("minimal"), 0, 4),
        Band("mild", _("mild"), 5, 9),
        Band("moderate", _("moderate"), 10, 14),
        Band("severe", _("severe"), 15, 21),
    ),
    licence=Licence.PUBLIC_DOMAIN,
    languages=("uk", "en"),
    recall=_("last 2 weeks"),
    source="Spitzer 2006 [R23]; [R21]",
    scorer=sum_scorer,
    self_report=True,
    max_total=21,
    # Remission cut-off for GAD-7 is UNCONFIRMED (domain.md §2.3): the minimal band is the default.
    remission_max=4,
    remission_source="UNCONFIRMED: no published remission cut-off retrieved; minimal band used",
    settings={"screen_cutoff": (10, "≥10 [R21][R23]; ≥8 acceptable in a 2016 meta-analysis")},
)
