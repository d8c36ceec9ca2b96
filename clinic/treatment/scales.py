"""The ratings taken during an infusion session: definitions and totals (domain.md §2.9-§2.12).

CADSS item texts are not shipped (licensing unconfirmed, domain.md §0.6): items are numbered
and only scores are stored. MOAA/S, modified Aldrete and PADSS anchors are public.
The rating-scales module will take over the scoring; `links.score_scale` is the seam.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _


class ScaleError(ValueError):
    """The answers do not fit the instrument."""


@dataclass(frozen=True)
class Item:
    key: str
    label: str
    options: tuple  # ((value, label), ...)


@dataclass(frozen=True)
class Scale:
    code: str
    name: str
    items: tuple[Item, ...] = field(default_factory=tuple)

    @property
    def max_total(self) -> int:
        return sum(max(v for v, _label in item.options) for item in self.items)


def _numbered(count_from: list[int], top: int) -> tuple[Item, ...]:
    options = tuple((v, str(v)) for v in range(top + 1))
    return tuple(
        Item(f"item_{n}", _("Item %(number)s") % {"number": n}, options) for n in count_from
    )


_ALDRETE = (
    Item(
        "activity",
        _("Activity"),
        ((2, _("moves 4 extremities")), (1, _("moves 2 extremities")), (0, _("moves none"))),
    ),
    Item(
        "respiration",
        _("Respiration"),
        (
            (2, _("breathes deeply and coughs freely")),
            (1, _("dyspnoea or shallow")),
            (0, _("apnoea")),
        ),
    ),
    Item(
        "circulation",
        _("Circulation"),
        (
            # xgettext:no-python-format
            (2, _("BP within 20% of pre-procedure")),
            (1, _("BP within 20-50%")),
            (0, _("BP beyond 50%")),
        ),
    ),
    Item(
        "consciousness",
        _("Consciousness"),
        ((2, _("fully awake")), (1, _("arousable on calling")), (0, _("not responding"))),
    ),
    Item(
        "saturation",
        _("O2 saturation"),
        (
            # xgettext:no-python-format
            (2, _(">92% on room air")),
            (1, _("needs O2 to keep >90%")),
            # xgettext:no-python-format
            (0, _("<90% even with O2")),
        ),
    ),
)

_PADSS = (
    Item(
        "vital_signs",
        _("Vital signs"),
        # xgettext:no-python-format
        ((2, _("within 20% of pre-procedure")), (1, _("20-40%")), (0, _("more than 40%"))),
    ),
    Item(
        "activity",
        _("Activity and mental status"),
        ((2, _("oriented and steady gait")), (1, _("one of the two")), (0, _("neither"))),
    ),
    Item(
        "pain_nausea",
        _("Pain, nausea or vomiting"),
        ((2, _("minimal")), (1, _("moderate, needed treatment")), (0, _("severe"))),
    ),
    Item(
        "bleeding",
        _("Bleeding"),
        ((2, _("minimal or not applicable")), (1, _("moderate")), (0, _("severe"))),
    ),
    Item(
        "intake_output",
        _("Intake and output"),
        ((2, _("drinks and has voided")), (1, _("one of the two")), (0, _("neither"))),
    ),
)

_MOAAS = (
    Item(
        "responsiveness",
        _("Responsiveness"),
        (
            (5, _("5: responds readily to name in normal tone")),
            (4, _("4: lethargic response to name in normal tone")),
            (3, _("3: responds only when name is called loudly or repeatedly")),
            (2, _("2: responds only after mild prodding or shaking")),
            (1, _("1: responds only after painful trapezius squeeze")),
            (0, _("0: no response to painful trapezius squeeze")),
        ),
    ),
)

# CADSS-6 short form: items 1, 2, 6, 7, 15, 22 of the 23-item version [R31].
CADSS6_ITEMS = [1, 2, 6, 7, 15, 22]

SCALES = {
    "cadss": Scale("cadss", _("CADSS (23 items)"), _numbered(list(range(1, 24)), 4)),
    "cadss6": Scale("cadss6", _("CADSS-6"), _numbered(CADSS6_ITEMS, 4)),
    "moaas": Scale("moaas", _("MOAA/S"), _MOAAS),
    "aldrete": Scale("aldrete", _("Modified Aldrete"), _ALDRETE),
    "padss": Scale("padss", _("PADSS"), _PADSS),
}
DISCHARGE_SCALES = ("aldrete", "padss")


def score(code: str, answers: dict) -> int:
    """The total of a complete set of answers; ScaleError for anything that does not fit.

    domain.md vectors: CADSS 23x0 -> 0, 23x1 -> 23; CADSS-6 {1:2,2:1,6:0,7:3,15:1,22:0} -> 7;
    Aldrete (2,2,1,2,2) -> 9; PADSS (2,2,2,2,1) -> 9. MOAA/S: the level itself.
    """
    scale = SCALES.get(code)
    if scale is None:
        raise ScaleError(f"unknown scale {code!r}")
    if not isinstance(answers, dict) or set(answers) != {item.key for item in scale.items}:
        raise ScaleError("answers must cover exactly the scale's items")
    total = 0
    for item in scale.items:
        value = answers[item.key]
        if isinstance(value, bool) or not isinstance(value, int):
            raise ScaleError(f"{item.key} must be a whole number")
        if value not in {v for v, _label in item.options}:
            raise ScaleError(f"{item.key} is out of range")
        total += value
    return total
