"""PHQ-9 (Kroenke 2001). Public domain: "no permission is required to reproduce, translate,
display or distribute" [R21][R22]. domain.md §2.2."""

from django.utils.translation import gettext_lazy as _

from clinic.assessments.instruments.base import (
    AlertItem,
    Band,
    Instrument,
    Item,
    Licence,
    scores_0_to,
    sum_scorer,
)

FREQUENCY = (
    _("Not at all"),
    _("Several days"),
    _("More than half the days"),
    _("Nearly every day"),
)

ITEMS = (
    (_("Interest or pleasure"), _("Little interest or pleasure in doing things")),
    (_("Depressed mood"), _("Feeling down, depressed, or hopeless")),
    (_("Sleep"), _("Trouble falling or staying asleep, or sleeping too much")),
    (_("Tiredness"), _("Feeling tired or having little energy")),
    (_("Appetite"), _("Poor appetite or overeating")),
    (
        _("Feeling bad about yourself"),
        _(
            "Feeling bad about yourself — or that you are a failure or have let yourself or "
            "your family down"
        ),
    ),
    (
        _("Concentration"),
        _("Trouble concentrating on things, such as reading the newspaper or watching television"),
    ),
    (
        _("Moving or speaking slowly, or restlessness"),
        _(
            "Moving or speaking so slowly that other people could have noticed? Or the "
            "opposite — being so fidgety or restless that you have been moving around a lot "
            "more than usual"
        ),
    ),
    (
        _("Thoughts of death or self-harm"),
        _("Thoughts that you would be better off dead or of hurting yourself in some way"),
    ),
)

INSTRUMENT = Instrument(
    code="phq9",
    name=_("Patient Health Questionnaire (PHQ-9)"),
    short_name="PHQ-9",
    version="phq9-2001.1",
    instructions=_(
        "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
    ),
    items=tuple(
        Item(number=n, name=name, text=text, options=scores_0_to(3, FREQUENCY))
        for n, (name, text) in enumerate(ITEMS, start=1)
    ),
    # Bands 0-4 minimal, 5-9 mild, 10-14 moderate, 15-19 moderately severe, 20-27 severe [R20].
    bands=(
        Band("minimal", _("minimal"), 0, 4),
        Band("mild", _("mild"), 5, 9),
        Band("moderate", _("moderate"), 10, 14),
        Band("moderately_severe", _("moderately severe"), 15, 19),
        Band("severe", _("severe"), 20, 27),
    ),
    # Item 9 > 0 -> clinician review regardless of the total (domain.md §2.2).
    alert_items=(AlertItem(index=8, flag="phq9_item9"),),
    licence=Licence.PUBLIC_DOMAIN,
    languages=("uk", "en"),
    recall=_("last 2 weeks"),
    source="Kroenke 2001 [R20]; Kroenke 2010 [R21]",
    scorer=sum_scorer,
    self_report=True,
    max_total=27,
    # Remission < 5: conventional, primary citation UNCONFIRMED (domain.md §2.2, [R9-bis]).
    remission_max=4,
    remission_source="PHQ-9 < 5, conventional; primary citation UNCONFIRMED (domain.md §2.2)",
    settings={"screen_cutoff": (10, "≥10 major depression, Kroenke 2001 [R20]")},
)
