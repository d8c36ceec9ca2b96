"""The shape every rating scale shares: items, options, bands, safety items, scoring.

An instrument is data plus one scoring function. Answers are option *positions* in item order
(0 = the first option as printed); each option carries the score it gives, so reverse-scored
items (EPDS) are reversed here and nowhere else. Scoring is pure: no database, no clock.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class ScoringError(ValueError):
    """Answers that do not fit the instrument. The message says what is wrong."""


class Licence:
    """May the item wording be shipped? domain.md §2.1 and §2.13."""

    PUBLIC_DOMAIN = "public_domain"
    PERMISSION_REQUIRED = "permission_required"
    UNCONFIRMED = "unconfirmed"
    # Not a property of the instrument: what a scale becomes once the clinic uploads its text.
    LICENSED_BY_CLINIC = "licensed_by_clinic"

    LABELS = {
        PUBLIC_DOMAIN: _("Public domain: the item wording is shown"),
        PERMISSION_REQUIRED: _(
            "Copyright: permission needed to show the wording. Enter the item scores from the "
            "paper form; item names only are shown"
        ),
        UNCONFIRMED: _(
            "Licence not confirmed: item names only are shown until the clinic uploads a "
            "licensed text"
        ),
        LICENSED_BY_CLINIC: _("Licensed text uploaded by the clinic"),
    }
    SHORT = {
        PUBLIC_DOMAIN: _("public domain"),
        PERMISSION_REQUIRED: _("permission required"),
        UNCONFIRMED: _("not confirmed"),
        LICENSED_BY_CLINIC: _("licensed by the clinic"),
    }


@dataclass(frozen=True)
class Option:
    value: int  # the score this option gives
    text: object = ""  # printed wording (lazy); empty where the licence forbids it


@dataclass(frozen=True)
class Item:
    number: int
    name: object  # short name, always shippable: "Item 10 — thoughts of self-harm"
    options: tuple[Option, ...]
    text: object = ""  # full wording, only for public-domain scales
    # Asked only after a given answer elsewhere (C-SSRS branching); None is then allowed.
    conditional: bool = False


@dataclass(frozen=True)
class Band:
    code: str
    label: object
    low: int
    high: int


@dataclass(frozen=True)
class AlertItem:
    """An item whose score at or above `default_min` must reach a clinician (domain.md §0.4).

    `setting` names the clinic-configurable level that replaces the default, if any.
    """

    index: int
    flag: str
    default_min: int = 1
    setting: str = ""


@dataclass(frozen=True)
class Result:
    code: str
    version: str
    total: int | None
    band: str
    item_scores: tuple[int | None, ...]
    safety: tuple[str, ...] = ()
    details: Mapping = field(default_factory=dict)

    @property
    def is_safety_positive(self) -> bool:
        return bool(self.safety)


def _numbered_item(number: int) -> str:
    return gettext("Item %(number)s") % {"number": number}


# Evaluated when shown, in the language of that moment (not at import).
numbered_item = lazy(_numbered_item, str)


def scores_0_to(n: int, texts: Sequence = ()) -> tuple[Option, ...]:
    """Options scoring 0..n in printed order, with their wording where it may be shown."""
    return tuple(Option(v, texts[v] if texts else "") for v in range(n + 1))


@dataclass(frozen=True)
class Instrument:
    code: str
    name: object  # full name, e.g. "Patient Health Questionnaire (PHQ-9)"
    short_name: str  # "PHQ-9" (not translated)
    version: str  # scoring-rule version stored with every result
    items: tuple[Item, ...]
    licence: str
    recall: object  # "last 2 weeks"
    source: str  # reference tags of domain.md
    scorer: Callable[["Instrument", list, Mapping], Result]
    bands: tuple[Band, ...] = ()
    alert_items: tuple[AlertItem, ...] = ()
    # Who answers: the patient (a self-report link is possible) or a clinician.
    self_report: bool = False
    min_total: int = 0
    max_total: int = 0
    # Languages the shipped wording exists in (none for scales whose text may not be shipped).
    # The Ukrainian wording is the project's translation: a validated Ukrainian version is
    # UNCONFIRMED for every scale (domain.md §2.1) and replaces it once the clinic has one.
    languages: tuple[str, ...] = ()
    # Response = a drop of at least 50 % from baseline (domain.md §1.5, [R12][R6]).
    response_pct: int = 50
    # Defaults for the clinic-configurable thresholds (ScaleSettings); each with its source.
    remission_max: int | None = None
    remission_source: str = ""
    instructions: object = ""
    # Lower totals are better (depression scales); discharge scores are the other way round.
    lower_is_better: bool = True
    # Thresholds beyond remission that the clinic may configure: {name: (default, note)}.
    settings: Mapping = field(default_factory=dict)

    @property
    def licence_short(self):
        return Licence.SHORT[self.licence]

    @property
    def ships_text(self) -> bool:
        return self.licence == Licence.PUBLIC_DOMAIN

    @property
    def has_total(self) -> bool:
        return self.max_total > 0

    def band_for(self, total: int | None, bands=None) -> str:
        if total is None:
            return ""
        for band in bands or self.bands_with():
            if band.low <= total <= band.high:
                return band.code
        return ""

    def band_label(self, code: str, bands=None):
        for band in bands or self.bands_with():
            if band.code == code:
                return band.label
        return ""

    def bands_with(self, thresholds: Mapping | None = None) -> tuple[Band, ...]:
        """The bands, given clinic thresholds (PCL-5's cut-off moves its bands)."""
        return self.bands

    def threshold(self, thresholds: Mapping | None, name: str, default):
        value = (thresholds or {}).get(name)
        return default if value is None else value

    def validate(self, answers) -> list:
        """Positions as a list, or ScoringError naming the first problem."""
        if isinstance(answers, (str, bytes)) or not isinstance(answers, Sequence):
            raise ScoringError(_("Answers must be a list of option positions."))
        answers = list(answers)
        if len(answers) != len(self.items):
            raise ScoringError(
                _("%(scale)s has %(expected)s items; %(given)s answers were given.")
                % {"scale": self.short_name, "expected": len(self.items), "given": len(answers)}
            )
        for item, position in zip(self.items, answers, strict=True):
            if position is None:
                if item.conditional:
                    continue
                raise ScoringError(_("Item %(number)s is not answered.") % {"number": item.number})
            # bool is an int in Python; True is not an option position.
            if isinstance(position, bool) or not isinstance(position, int):
                raise ScoringError(
                    _("Item %(number)s: the answer must be an option number.")
                    % {"number": item.number}
                )
            if not 0 <= position < len(item.options):
                raise ScoringError(
                    _("Item %(number)s: choose one of the %(count)s options.")
                    % {"number": item.number, "count": len(item.options)}
                )
        return answers

    def item_scores(self, answers: Sequence) -> tuple[int | None, ...]:
        return tuple(
            None if position is None else item.options[position].value
            for item, position in zip(self.items, answers, strict=True)
        )

    def safety_in(self, answers: Sequence, thresholds: Mapping | None = None) -> tuple[str, ...]:
        """Safety flags raised by the answers given so far (unanswered items are None).

        Used on every saved answer of a self-report, so a positive safety item reaches a
        clinician even if the questionnaire is never finished.
        """
        flags = []
        for rule in self.alert_items:
            if rule.index >= len(answers) or answers[rule.index] is None:
                continue
            position = answers[rule.index]
            options = self.items[rule.index].options
            if isinstance(position, bool) or not isinstance(position, int):
                continue
            if not 0 <= position < len(options):
                continue
            level = self.threshold(thresholds, rule.setting, rule.default_min)
            if options[position].value >= level:
                flags.append(rule.flag)
        return tuple(flags)

    def safety_items(self, answers: Sequence, flags: Sequence[str]) -> tuple[int, ...]:
        """Indices of the items behind the safety flags, to name them to the person entering.

        An alert item names itself. A flag no alert item carries is a category of the whole
        screen (C-SSRS moderate or high risk), to which every item scored above 0 contributed.
        """
        own = {rule.flag for rule in self.alert_items}
        indices = {rule.index for rule in self.alert_items if rule.flag in flags}
        if any(flag not in own for flag in flags):
            indices |= {i for i, s in enumerate(self.item_scores(answers)) if s}
        return tuple(sorted(indices))

    def score(self, answers, thresholds: Mapping | None = None) -> Result:
        return self.scorer(self, self.validate(answers), thresholds or {})


def sum_scorer(instrument: Instrument, answers: list, thresholds: Mapping) -> Result:
    """Total = sum of item scores; band from the total; safety from the alert items."""
    scores = instrument.item_scores(answers)
    total = sum(s for s in scores if s is not None)
    bands = instrument.bands_with(thresholds)
    return Result(
        code=instrument.code,
        version=instrument.version,
        total=total,
        band=instrument.band_for(total, bands),
        item_scores=scores,
        safety=instrument.safety_in(answers, thresholds),
    )
