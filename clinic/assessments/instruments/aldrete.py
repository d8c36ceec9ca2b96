"""Modified Aldrete score (Aldrete 1995): five criteria scored 0-2, total 10. Licence
UNCONFIRMED: criterion names only; options printed 0 to 2 (position = score). domain.md §2.12."""

from django.utils.translation import gettext_lazy as _

from clinic.assessments.instruments.base import Band, Instrument, Item, Licence, scores_0_to
from clinic.assessments.instruments.discharge import score_discharge

CRITERIA = (
    _("Activity"),
    _("Respiration"),
    _("Circulation"),
    _("Consciousness"),
    _("Oxygen saturation"),
)

INSTRUMENT = Instrument(
    code="aldrete",
    name=_("Modified Aldrete score"),
    short_name="Aldrete",
    version="aldrete-mod-1995.1",
    items=tuple(
        Item(number=n, name=name, options=scores_0_to(2)) for n, name in enumerate(CRITERIA, 1)
    ),
    bands=(
        Band("not_fit", _("not fit for discharge"), 0, 8),
        Band("fit", _("fit for discharge"), 9, 10),
    ),
    licence=Licence.UNCONFIRMED,
    recall=_("current"),
    source="Aldrete 1995 [R34]",
    scorer=score_discharge,
    max_total=10,
    lower_is_better=False,
    # Thresholds vary (>=8 with 2 in respiration and SpO2; >8; >=9 commonly taught,
    # UNCONFIRMED) [R34]: configurable, default >=9.
    settings={"discharge_min": (9, "UNCONFIRMED: ≥9 commonly taught; ≥8 or >8 elsewhere [R34]")},
)
