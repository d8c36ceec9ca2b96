"""Every test vector of domain.md §2, and properties that must hold for any answers."""

import contextlib

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from clinic.assessments.instruments import INSTRUMENTS, ScoringError, get, score
from clinic.assessments.instruments.epds import REVERSED
from clinic.assessments.outcomes import change_pct, is_remission, is_response


@pytest.mark.parametrize(
    "answers,total,band,safety",
    [
        ([0] * 9, 0, "minimal", ()),
        ([1, 1, 1, 1, 1, 0, 0, 0, 0], 5, "mild", ()),
        ([2, 2, 1, 1, 1, 1, 1, 1, 0], 10, "moderate", ()),
        ([3, 3, 2, 2, 2, 2, 1, 1, 0], 16, "moderately_severe", ()),
        ([3, 3, 3, 3, 3, 3, 2, 2, 1], 23, "severe", ("phq9_item9",)),
    ],
)
def test_phq9_vectors(answers, total, band, safety):
    result = score("phq9", answers)
    assert (result.total, result.band, result.safety) == (total, band, safety)


def test_phq9_baseline_20_to_9_is_response_not_remission():
    pct = change_pct(20, 9)
    assert pct == 55
    assert is_response(pct, 50)
    assert not is_remission(9, 4)


@pytest.mark.parametrize(
    "answers,total,band",
    [
        ([0] * 7, 0, "minimal"),
        ([1, 1, 1, 1, 1, 0, 0], 5, "mild"),
        ([2, 2, 2, 1, 1, 1, 1], 10, "moderate"),
        ([3, 3, 2, 2, 2, 2, 1], 15, "severe"),
    ],
)
def test_gad7_vectors(answers, total, band):
    result = score("gad7", answers)
    assert (result.total, result.band, result.safety) == (total, band, ())


def test_epds_position_0_everywhere_scores_21_with_item_10_safety():
    # Catches a missing reversal: items 1, 2, 4 -> 0, the other seven -> 3.
    result = score("epds", [0] * 10)
    assert result.total == 21
    assert result.band == "probable"
    assert result.item_scores[9] == 3
    assert result.safety == ("epds_item10",)


def test_epds_position_3_everywhere_scores_9_below_cutoff():
    result = score("epds", [3] * 10)
    assert (result.total, result.band, result.safety) == (9, "below_cutoff", ())


def positions_for_epds_scores(scored):
    """Vectors C and D are given as scored values; turn them back into printed positions."""
    return [3 - s if n in REVERSED else s for n, s in enumerate(scored, start=1)]


def test_epds_vector_c_scores_11():
    result = score("epds", positions_for_epds_scores([1, 1, 2, 1, 1, 2, 1, 1, 1, 0]))
    assert result.total == 11
    assert result.band == "possible"  # >=10 and >=11 positive, <13
    assert result.safety == ()


def test_epds_vector_d_scores_16_with_item_10_safety():
    result = score("epds", positions_for_epds_scores([2, 2, 2, 2, 1, 2, 1, 2, 1, 1]))
    assert result.total == 16
    assert result.band == "probable"
    assert result.safety == ("epds_item10",)


@pytest.mark.parametrize(
    "answers,total,band,safety",
    [
        ([0] * 10, 0, "normal", ()),
        ([2, 2, 2, 2, 1, 1, 2, 2, 2, 0], 16, "mild", ()),
        ([4, 4, 3, 3, 2, 3, 3, 3, 3, 2], 30, "moderate", ("madrs_item10",)),
        ([5, 5, 4, 4, 3, 4, 4, 4, 4, 3], 40, "severe", ("madrs_item10",)),
    ],
)
def test_madrs_vectors(answers, total, band, safety):
    result = score("madrs", answers)
    assert (result.total, result.band, result.safety) == (total, band, safety)


def test_madrs_item_10_alert_level_is_configurable():
    answers = [4, 4, 3, 3, 2, 3, 3, 3, 3, 2]
    assert score("madrs", answers, {"alert_item_min": 3}).safety == ()
    assert score("madrs", answers, {"alert_item_min": 2}).safety == ("madrs_item10",)


def test_madrs_baseline_30_to_15_is_response_not_remission():
    pct = change_pct(30, 15)
    assert pct == 50 and is_response(pct, 50)
    assert not is_remission(15, 10)


def test_qids_sums_domains_not_items():
    result = score("qids_sr16", [0, 1, 3, 0, 2, 1, 0, 2, 0, 1, 2, 0, 1, 2, 1, 2])
    assert list(result.details["domains"].values()) == [3, 2, 2, 1, 2, 0, 1, 2, 2]
    assert (result.total, result.band, result.safety) == (15, "moderate", ())
    assert sum(result.item_scores) == 18  # the naive sum, which would say "severe"


@pytest.mark.parametrize(
    "value,total,band,safety",
    [
        (0, 0, "none", ()),
        (3, 27, "very_severe", ("qids_item12",)),
        (1, 9, "mild", ("qids_item12",)),
    ],
)
def test_qids_uniform_vectors(value, total, band, safety):
    result = score("qids_sr16", [value] * 16)
    assert (result.total, result.band, result.safety) == (total, band, safety)


def test_pcl5_vectors():
    assert (score("pcl5", [0] * 20).total, score("pcl5", [0] * 20).details["dsm5_rule_met"]) == (
        0,
        False,
    )
    discordant = score(
        "pcl5", [2, 0, 0, 0, 0] + [2, 0] + [2, 2, 0, 0, 0, 0, 0] + [2, 2, 0, 0, 0, 0]
    )
    assert discordant.total == 12
    assert discordant.details["dsm5_rule_met"] is True
    assert discordant.band == "below_cutoff"
    twos = score("pcl5", [2] * 20)
    assert twos.total == 40
    assert twos.details["clusters"] == {"B": 10, "C": 4, "D": 14, "E": 12}
    assert twos.details["dsm5_rule_met"] and twos.band == "probable"
    ones = score("pcl5", [1] * 20)
    assert ones.total == 20 and not ones.details["dsm5_rule_met"] and ones.band == "below_cutoff"


def test_pcl5_cutoff_is_configurable():
    assert score("pcl5", [2] * 20, {"screen_cutoff": 41}).band == "below_cutoff"
    assert score("pcl5", [2] * 20, {"screen_cutoff": 38}).band == "probable"


Y, N = 1, 0


@pytest.mark.parametrize(
    "answers,risk,safety",
    [
        ([Y, N, None, None, None, N, None], "low", ()),
        ([Y, Y, Y, N, N, N, None], "moderate", ("cssrs_moderate",)),
        ([N, N, None, None, None, Y, N], "moderate", ("cssrs_moderate",)),
        ([N, Y, N, Y, N, N, None], "high", ("cssrs_high",)),
        ([N, N, None, None, None, Y, Y], "high", ("cssrs_high",)),
        ([N, N, None, None, None, N, None], "none", ()),
    ],
)
def test_cssrs_triage_vectors(answers, risk, safety):
    result = score("cssrs", answers)
    assert (result.band, result.safety, result.total) == (risk, safety, None)


def test_cssrs_refuses_answers_that_break_the_skip_rule():
    with translation.override("en"), pytest.raises(ScoringError, match="skipped"):
        score("cssrs", [Y, N, Y, None, None, N, None])
    with translation.override("en"), pytest.raises(ScoringError, match="must be answered"):
        score("cssrs", [Y, Y, None, None, None, N, None])
    with pytest.raises(ScoringError):
        score("cssrs", [Y, N, None, None, None, Y, None])


def test_cadss_vectors():
    assert score("cadss", [0] * 23).total == 0
    assert score("cadss", [1] * 23).total == 23
    answers = [0] * 23
    for number, value in {1: 2, 2: 1, 6: 0, 7: 3, 15: 1, 22: 0}.items():
        answers[number - 1] = value
    assert score("cadss", answers).details["cadss6"] == 7


def test_cadss6_scores_its_six_items_like_the_full_form_does():
    # domain.md §2.9: CADSS-6 with items {1:2,2:1,6:0,7:3,15:1,22:0} -> 7.
    assert score("cadss6", [2, 1, 0, 3, 1, 0]).total == 7
    assert score("cadss6", [4] * 6).total == get("cadss6").max_total == 24
    assert [item.number for item in get("cadss6").items] == [1, 2, 6, 7, 15, 22]
    with pytest.raises(ScoringError):
        score("cadss6", [0] * 23)


def test_discharge_vectors():
    assert score("padss", [2, 2, 2, 2, 1]).total == 9
    assert score("padss", [2, 2, 2, 2, 1]).details["fit_for_discharge"] is True
    assert score("padss", [2, 1, 1, 2, 2]).total == 8
    assert score("padss", [2, 1, 1, 2, 2]).details["fit_for_discharge"] is False
    assert score("aldrete", [2, 2, 1, 2, 2]).total == 9
    assert score("aldrete", [2, 2, 1, 1, 2]).total == 8
    assert score("aldrete", [2, 2, 1, 1, 2], {"discharge_min": 8}).band == "fit"


def test_moaas_and_bprs():
    assert score("moaas", [5]).band == "alert"
    assert score("moaas", [0]).details["unresponsive"] is True
    assert score("moaas", [3]).band == "sedated"
    full = score("bprs", [1] * 18)
    assert full.total == 18 and full.details["complete"]
    partial = score("bprs", [0] + [7] * 17)
    assert partial.total == 119 and partial.band == "incomplete"
    assert score("bprs", [7] * 18).total == 126


@pytest.mark.parametrize(
    "answers",
    [None, "000000000", [0] * 8, [0] * 10, [0] * 8 + [4], [0] * 8 + [-1], [0] * 8 + [True]],
)
def test_it_rejects_invalid_answers_with_one_error_type(answers):
    with pytest.raises(ScoringError) as raised:
        score("phq9", answers)
    assert str(raised.value)


def test_it_rejects_an_unknown_scale():
    with pytest.raises(ScoringError):
        score("hamd", [0])
    with pytest.raises(ScoringError):
        get(["phq9"])


def test_change_pct_guards_a_zero_baseline():
    assert change_pct(0, 0) is None
    assert change_pct(10, 12) == -20


# --- properties -------------------------------------------------------------------------


def answers_for(instrument):
    return st.tuples(
        *(st.integers(min_value=0, max_value=len(item.options) - 1) for item in instrument.items)
    ).map(list)


SUMMED = [code for code, i in INSTRUMENTS.items() if code not in ("cssrs",)]


@pytest.mark.parametrize("code", SUMMED)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_total_stays_in_range_and_band_covers_it(code, data):
    instrument = get(code)
    result = score(code, data.draw(answers_for(instrument)))
    assert instrument.min_total <= result.total <= instrument.max_total
    if instrument.bands:
        assert result.band in {b.code for b in instrument.bands_with()}


@pytest.mark.parametrize("code", SUMMED)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_a_worse_answer_never_lowers_the_total(code, data):
    instrument = get(code)
    answers = data.draw(answers_for(instrument))
    index = data.draw(st.integers(min_value=0, max_value=len(answers) - 1))
    options = instrument.items[index].options
    current = options[answers[index]].value
    higher = [p for p, o in enumerate(options) if o.value > current]
    if code == "bprs" and current == 0:
        higher = []  # "not assessed" -> assessed changes completeness, not severity
    if not higher:
        return
    worse = list(answers)
    worse[index] = data.draw(st.sampled_from(higher))
    assert score(code, worse).total >= score(code, answers).total


SAFETY_ITEMS = [
    ("phq9", 8, "phq9_item9"),
    ("epds", 9, "epds_item10"),
    ("qids_sr16", 11, "qids_item12"),
    ("madrs", 9, "madrs_item10"),
]


@pytest.mark.parametrize("code,index,flag", SAFETY_ITEMS)
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_safety_flag_follows_the_safety_item_whatever_else_is_answered(code, index, flag, data):
    instrument = get(code)
    answers = data.draw(answers_for(instrument))
    item_score = instrument.items[index].options[answers[index]].value
    result = score(code, answers)
    assert (flag in result.safety) == (item_score > 0)
    assert instrument.safety_in(answers) == result.safety
    # The item named to the person confirming the entry is the safety item itself.
    assert instrument.safety_items(answers, result.safety) == ((index,) if result.safety else ())


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([0, 1, None]), min_size=7, max_size=7))
def test_a_cssrs_risk_names_the_questions_answered_yes(answers):
    try:
        result = score("cssrs", answers)
    except ScoringError:
        return
    named = get("cssrs").safety_items(answers, result.safety)
    if result.safety:
        assert named and all(answers[i] == 1 for i in named)
        assert set(named) == {i for i, a in enumerate(answers) if a == 1}
    else:
        assert named == ()


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from([0, 1, None]), min_size=7, max_size=7),
)
def test_cssrs_behaviour_in_past_3_months_is_always_high_risk(answers):
    try:
        result = score("cssrs", answers)
    except ScoringError:
        return
    if answers[5] == 1 and answers[6] == 1 or answers[3] == 1 or answers[4] == 1:
        assert result.band == "high" and result.safety == ("cssrs_high",)
    if result.band in ("moderate", "high"):
        assert result.safety


@settings(max_examples=300, deadline=None)
@given(
    code=st.sampled_from(sorted(INSTRUMENTS)),
    answers=st.one_of(
        st.none(),
        st.text(),
        st.integers(),
        st.lists(st.one_of(st.integers(), st.none(), st.booleans(), st.floats(), st.text())),
    ),
)
def test_any_input_scores_or_raises_scoring_error(code, answers):
    with contextlib.suppress(ScoringError):
        score(code, answers)


def test_every_instrument_declares_its_licence_recall_and_languages():
    for code, instrument in INSTRUMENTS.items():
        assert instrument.code == code
        assert instrument.licence in ("public_domain", "permission_required", "unconfirmed")
        assert str(instrument.recall)
        assert instrument.version
        # Wording ships only for public-domain scales, and then in both languages.
        shipped = any(item.text for item in instrument.items)
        assert shipped == (instrument.languages == ("uk", "en")) or code == "bprs"
        if instrument.licence != "public_domain":
            assert not shipped and instrument.languages == ()
