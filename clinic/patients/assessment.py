"""Treatment-resistance assessment as pure functions over plain data (domain.md §1).

Nothing here reads the database: `selectors.trd_picture` gathers the facts and calls these.

- A trial is ADEQUATE iff its daily dose reaches the configured minimum for the drug, it lasted
  the configured number of weeks (default 6, the seed's rule and Fava 2020 [R10]; 4 allowed,
  Rybak 2021 [R6]) and adherence was not poor. Missing facts leave it undecided: a trial is
  never counted as failed unless dose, duration and adherence are known (§1.5, [R11]).
- A trial FAILED iff adequate and improvement below the configured threshold (<25% EU-PEARL
  [R5], or <50% Canadian [R6]); both flags are kept. Stopping before the end of week 4 is not a
  failure (EU-PEARL [R5]).
- TRD: >= 2 different antidepressants failed in the current episode; bipolar depression is
  excluded (EU-PEARL [R5]).
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clinic.core.numbers import quantity

# The Canadian flag is a definition, not a clinic setting: "nonresponse = <50% symptom
# reduction" (Rybak 2021 [R6]); both flags are kept (domain.md §1.1). The clinic's own threshold
# (EU-PEARL < 25% [R5] by default) is `Rules.failure_below_pct`, read from `AdequacyRules`.
CANADIAN_PCT = 50


@dataclass(frozen=True)
class Rules:
    """The clinic's adequacy rules (formulary.AdequacyRules, with their provenance there)."""

    min_weeks: int
    early_stop_weeks: int
    failure_below_pct: int


@dataclass(frozen=True)
class Trial:
    """The facts of one antidepressant trial, as the assessment needs them."""

    drug: str
    drug_key: str
    drug_class: str
    daily_dose_mg: Decimal | None
    minimum_dose_mg: Decimal | None
    started_on: date | None
    stopped_on: date | None
    adherence: str  # good / partial / poor / unknown
    improvement_pct: int | None
    ref: object = None


@dataclass(frozen=True)
class Course:
    """An ECT or augmentation course (for Thase-Rush stage V and the Maudsley score)."""

    kind: str  # augmentation / ect / psychotherapy / tms / tdcs
    bilateral: bool = False
    improvement_pct: int | None = None
    started_on: date | None = None
    stopped_on: date | None = None


# Reason codes: stable strings for tests and the decision snapshot.
DOSE_BELOW_MINIMUM = "dose_below_minimum"
DOSE_UNKNOWN = "dose_unknown"
NO_MINIMUM = "no_minimum_configured"
TOO_SHORT = "too_short"
STOPPED_EARLY = "stopped_early"
IN_PROGRESS = "in_progress"
DURATION_UNKNOWN = "duration_unknown"
POOR_ADHERENCE = "poor_adherence"
ADHERENCE_UNKNOWN = "adherence_unknown"
IMPROVEMENT_UNKNOWN = "improvement_unknown"
INADEQUATE = {DOSE_BELOW_MINIMUM, TOO_SHORT, STOPPED_EARLY, POOR_ADHERENCE}


@dataclass(frozen=True)
class Reason:
    code: str
    text: str

    @property
    def makes_inadequate(self) -> bool:
        return self.code in INADEQUATE


@dataclass(frozen=True)
class TrialAssessment:
    trial: Trial
    weeks: Decimal | None
    adequate: bool | None
    failed: bool | None
    failed_canadian: bool | None
    reasons: tuple[Reason, ...] = ()

    @property
    def helped(self) -> bool:
        """It did help: improvement at or above the failure threshold."""
        return self.failed is False and self.adequate is True

    def has(self, code: str) -> bool:
        return any(r.code == code for r in self.reasons)


def weeks_between(start: date, end: date) -> Decimal:
    return (Decimal((end - start).days) / 7).quantize(Decimal("0.1"))


def assess_trial(trial: Trial, rules: Rules, *, today: date) -> TrialAssessment:
    """Adequate / not adequate / undecided, with the reasons; then failed or not."""
    reasons: list[Reason] = []
    unknown = False

    if trial.daily_dose_mg is None:
        reasons.append(Reason(DOSE_UNKNOWN, _("the daily dose is not recorded")))
        unknown = True
    elif trial.minimum_dose_mg is None:
        reasons.append(
            Reason(
                NO_MINIMUM, _("no minimum dose is configured for %(drug)s") % {"drug": trial.drug}
            )
        )
        unknown = True
    elif trial.daily_dose_mg < trial.minimum_dose_mg:
        reasons.append(
            Reason(
                DOSE_BELOW_MINIMUM,
                _("%(dose)s mg/day is below the minimum of %(minimum)s mg/day")
                % {
                    "dose": _number(trial.daily_dose_mg),
                    "minimum": _number(trial.minimum_dose_mg),
                },
            )
        )

    weeks = None
    if trial.started_on is None:
        reasons.append(Reason(DURATION_UNKNOWN, _("the start date is not recorded")))
        unknown = True
    else:
        end = trial.stopped_on or today
        weeks = weeks_between(trial.started_on, end)
        if weeks < rules.min_weeks:
            if trial.stopped_on is None:
                reasons.append(
                    Reason(
                        IN_PROGRESS,
                        _("still taken, %(weeks)s of %(min)s weeks so far")
                        % {"weeks": _number(weeks), "min": rules.min_weeks},
                    )
                )
                unknown = True
            elif weeks < rules.early_stop_weeks:
                reasons.append(
                    Reason(
                        STOPPED_EARLY,
                        _("stopped after %(weeks)s weeks, before the end of week %(early)s")
                        % {"weeks": _number(weeks), "early": rules.early_stop_weeks},
                    )
                )
            else:
                reasons.append(
                    Reason(
                        TOO_SHORT,
                        _("%(weeks)s weeks is shorter than the minimum of %(min)s weeks")
                        % {"weeks": _number(weeks), "min": rules.min_weeks},
                    )
                )

    if trial.adherence == "poor":
        reasons.append(Reason(POOR_ADHERENCE, _("adherence was poor")))
    elif trial.adherence in ("unknown", "", None):
        reasons.append(Reason(ADHERENCE_UNKNOWN, _("adherence is not known")))
        unknown = True

    inadequate = any(r.makes_inadequate for r in reasons)
    adequate = False if inadequate else (None if unknown else True)

    failed = failed_canadian = None
    if adequate is False:
        failed = failed_canadian = False
    elif adequate is True:
        if trial.improvement_pct is None:
            reasons.append(Reason(IMPROVEMENT_UNKNOWN, _("the improvement is not recorded")))
        else:
            failed = trial.improvement_pct < rules.failure_below_pct
            failed_canadian = trial.improvement_pct < CANADIAN_PCT
    return TrialAssessment(trial, weeks, adequate, failed, failed_canadian, tuple(reasons))


def _number(value) -> str:
    # The page's decimal separator, no trailing zeros: "37,5", "150".
    return quantity(value)


def in_episode(trial: Trial, episode_onset: date | None) -> bool:
    """Trials that ended before the current episode began belong to an earlier episode."""
    if episode_onset is None or trial.stopped_on is None:
        return True
    return trial.stopped_on >= episode_onset


# TRD status -------------------------------------------------------------------------------

TRD_YES = "yes"
TRD_NO = "no"
TRD_INSUFFICIENT = "insufficient"


@dataclass(frozen=True)
class TrdStatus:
    value: str
    explanation: tuple[str, ...]
    failed_drugs: tuple[str, ...] = ()


def _names(assessments) -> list[str]:
    seen, names = set(), []
    for a in assessments:
        if a.trial.drug_key not in seen:
            seen.add(a.trial.drug_key)
            names.append(a.trial.drug)
    return names


def trd_status(assessed: list[TrialAssessment], *, bipolar: bool = False) -> TrdStatus:
    """Yes / no / insufficient data, per the seed's criterion (>= 2 different
    antidepressants at an adequate dose for an adequate time without improvement)."""
    if bipolar:
        return TrdStatus(
            TRD_NO,
            (_("Bipolar depression is outside the definition of TRD (EU-PEARL)."),),
        )
    failed = [a for a in assessed if a.failed]
    failed_names = _names(failed)
    undecided = [
        a
        for a in assessed
        if a.failed is None and a.trial.drug_key not in {f.trial.drug_key for f in failed}
    ]
    undecided_names = _names(undecided)
    if not assessed:
        return TrdStatus(
            TRD_INSUFFICIENT,
            (_("No antidepressant trials of the current episode are recorded."),),
        )
    inadequate = [a for a in assessed if a.adequate is False]
    not_counted = (
        [
            _("Not adequate, so not counted: %(trials)s.")
            % {"trials": "; ".join(_trial_summary(a) for a in inadequate)}
        ]
        if inadequate
        else []
    )
    if len(failed_names) >= 2:
        return TrdStatus(
            TRD_YES,
            (
                ngettext(
                    "%(count)s different antidepressant failed at an adequate dose and "
                    "duration: %(drugs)s.",
                    "%(count)s different antidepressants failed at an adequate dose and "
                    "duration: %(drugs)s.",
                    len(failed_names),
                )
                % {"count": len(failed_names), "drugs": ", ".join(failed_names)},
                *not_counted,
            ),
            tuple(failed_names),
        )
    lines = [
        ngettext(
            "%(count)s antidepressant failed after an adequate trial.",
            "%(count)s antidepressants failed after an adequate trial.",
            len(failed_names),
        )
        % {"count": len(failed_names)},
        *not_counted,
    ]
    if len(failed_names) + len(undecided_names) >= 2:
        lines.append(
            _("Cannot be judged yet: %(trials)s.")
            % {"trials": "; ".join(_trial_summary(a) for a in undecided)}
        )
        return TrdStatus(TRD_INSUFFICIENT, tuple(lines), tuple(failed_names))
    helped = [a for a in assessed if a.helped]
    if helped:
        lines.append(_("Responded: %(drugs)s.") % {"drugs": ", ".join(_names(helped))})
    return TrdStatus(TRD_NO, tuple(lines), tuple(failed_names))


def _trial_summary(a: TrialAssessment) -> str:
    why = ", ".join(r.text for r in a.reasons) or _("no reason recorded")
    return f"{a.trial.drug} ({why})"


# Pseudo-resistance ------------------------------------------------------------------------


@dataclass(frozen=True)
class PseudoResistance:
    possible: bool
    causes: tuple[str, ...]


def pseudo_resistance(
    assessed: list[TrialAssessment], *, rules: Rules, interactions: list[tuple[str, str]] = ()
) -> PseudoResistance:
    """Apparent resistance that may come from suboptimal treatment ([R11]; the seed's causes):
    an inadequate or incompletely documented trial that did not help, or a drug that lowers
    antidepressant levels taken during a trial. `interactions`: (trial drug, other drug)."""
    causes = []
    for a in assessed:
        if a.helped:
            continue
        improved = a.trial.improvement_pct
        if improved is not None and improved >= rules.failure_below_pct and a.adequate is not True:
            # It was working; an inadequate trial that helped is not resistance.
            continue
        for reason in a.reasons:
            if reason.code in (DOSE_BELOW_MINIMUM, TOO_SHORT, STOPPED_EARLY):
                causes.append(
                    _("inadequate trial of %(drug)s: %(why)s")
                    % {"drug": a.trial.drug, "why": reason.text}
                )
            elif reason.code == POOR_ADHERENCE:
                causes.append(_("poor adherence to %(drug)s") % {"drug": a.trial.drug})
            elif reason.code in (DOSE_UNKNOWN, DURATION_UNKNOWN, ADHERENCE_UNKNOWN, NO_MINIMUM):
                causes.append(
                    _("incomplete record of %(drug)s: %(why)s")
                    % {"drug": a.trial.drug, "why": reason.text}
                )
    for trial_drug, other in interactions:
        causes.append(
            _("%(other)s, taken during the trial of %(drug)s, may lower antidepressant levels")
            % {"other": other, "drug": trial_drug}
        )
    return PseudoResistance(bool(causes), tuple(causes))


# Thase-Rush -------------------------------------------------------------------------------

THASE_RUSH_CLASSES = ("ssri", "snri", "tca", "maoi", "other_ad")


def _chain(classes: list[str], stage: int) -> bool:
    """Can distinct failed trials be assigned to every step up to `stage`?"""
    if stage <= 0:
        return True
    if stage == 1:
        return len(classes) >= 1
    if stage == 2:
        return len(set(classes)) >= 2
    needed = {3: "tca", 4: "maoi"}[stage]
    if needed not in classes:
        return False
    rest = list(classes)
    rest.remove(needed)
    return _chain(rest, stage - 1)


def thase_rush_stage(
    assessed: list[TrialAssessment], courses: list[Course] = (), *, rules: Rules
) -> int | None:
    """Thase-Rush stage 0-V (1997 [R4]), cumulative: each stage needs the whole chain below.

    Interpretation (documented): every step needs its own failed trial, so an SSRI and a TCA
    failure give stage II; stage III needs a further, TCA, failure on top of two classes.
    None when no trial is adequate (nothing to stage).
    """
    classes = [a.trial.drug_class for a in assessed if a.failed]
    if not classes:
        return 0 if any(a.adequate for a in assessed) else None
    stage = 0
    for candidate in (1, 2, 3, 4):
        if _chain(classes, candidate):
            stage = candidate
        else:
            break
    if stage == 4 and any(
        c.kind == "ect"
        and c.bilateral
        and c.improvement_pct is not None
        and c.improvement_pct < rules.failure_below_pct
        for c in courses
    ):
        stage = 5
    return stage


ROMAN = {0: "0", 1: "I", 2: "II", 3: "III", 4: "IV", 5: "V"}


# Maudsley Staging Method ------------------------------------------------------------------

SEVERITY_POINTS = {"subsyndromal": 1, "mild": 2, "moderate": 3, "severe": 4}  # [R1] Table 3


@dataclass(frozen=True)
class MaudsleyScore:
    score: int
    band: str  # mild / moderate / severe
    duration_points: int
    severity_points: int
    failure_points: int
    augmentation_points: int
    ect_points: int


def maudsley_duration_points(months: int) -> int:
    # Acute <= 12 months, sub-acute 13-24, chronic > 24 (Fekadu 2018 Table 3 [R1]).
    return 1 if months <= 12 else 2 if months <= 24 else 3


def maudsley_failure_points(failed: int) -> int:
    # 1-2, 3-4, 5-6, 7-10, >10 medications (categories UNCONFIRMED wording; [R1][R3-bis]).
    return (
        1 if failed <= 2 else 2 if failed <= 4 else 3 if failed <= 6 else 4 if failed <= 10 else 5
    )


def maudsley_band(score: int) -> str:
    # Mild 3-6, moderate 7-10, severe 11-15 [R1].
    return "mild" if score <= 6 else "moderate" if score <= 10 else "severe"


def maudsley_score(
    *,
    episode_months: int | None,
    severity: str | None,
    psychotic: bool,
    failed_count: int,
    augmentation_used: bool,
    ect_used: bool,
) -> MaudsleyScore | None:
    """The MSM total 3-15 and band; None when duration, severity or a failure is missing
    (minimum 3 means at least one failed medication, domain.md §1.3)."""
    if episode_months is None or not severity or failed_count < 1:
        return None
    duration = maudsley_duration_points(episode_months)
    severity_points = 5 if severity == "severe" and psychotic else SEVERITY_POINTS[severity]
    failures = maudsley_failure_points(failed_count)
    aug, ect = int(augmentation_used), int(ect_used)
    score = duration + severity_points + failures + aug + ect
    return MaudsleyScore(score, maudsley_band(score), duration, severity_points, failures, aug, ect)


def months_between(start: date, end: date) -> int:
    """Whole months from start to end (8 months and 20 days is 8)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - (end.day < start.day)
