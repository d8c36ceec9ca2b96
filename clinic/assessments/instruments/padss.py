"""Post-Anaesthetic Discharge Scoring System (Chung 1995): five criteria 0-2, total 10,
>= 9 fit for discharge [R35]. Licence UNCONFIRMED: criterion names only; options printed
0 to 2 (position = score). domain.md §2.12."""

from django.utils.translation import gettext_lazy as _

from clinic.assessments.instruments.base import Band, Instrument, Item, Licence, scores_0_to
from clinic.assessments.instruments.discharge import score_discharge

CRITERIA = (
    _("Vital signs"),
    _("Activity and mental status"),
    _("Pain, nausea and vomiting"),
    _("Surgical bleeding"),
    _("Intake and output"),
)

INSTRUMENT = Instrument(
    code="padss",
    name=_("Post-Anaesthetic Discharge Scoring System (PADSS)"),
    short_name="PADSS",
    version="padss-1995.1",
    items=tuple(
        Item(number=n, name=name, options=scores_0_to(2)) for n, name in enumerate(CRITERIA, 1)
    ),
    bands=(
        Band("not_fit", _("not fit for discharge"), 0, 8),
        Band("fit", _("fit for discharge"), 9, 10),
    ),
    licence=Licence.UNCONFIRMED,
    recall=_("current"),
    source="Chung 1995 [R35]",
    scorer=score_discharge,
    max_total=10,
    lower_is_better=False,
    # >= 9 = fit for discharge, plus a competent adult to accompany the patient [R35].
    settings={"discharge_min": (9, "PADSS ≥9 fit for discharge [R35]")},
)
