"""Montgomery–Åsberg Depression Rating Scale (1979), clinician-rated. © RCPsych [R26]: item
names only. domain.md §2.5."""

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

NAMES = (
    _("Item 1 — apparent sadness"),
    _("Item 2 — reported sadness"),
    _("Item 3 — inner tension"),
    _("Item 4 — reduced sleep"),
    _("Item 5 — reduced appetite"),
    _("Item 6 — concentration difficulties"),
    _("Item 7 — lassitude"),
    _("Item 8 — inability to feel"),
    _("Item 9 — pessimistic thoughts"),
    _("Item 10 — suicidal thoughts"),
)

INSTRUMENT = Instrument(
    code="madrs",
    name=_("Montgomery–Åsberg Depression Rating Scale (MADRS)"),
    short_name="MADRS",
    version="madrs-1979.1",
    items=tuple(
        Item(number=n, name=name, options=scores_0_to(6)) for n, name in enumerate(NAMES, start=1)
    ),
    # Snaith bands: 0-6 normal, 7-19 mild, 20-34 moderate, 35-60 severe [R26].
    bands=(
        Band("normal", _("normal"), 0, 6),
        Band("mild", _("mild"), 7, 19),
        Band("moderate", _("moderate"), 20, 34),
        Band("severe", _("severe"), 35, 60),
    ),
    # Item 10 > 0: clinical review by local policy; no validated threshold (UNCONFIRMED), so the
    # level is clinic-configurable ("alert_item_min").
    alert_items=(AlertItem(index=9, flag="madrs_item10", default_min=1, setting="alert_item_min"),),
    licence=Licence.PERMISSION_REQUIRED,
    recall=_("past week (commonly; UNCONFIRMED)"),
    source="Montgomery & Åsberg 1979 [R26]",
    scorer=sum_scorer,
    max_total=60,
    # Remission <=10 or <=12 depending on source [R12-bis]; default <=10.
    remission_max=10,
    remission_source="MADRS ≤10 (≤10–12 depending on source) [R12-bis]",
    settings={
        "alert_item_min": (1, "UNCONFIRMED: local policy, item 10 > 0 → review (domain.md §2.5)")
    },
)
