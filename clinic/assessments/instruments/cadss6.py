"""CADSS-6, the six-item short form of the CADSS used at the chair during a ketamine infusion:
items 1, 2, 6, 7, 15 and 22 of the 23-item version, each 0-4, total 0-24 (derived; rho
0.91-0.95 against the full scale in 260 TRD patients on IV ketamine) [R31]. Licence and item
wording UNCONFIRMED: item numbers only, numbered as on the full form. domain.md §2.9."""

from django.utils.translation import gettext_lazy as _

from clinic.assessments.instruments.base import (
    Instrument,
    Item,
    Licence,
    numbered_item,
    scores_0_to,
    sum_scorer,
)
from clinic.assessments.instruments.cadss import SHORT_FORM

INSTRUMENT = Instrument(
    code="cadss6",
    name=_("CADSS-6, short form of the Dissociative States Scale"),
    short_name="CADSS-6",
    version="cadss6-2021.1",
    items=tuple(Item(number=n, name=numbered_item(n), options=scores_0_to(4)) for n in SHORT_FORM),
    licence=Licence.UNCONFIRMED,
    recall=_("current state"),
    source="Rodrigues 2021 [R31]",
    scorer=sum_scorer,
    max_total=24,  # 6 x 4 (derived)
)
