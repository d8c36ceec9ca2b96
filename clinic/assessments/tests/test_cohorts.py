"""Outcome cohorts read the intake; chart markers read the medication record."""

from datetime import date

import pytest

from clinic.accounts.roles import Role
from clinic.assessments.cohorts import condition_of, treatment_markers
from clinic.conftest import make_patient
from clinic.patients.services import record_intake

pytestmark = pytest.mark.django_db


def test_the_current_intake_decides_the_cohort_most_specific_first(kyiv, users):
    doctor = users[(Role.PHYSICIAN, "kyiv")]
    postpartum = make_patient(kyiv, "K-0001")
    trd = make_patient(kyiv, "K-0002")
    changed = make_patient(kyiv, "K-0003")
    nothing = make_patient(kyiv, "K-0004")
    record_intake(
        postpartum, data={"condition_trd": True, "condition_postpartum": True}, actor=doctor
    )
    record_intake(trd, data={"condition_trd": True}, actor=doctor)
    record_intake(changed, data={"condition_trd": True}, actor=doctor)
    record_intake(changed, data={"condition_phobia": True}, actor=doctor)

    found = condition_of([postpartum.pk, trd.pk, changed.pk, nothing.pk])

    assert found == {
        postpartum.pk: "perinatal",
        trd.pk: "trd",
        changed.pk: "anxiety",  # the newer intake counts
        nothing.pk: "unspecified",
    }


def test_markers_are_the_medication_changes_oldest_first(kyiv, users):
    from clinic.patients.services import add_medication

    patient = make_patient(kyiv, "K-0001")
    add_medication(
        patient,
        other_name="Кветіапін",
        started_on=date(2026, 10, 1),
        stopped_on=date(2026, 11, 1),
        actor=users[(Role.PHYSICIAN, "kyiv")],
    )

    markers = treatment_markers(patient)

    assert [day for day, _ in markers] == [date(2026, 10, 1), date(2026, 11, 1)]
    assert all("Кветіапін" in label for _, label in markers)
