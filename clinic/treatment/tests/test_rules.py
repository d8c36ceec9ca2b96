"""Dose arithmetic, thresholds, TES charge and scale totals: vectors from domain.md and
properties that must hold for every input (hypothesis)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clinic.treatment import rules, scales
from clinic.treatment.models import TreatmentSettings

DEFAULTS = TreatmentSettings()  # the shipped defaults, unsaved

weights = st.decimals(min_value=Decimal("30.0"), max_value=Decimal("250.0"), places=1)
doses = st.decimals(min_value=Decimal("0.05"), max_value=Decimal("0.75"), places=2)
concentrations = st.decimals(min_value=Decimal("0.5"), max_value=Decimal("50"), places=2)
durations = st.integers(min_value=2, max_value=100)


def test_dose_vectors_from_domain():
    # domain.md §3.3: 70 kg x 0.5 mg/kg = 35 mg over 40 min = 0.875 mg/min; 82.4 kg -> 41.2 mg.
    calc = rules.calculate_dose(
        weight_kg=Decimal("70"),
        mg_per_kg=Decimal("0.5"),
        concentration_mg_per_ml=Decimal("1"),
        minutes=40,
    )
    assert (calc.dose_mg, calc.mg_per_min, calc.volume_ml, calc.rate_ml_per_h) == (
        Decimal("35.0"),
        Decimal("0.875"),
        Decimal("35.0"),
        Decimal("52.5"),
    )
    calc = rules.calculate_dose(
        weight_kg=Decimal("82.4"),
        mg_per_kg=Decimal("0.5"),
        concentration_mg_per_ml=Decimal("1"),
        minutes=40,
    )
    assert calc.dose_mg == Decimal("41.2")


@settings(max_examples=500, deadline=None)
@given(weights, doses, concentrations, durations)
def test_the_pump_delivers_the_signed_dose(weight, dose, concentration, minutes):
    calc = rules.calculate_dose(
        weight_kg=weight, mg_per_kg=dose, concentration_mg_per_ml=concentration, minutes=minutes
    )
    # Within rounding to 0.1 mg, the dose is mg/kg x kg.
    assert abs(calc.dose_mg - weight * dose) <= Decimal("0.05")
    # The volume at the concentration holds the dose (to the 0.05 ml the pump is set in).
    assert abs(calc.volume_ml * concentration - calc.dose_mg) <= Decimal("0.05") * concentration
    # The rate over the set time gives the volume (to rounding of the rate).
    delivered = calc.rate_ml_per_h * minutes / 60
    assert abs(delivered - calc.volume_ml) <= Decimal("0.05") * minutes / 60 + Decimal("1e-9")
    assert calc.dose_mg > 0 and calc.rate_ml_per_h >= 0


@settings(max_examples=300, deadline=None)
@given(weights, doses, doses)
def test_a_higher_dose_never_gives_fewer_milligrams(weight, a, b):
    low, high = sorted((a, b))
    calc = {
        d: rules.calculate_dose(
            weight_kg=weight, mg_per_kg=d, concentration_mg_per_ml=Decimal("1"), minutes=40
        ).dose_mg
        for d in (low, high)
    }
    assert calc[low] <= calc[high]


@settings(max_examples=300, deadline=None)
@given(doses, st.decimals(min_value=Decimal("1"), max_value=Decimal("200"), places=1))
def test_the_dose_guard_refuses_exactly_what_exceeds_a_limit(mg_per_kg, dose_mg):
    problems = rules.dose_problems(mg_per_kg=mg_per_kg, dose_mg=dose_mg, rules=DEFAULTS)
    over = mg_per_kg > DEFAULTS.max_dose_mg_per_kg or dose_mg > DEFAULTS.max_dose_mg
    assert bool(problems) is over


bp = st.integers(min_value=50, max_value=300)


@settings(max_examples=1000, deadline=None)
@given(bp, st.integers(min_value=20, max_value=200))
def test_predose_pressure_classes_follow_the_thresholds(systolic, diastolic):
    found = rules.classify_predose_bp(systolic, diastolic, DEFAULTS)
    blocked = systolic > 180 or diastolic > 100  # Swiss ketamine SmPC [R51]
    warned = systolic > 140 or diastolic > 90  # [R50]
    expected = rules.BP_BLOCK if blocked else rules.BP_WARN if warned else rules.BP_NORMAL
    assert found == expected


@pytest.mark.parametrize(
    "systolic,diastolic,expected",
    [
        (140, 90, "normal"),
        (141, 80, "warn"),
        (130, 91, "warn"),
        (180, 100, "warn"),
        (181, 90, "block"),
        (150, 101, "block"),
    ],
)
def test_predose_pressure_boundaries(systolic, diastolic, expected):
    assert rules.classify_predose_bp(systolic, diastolic, DEFAULTS) == expected


@settings(max_examples=500, deadline=None)
@given(
    st.integers(50, 300),
    st.integers(20, 200),
    st.integers(20, 250),
    st.integers(50, 100),
    st.one_of(st.none(), st.integers(4, 60)),
)
def test_an_alert_is_raised_for_each_value_outside_the_limits_and_only_then(
    systolic, diastolic, heart_rate, spo2, resp_rate
):
    reading = SimpleNamespace(
        systolic=systolic,
        diastolic=diastolic,
        heart_rate=heart_rate,
        spo2=spo2,
        resp_rate=resp_rate,
    )
    kinds = {kind for kind, _value, _limit in rules.out_of_range(reading, DEFAULTS)}
    assert ("systolic_high" in kinds) is (systolic > DEFAULTS.alert_systolic_above)
    assert ("systolic_low" in kinds) is (systolic < DEFAULTS.alert_systolic_below)
    assert ("diastolic_high" in kinds) is (diastolic > DEFAULTS.alert_diastolic_above)
    assert ("heart_rate_high" in kinds) is (heart_rate > DEFAULTS.alert_heart_rate_above)
    assert ("heart_rate_low" in kinds) is (heart_rate < DEFAULTS.alert_heart_rate_below)
    assert ("spo2_low" in kinds) is (spo2 < DEFAULTS.alert_spo2_below)
    if resp_rate is None:
        assert not kinds & {"resp_rate_low", "resp_rate_high"}


# TES -----------------------------------------------------------------------------------------


def test_tes_vectors_from_domain():
    # domain.md §4: 2 mA x 30 min = 3.6 C; 4 mA x 30 min = 7.2 C; 2 mA / 25 cm² = 0.08 mA/cm².
    first = rules.tes_derived(current_ma=Decimal("2"), minutes=30, electrode_area_cm2=Decimal("25"))
    assert first.charge_c == Decimal("3.600") and first.current_density_ma_cm2 == Decimal("0.0800")
    second = rules.tes_derived(
        current_ma=Decimal("4"), minutes=30, electrode_area_cm2=Decimal("35")
    )
    assert second.charge_c == Decimal("7.200")


@settings(max_examples=1000, deadline=None)
@given(
    st.decimals(min_value=Decimal("0.1"), max_value=Decimal("20"), places=1),
    st.integers(min_value=1, max_value=240),
    st.decimals(min_value=Decimal("1"), max_value=Decimal("100"), places=1),
)
def test_tes_is_refused_exactly_when_a_limit_is_exceeded(current, minutes, area):
    derived = rules.tes_derived(current_ma=current, minutes=minutes, electrode_area_cm2=area)
    problems = rules.tes_problems(
        current_ma=current, minutes=minutes, charge_c=derived.charge_c, rules=DEFAULTS
    )
    over = current > Decimal("2.0") or minutes > 40 or derived.charge_c > Decimal("7.2")
    assert bool(problems) is over
    if not problems:
        # Whatever passes is within the hard ceilings of domain.md §4.
        assert current <= 4 and minutes <= 40 and derived.charge_c <= Decimal("7.2")


# Scales --------------------------------------------------------------------------------------


def test_scale_vectors_from_domain():
    # domain.md §2.9 and §2.12; answers are option positions (position = score for these).
    assert scales.score("cadss", [0] * 23) == 0
    assert scales.score("cadss", [1] * 23) == 23
    assert scales.score("cadss6", [2, 1, 0, 3, 1, 0]) == 7
    assert scales.score("aldrete", [2, 2, 1, 2, 2]) == 9
    assert scales.score("aldrete", [2, 2, 1, 1, 2]) == 8
    assert scales.score("padss", [2, 2, 2, 2, 1]) == 9
    assert scales.score("padss", [2, 1, 1, 2, 2]) == 8
    assert scales.score("moaas", [3]) == 3


def test_the_session_ratings_are_the_rating_scales_own_definitions():
    from clinic.assessments.instruments import INSTRUMENTS

    for code in scales.SESSION_SCALES:
        assert scales.instrument(code) is INSTRUMENTS[code]


def test_a_scale_that_is_not_a_session_rating_is_refused():
    with pytest.raises(scales.ScaleError):
        scales.score("phq9", [0] * 9)


@st.composite
def valid_answers(draw):
    code = draw(st.sampled_from(scales.SESSION_SCALES))
    items = scales.instrument(code).items
    return code, [draw(st.integers(0, len(item.options) - 1)) for item in items]


@settings(max_examples=2000, deadline=None)
@given(valid_answers())
def test_every_complete_answer_set_totals_within_the_scale_range(case):
    code, answers = case
    total = scales.score(code, answers)
    items = scales.instrument(code).items
    assert total == sum(item.options[p].value for item, p in zip(items, answers, strict=True))
    assert 0 <= total <= scales.instrument(code).max_total


@settings(max_examples=2000, deadline=None)
@given(
    valid_answers(),
    st.one_of(st.integers(-5, 100), st.text(max_size=3), st.none(), st.booleans()),
    st.booleans(),
)
def test_anything_outside_the_instrument_is_refused(case, bad, drop):
    code, answers = case
    allowed = range(len(scales.instrument(code).items[0].options))
    if drop:
        answers.pop(0)
    elif isinstance(bad, int) and not isinstance(bad, bool) and bad in allowed:
        answers.append(1)
    else:
        answers[0] = bad
    with pytest.raises(scales.ScaleError):
        scales.score(code, answers)


def test_next_vitals_due_runs_from_the_last_reading_in_the_phase():
    start = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert rules.next_vitals_due(
        phase_started_at=start, last_reading_at=None, every_minutes=10
    ) == start + timedelta(minutes=10)
    assert rules.next_vitals_due(
        phase_started_at=start, last_reading_at=start + timedelta(minutes=12), every_minutes=10
    ) == start + timedelta(minutes=22)
    # A reading from before this phase (during the infusion) does not move the after-phase due.
    assert rules.next_vitals_due(
        phase_started_at=start, last_reading_at=start - timedelta(minutes=3), every_minutes=15
    ) == start + timedelta(minutes=15)
