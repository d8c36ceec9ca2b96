from datetime import date

import pytest

from clinic.patients import screening as s

# The shipped defaults of the site settings (clinic.treatment.rules.PROVENANCE).
SITE = s.BloodPressureLimits(
    block_systolic=180, block_diastolic=100, warn_systolic=140, warn_diastolic=90
)


def facts(**overrides):
    values = {
        "conditions": frozenset(),
        "blood_pressure": (120, 80, date(2026, 11, 30)),
        "bp_limits": SITE,
    }
    values.update(overrides)
    return s.ScreenFacts(**values)


def codes(findings):
    return [f.code for f in findings]


def test_a_clean_record_has_no_findings():
    assert s.ketamine_screen(facts()) == []


@pytest.mark.parametrize(
    ("bp", "code", "kind"),
    [
        ((185, 95), "uncontrolled_hypertension", s.CONTRAINDICATION),
        ((170, 105), "uncontrolled_hypertension", s.CONTRAINDICATION),
        ((181, 100), "uncontrolled_hypertension", s.CONTRAINDICATION),
        ((180, 100), "elevated_blood_pressure", s.CAUTION),
        ((145, 85), "elevated_blood_pressure", s.CAUTION),
        ((140, 90), None, None),
    ],
)
def test_blood_pressure_thresholds(bp, code, kind):
    findings = s.ketamine_screen(facts(blood_pressure=(*bp, date(2026, 11, 30))))
    if code is None:
        assert findings == []
    else:
        assert (findings[0].code, findings[0].kind) == (code, kind)
        assert f"{bp[0]}/{bp[1]}" in findings[0].text


def test_the_limits_are_the_sites_own():
    strict = s.BloodPressureLimits(
        block_systolic=160, block_diastolic=95, warn_systolic=130, warn_diastolic=85
    )
    (finding,) = s.ketamine_screen(
        facts(blood_pressure=(165, 80, date(2026, 11, 30)), bp_limits=strict)
    )
    assert finding.code == "uncontrolled_hypertension" and "160/95" in finding.text
    (finding,) = s.ketamine_screen(
        facts(blood_pressure=(135, 80, date(2026, 11, 30)), bp_limits=strict)
    )
    assert finding.code == "elevated_blood_pressure" and "130/85" in finding.text


def test_a_reading_without_site_limits_is_not_judged_but_named():
    findings = s.ketamine_screen(
        facts(blood_pressure=(200, 120, date(2026, 11, 30)), bp_limits=None)
    )
    assert codes(findings) == ["no_blood_pressure_limits"]
    assert not findings[0].is_contraindication


def test_missing_blood_pressure_and_intake_are_cautions():
    findings = s.ketamine_screen(facts(blood_pressure=None, has_intake=False))
    assert codes(findings) == ["no_intake", "no_blood_pressure"]
    assert not any(f.is_contraindication for f in findings)


def test_contraindications_come_before_cautions_and_interactions():
    findings = s.ketamine_screen(
        facts(
            conditions=frozenset({"hepatic_impairment", "aneurysm_or_avm"}),
            medications=(("Diazepam", "benzodiazepine"),),
        )
    )
    assert [f.kind for f in findings] == [s.CONTRAINDICATION, s.CAUTION, s.INTERACTION]
    assert findings[2].code == "interaction:benzodiazepine" and "Diazepam" in findings[2].text


@pytest.mark.parametrize(
    "interaction",
    [
        "benzodiazepine",
        "lamotrigine",
        "naltrexone",
        "maoi",
        "stimulant",
        "cyp_inducer",
        "cyp_inhibitor",
        "cns_depressant",
        "theophylline",
    ],
)
def test_every_listed_interaction_is_reported_with_its_source(interaction):
    (finding,) = s.ketamine_screen(facts(medications=(("X", interaction),)))
    assert finding.kind == s.INTERACTION and finding.source


def test_medicines_without_interaction_are_not_reported():
    assert s.ketamine_screen(facts(medications=(("Amlodipine", ""),))) == []


def test_pregnancy_is_a_contraindication_and_breastfeeding_a_caution():
    findings = s.ketamine_screen(facts(pregnant=True, breastfeeding="mixed"))
    assert [(f.code, f.kind) for f in findings] == [
        ("pregnancy", s.CONTRAINDICATION),
        ("breastfeeding", s.CAUTION),
    ]


def test_substance_use_and_psychosis_are_cautions():
    findings = s.ketamine_screen(facts(substance_use="past", psychotic_features=True))
    assert set(codes(findings)) == {"substance_use", "psychotic_features"}


# Risk groups ------------------------------------------------------------------------------


def flags(**overrides):
    values = {
        "sex": "male",
        "age": 40,
        "severity": "moderate",
        "episode_count": 1,
        "comorbidity": False,
        "sleep_disorder": False,
        "eating_disorder": False,
        "substance_use": "none",
    }
    values.update(overrides)
    return [code for code, _label in s.risk_flags(**values)]


def test_no_risk_groups_for_a_middle_aged_man_with_a_first_moderate_episode():
    assert flags() == []


def test_each_of_the_seeds_risk_groups_raises_its_flag():
    assert flags(
        sex="female",
        age=70,
        severity="severe",
        episode_count=3,
        comorbidity=True,
        sleep_disorder=True,
        eating_disorder=True,
        substance_use="current",
    ) == [
        "woman",
        "elderly",
        "severe_episode",
        "recurrent",
        "comorbidity",
        "sleep",
        "eating",
        "substance",
    ]


def test_the_elderly_flag_starts_at_65():
    assert "elderly" not in flags(age=64)
    assert "elderly" in flags(age=65)


# DSM-5 peripartum onset -------------------------------------------------------------------

DELIVERY = date(2026, 6, 1)


@pytest.mark.parametrize(
    ("onset", "expected"),
    [
        (date(2026, 6, 1), True),  # day of delivery
        (date(2026, 6, 29), True),  # 28 days after
        (date(2026, 6, 30), False),  # 29 days after
        (date(2026, 2, 1), True),  # during pregnancy
        (date(2025, 8, 1), False),  # before pregnancy
    ],
)
def test_peripartum_onset_is_pregnancy_or_four_weeks_after_delivery(onset, expected):
    result = s.peripartum_onset(
        onset, delivery_date=DELIVERY, pregnancy_start=date(2025, 9, 1), pregnant=False
    )
    assert result is expected


def test_peripartum_onset_is_unknown_without_the_dates_needed():
    assert (
        s.peripartum_onset(None, delivery_date=DELIVERY, pregnancy_start=None, pregnant=False)
        is None
    )
    assert (
        s.peripartum_onset(
            date(2026, 3, 1), delivery_date=DELIVERY, pregnancy_start=None, pregnant=False
        )
        is None
    )
    assert (
        s.peripartum_onset(
            date(2026, 3, 1), delivery_date=None, pregnancy_start=None, pregnant=True
        )
        is None
    )


def test_onset_in_a_current_pregnancy_is_peripartum():
    assert s.peripartum_onset(
        date(2026, 10, 1), delivery_date=None, pregnancy_start=date(2026, 5, 1), pregnant=True
    )


def test_postpartum_weeks():
    assert s.postpartum_weeks(date(2026, 11, 1), date(2026, 12, 1)) == 4
    assert s.postpartum_weeks(date(2026, 12, 5), date(2026, 12, 1)) is None
