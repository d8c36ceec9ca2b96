"""Edinburgh Postnatal Depression Scale (Cox 1987). © RCPsych: the wording may not be
distributed without permission [R24], so only item names ship. domain.md §2.4, §5."""

from django.utils.translation import gettext_lazy as _

from clinic.assessments.instruments.base import (
    AlertItem,
    Band,
    Instrument,
    Item,
    Licence,
    Option,
    sum_scorer,
)

# Labels for options whose wording cannot be shipped: staff copy the position from paper.
PRINTED_POSITIONS = (
    _("1st option as printed"),
    _("2nd option as printed"),
    _("3rd option as printed"),
    _("4th option as printed"),
)

NAMES = (
    _("Item 1 — able to laugh"),
    _("Item 2 — looking forward to things"),
    _("Item 3 — self-blame"),
    _("Item 4 — anxious or worried"),
    _("Item 5 — scared or panicky"),
    _("Item 6 — things getting on top"),
    _("Item 7 — difficulty sleeping"),
    _("Item 8 — sad or miserable"),
    _("Item 9 — crying"),
    _("Item 10 — thoughts of self-harm"),
)
# EPDS items 3, 5-10 reverse-scored: the top option scores 3 (Cox 1987) [R24].
REVERSED = {3, 5, 6, 7, 8, 9, 10}


def _options(number: int) -> tuple[Option, ...]:
    values = (3, 2, 1, 0) if number in REVERSED else (0, 1, 2, 3)
    return tuple(Option(v, label) for v, label in zip(values, PRINTED_POSITIONS, strict=True))


INSTRUMENT = Instrument(
    code="epds",
    name=_("Edinburgh Postnatal Depression Scale (EPDS)"),
    short_name="EPDS",
    version="epds-1987.1",
    items=tuple(
        Item(number=n, name=name, options=_options(n)) for n, name in enumerate(NAMES, start=1)
    ),
    # Instructions: >=13 assess for possible depression; >=10 where greater sensitivity is
    # needed [R24]. Levis 2020: >=11 maximised sensitivity + specificity [R25].
    bands=(
        Band("below_cutoff", _("below cut-off"), 0, 9),
        Band("possible", _("possible depression"), 10, 12),
        Band("probable", _("probable depression: assess"), 13, 30),
    ),
    # Any score > 0 on item 10 must prompt further assessment [R24].
    alert_items=(AlertItem(index=9, flag="epds_item10"),),
    licence=Licence.PERMISSION_REQUIRED,
    recall=_("past 7 days"),
    source="Cox 1987 [R24]; Levis 2020 [R25]",
    scorer=sum_scorer,
    self_report=True,
    max_total=30,
    remission_max=9,
    remission_source="UNCONFIRMED: below the sensitive cut-off of 10 [R24]; no remission "
    "threshold retrieved",
    settings={"screen_cutoff": (13, "≥13 assess; ≥10 for greater sensitivity [R24]")},
)
