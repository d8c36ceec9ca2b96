"""The TRD assessment's pure functions, with the vectors of domain.md §1 and more."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinic.patients import assessment as a

TODAY = date(2026, 12, 1)
# The shipped AdequacyRules: 6 weeks (Fava 2020), early stop 4 weeks, failure < 25% (EU-PEARL).
RULES = a.Rules(min_weeks=6, early_stop_weeks=4, failure_below_pct=25)


def trial(
    drug="sertraline",
    cls="ssri",
    *,
    dose=100,
    minimum=50,
    weeks=8,
    adherence="good",
    improvement=10,
    ongoing=False,
    started=None,
):
    start = started or TODAY - timedelta(weeks=weeks + 4)
    return a.Trial(
        drug=drug.title(),
        drug_key=drug,
        drug_class=cls,
        daily_dose_mg=Decimal(dose) if dose is not None else None,
        minimum_dose_mg=Decimal(minimum) if minimum is not None else None,
        started_on=start,
        stopped_on=None if ongoing else start + timedelta(weeks=weeks),
        adherence=adherence,
        improvement_pct=improvement,
    )


def assess(t, rules=RULES):
    return a.assess_trial(t, rules, today=TODAY)


# Adequacy and failure ---------------------------------------------------------------------


def test_an_adequate_trial_without_improvement_failed():
    result = assess(trial())
    assert (result.adequate, result.failed, result.failed_canadian) == (True, True, True)
    assert result.reasons == ()


def test_it_reports_a_dose_below_the_configured_minimum():
    result = assess(trial(dose=25, minimum=50))
    assert result.adequate is False and result.failed is False
    assert [r.code for r in result.reasons] == [a.DOSE_BELOW_MINIMUM]
    assert "25" in result.reasons[0].text and "50" in result.reasons[0].text


def test_a_dose_at_the_minimum_is_adequate():
    assert assess(trial(dose=50, minimum=50)).adequate is True


def test_five_weeks_is_too_short_under_the_default_six_week_rule_but_not_under_four():
    assert assess(trial(weeks=5)).has(a.TOO_SHORT)
    assert assess(trial(weeks=5)).adequate is False
    four = a.Rules(min_weeks=4, early_stop_weeks=4, failure_below_pct=25)
    assert assess(trial(weeks=5), four).adequate is True


def test_stopping_before_week_four_is_not_a_failure():
    result = assess(trial(weeks=3, improvement=0))
    assert result.has(a.STOPPED_EARLY)
    assert result.failed is False


def test_poor_adherence_makes_a_trial_inadequate():
    result = assess(trial(adherence="poor"))
    assert result.adequate is False and result.has(a.POOR_ADHERENCE)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"dose": None}, a.DOSE_UNKNOWN),
        ({"minimum": None}, a.NO_MINIMUM),
        ({"adherence": "unknown"}, a.ADHERENCE_UNKNOWN),
    ],
)
def test_missing_facts_leave_a_trial_undecided_and_never_failed(changes, code):
    result = assess(trial(**changes))
    assert result.adequate is None and result.failed is None
    assert result.has(code)


def test_an_unknown_improvement_leaves_an_adequate_trial_undecided():
    result = assess(trial(improvement=None))
    assert result.adequate is True and result.failed is None
    assert result.has(a.IMPROVEMENT_UNKNOWN)


def test_an_ongoing_trial_shorter_than_the_minimum_is_in_progress_not_too_short():
    result = assess(trial(weeks=3, ongoing=True, started=TODAY - timedelta(weeks=3)))
    assert result.has(a.IN_PROGRESS) and result.adequate is None


@pytest.mark.parametrize(
    ("improvement", "eu_pearl", "canadian"),
    [(0, True, True), (24, True, True), (25, False, True), (49, False, True), (50, False, False)],
)
def test_both_failure_thresholds_are_kept(improvement, eu_pearl, canadian):
    result = assess(trial(improvement=improvement))
    assert (result.failed, result.failed_canadian) == (eu_pearl, canadian)


def test_the_canadian_threshold_can_be_configured_as_the_failure_rule():
    result = assess(
        trial(improvement=40), a.Rules(min_weeks=6, early_stop_weeks=4, failure_below_pct=50)
    )
    assert result.failed is True


# TRD status -------------------------------------------------------------------------------


def test_two_different_failed_antidepressants_are_trd():
    status = a.trd_status([assess(trial()), assess(trial("venlafaxine", "snri", minimum=75))])
    assert status.value == a.TRD_YES
    assert status.failed_drugs == ("Sertraline", "Venlafaxine")


def test_a_trd_explanation_also_names_the_trials_not_counted():
    status = a.trd_status(
        [
            assess(trial()),
            assess(trial("venlafaxine", "snri")),
            assess(trial("amitriptyline", "tca", dose=25, minimum=150)),
        ]
    )
    assert status.value == a.TRD_YES
    assert len(status.explanation) == 2 and "Amitriptyline" in status.explanation[1]


def test_the_same_drug_failing_twice_is_not_trd():
    status = a.trd_status([assess(trial()), assess(trial())])
    assert status.value == a.TRD_NO


def test_an_inadequate_second_trial_means_no_trd_and_says_why():
    status = a.trd_status(
        [assess(trial()), assess(trial("amitriptyline", "tca", dose=25, minimum=150))]
    )
    assert status.value == a.TRD_NO
    assert any("Amitriptyline" in line and "25" in line for line in status.explanation)


def test_an_undecided_second_trial_means_insufficient_data():
    status = a.trd_status([assess(trial()), assess(trial("escitalopram", adherence="unknown"))])
    assert status.value == a.TRD_INSUFFICIENT


def test_no_trials_means_insufficient_data():
    assert a.trd_status([]).value == a.TRD_INSUFFICIENT


def test_bipolar_depression_is_not_trd_even_with_failures():
    status = a.trd_status([assess(trial()), assess(trial("venlafaxine", "snri"))], bipolar=True)
    assert status.value == a.TRD_NO
    assert "EU-PEARL" in status.explanation[0]


def test_trials_of_an_earlier_episode_are_left_out():
    earlier = trial(started=date(2020, 1, 1))
    assert not a.in_episode(earlier, date(2025, 1, 1))
    assert a.in_episode(earlier, None)


# Pseudo-resistance ------------------------------------------------------------------------


def test_an_inadequate_dose_that_did_not_help_is_possible_pseudo_resistance():
    result = a.pseudo_resistance(
        rules=RULES, assessed=[assess(trial(dose=25, minimum=50, improvement=5))]
    )
    assert result.possible
    assert "Sertraline" in result.causes[0]


def test_an_inadequate_trial_that_helped_is_not_pseudo_resistance():
    assert not a.pseudo_resistance(
        rules=RULES, assessed=[assess(trial(dose=25, minimum=50, improvement=60))]
    ).possible


def test_adequate_failures_alone_are_not_pseudo_resistance():
    assert not a.pseudo_resistance(
        rules=RULES, assessed=[assess(trial()), assess(trial("venlafaxine"))]
    ).possible


def test_an_inducer_during_a_trial_is_a_cause():
    result = a.pseudo_resistance(
        rules=RULES, assessed=[assess(trial())], interactions=[("Sertraline", "Carbamazepine")]
    )
    assert result.possible and "Carbamazepine" in result.causes[0]


def test_poor_adherence_and_incomplete_records_are_causes():
    result = a.pseudo_resistance(
        rules=RULES,
        assessed=[assess(trial(adherence="poor")), assess(trial("escitalopram", dose=None))],
    )
    assert len(result.causes) == 2


# Thase-Rush -------------------------------------------------------------------------------


def failed(cls, drug=None):
    return assess(trial(drug or cls, cls))


@pytest.mark.parametrize(
    ("classes", "stage"),
    [
        ([], None),
        (["ssri"], 1),
        (["ssri", "ssri"], 1),
        (["ssri", "snri"], 2),
        (["ssri", "tca"], 2),
        (["ssri", "snri", "tca"], 3),
        (["ssri", "tca", "tca"], 3),
        (["ssri", "snri", "maoi"], 2),
        (["ssri", "snri", "tca", "maoi"], 4),
    ],
)
def test_thase_rush_stage_is_the_highest_complete_chain(classes, stage):
    assessed = [failed(c, f"{c}{i}") for i, c in enumerate(classes)]
    assert a.thase_rush_stage(assessed, rules=RULES) == stage


def test_a_response_to_an_adequate_trial_is_stage_zero():
    assert a.thase_rush_stage([assess(trial(improvement=70))], rules=RULES) == 0


def test_stage_five_needs_a_failed_bilateral_ect_course():
    assessed = [failed(c, f"{c}{i}") for i, c in enumerate(["ssri", "snri", "tca", "maoi"])]
    unilateral = a.Course("ect", bilateral=False, improvement_pct=5)
    bilateral = a.Course("ect", bilateral=True, improvement_pct=5)
    assert a.thase_rush_stage(assessed, [unilateral], rules=RULES) == 4
    assert a.thase_rush_stage(assessed, [bilateral], rules=RULES) == 5
    assert a.thase_rush_stage(assessed[:3], [bilateral], rules=RULES) == 3


def test_the_clinics_failure_threshold_decides_ect_and_pseudo_resistance():
    canadian = a.Rules(min_weeks=6, early_stop_weeks=4, failure_below_pct=50)
    assessed = [failed(c, f"{c}{i}") for i, c in enumerate(["ssri", "snri", "tca", "maoi"])]
    ect = a.Course("ect", bilateral=True, improvement_pct=30)
    assert a.thase_rush_stage(assessed, [ect], rules=RULES) == 4
    assert a.thase_rush_stage(assessed, [ect], rules=canadian) == 5
    short = trial(dose=25, minimum=50, improvement=30)
    assert not a.pseudo_resistance([assess(short)], rules=RULES).possible
    assert a.pseudo_resistance([assess(short, canadian)], rules=canadian).possible


# Maudsley ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("months", "severity", "psychotic", "failures", "aug", "ect", "score", "band"),
    [  # domain.md §1.3 test vectors
        (8, "moderate", False, 2, False, False, 5, "mild"),
        (18, "severe", False, 4, True, False, 9, "moderate"),
        (36, "severe", True, 8, True, True, 14, "severe"),
        (12, "subsyndromal", False, 1, False, False, 3, "mild"),
        (13, "mild", False, 6, False, False, 7, "moderate"),
        (25, "severe", False, 11, True, True, 14, "severe"),
    ],
)
def test_maudsley_vectors(months, severity, psychotic, failures, aug, ect, score, band):
    result = a.maudsley_score(
        episode_months=months,
        severity=severity,
        psychotic=psychotic,
        failed_count=failures,
        augmentation_used=aug,
        ect_used=ect,
    )
    assert (result.score, result.band) == (score, band)


def test_maudsley_needs_a_failure_a_duration_and_a_severity():
    common = {"psychotic": False, "augmentation_used": False, "ect_used": False}
    assert a.maudsley_score(episode_months=10, severity="mild", failed_count=0, **common) is None
    assert a.maudsley_score(episode_months=None, severity="mild", failed_count=1, **common) is None
    assert a.maudsley_score(episode_months=10, severity="", failed_count=1, **common) is None


@given(
    months=st.integers(0, 600),
    severity=st.sampled_from(["subsyndromal", "mild", "moderate", "severe"]),
    psychotic=st.booleans(),
    failures=st.integers(1, 40),
    aug=st.booleans(),
    ect=st.booleans(),
)
def test_maudsley_total_stays_within_3_to_15_and_matches_its_band(
    months, severity, psychotic, failures, aug, ect
):
    result = a.maudsley_score(
        episode_months=months,
        severity=severity,
        psychotic=psychotic,
        failed_count=failures,
        augmentation_used=aug,
        ect_used=ect,
    )
    assert 3 <= result.score <= 15
    assert result.band == (
        "mild" if result.score <= 6 else "moderate" if result.score <= 10 else "severe"
    )
    assert result.score == (
        result.duration_points
        + result.severity_points
        + result.failure_points
        + result.augmentation_points
        + result.ect_points
    )


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (date(2025, 4, 1), date(2025, 12, 1), 8),
        (date(2025, 4, 21), date(2025, 12, 1), 7),
        (date(2024, 12, 1), date(2025, 12, 1), 12),
        (date(2024, 11, 30), date(2025, 12, 1), 12),
        (date(2024, 11, 1), date(2025, 12, 1), 13),
    ],
)
def test_months_between_counts_whole_months(start, end, months):
    assert a.months_between(start, end) == months


trials_strategy = st.builds(
    trial,
    drug=st.sampled_from(["sertraline", "escitalopram", "venlafaxine", "amitriptyline"]),
    cls=st.sampled_from(["ssri", "snri", "tca", "maoi", "other_ad"]),
    dose=st.one_of(st.none(), st.integers(1, 400)),
    minimum=st.one_of(st.none(), st.integers(1, 200)),
    weeks=st.integers(0, 30),
    adherence=st.sampled_from(["good", "partial", "poor", "unknown"]),
    improvement=st.one_of(st.none(), st.integers(-100, 100)),
    ongoing=st.booleans(),
)


@given(st.lists(trials_strategy, max_size=8))
def test_assessment_invariants(trials):
    assessed = [assess(t) for t in trials]
    for result in assessed:
        # Never failed unless adequate; never adequate with an inadequacy reason.
        if result.failed:
            assert result.adequate is True
        if any(r.makes_inadequate for r in result.reasons):
            assert result.adequate is False and result.failed is False
        # The Canadian threshold is the stricter: failing EU-PEARL fails it too.
        if result.failed:
            assert result.failed_canadian
    status = a.trd_status(assessed)
    failed_drugs = {r.trial.drug_key for r in assessed if r.failed}
    assert (status.value == a.TRD_YES) == (len(failed_drugs) >= 2)
    stage = a.thase_rush_stage(assessed, rules=RULES)
    if failed_drugs:
        assert stage is not None and stage >= 1
    if stage is not None and stage >= 2:
        assert len({r.trial.drug_class for r in assessed if r.failed}) >= 2
