"""Outcome cohorts read the intake and the infusions; chart markers read the medication
record and the infusions."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import translation

from clinic.accounts.roles import Role
from clinic.assessments.cohorts import (
    condition_of,
    infusion_count,
    infusions_per_course,
    treatment_markers,
)
from clinic.conftest import make_patient
from clinic.patients.services import add_medication, record_intake
from clinic.treatment.services import discharge_patient
from clinic.treatment.tests.factories import aldrete, make_chair, make_course, make_session

pytestmark = pytest.mark.django_db
KYIV = ZoneInfo("Europe/Kyiv")


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


def _infusion_day(course, chair, nurse, physician, clock):
    """One infusion given and the patient discharged three hours later."""
    session = make_session(course, chair, nurse=nurse, physician=physician, stage="accounted")
    aldrete(session, nurse)
    clock.shift(timedelta(hours=3))
    discharge_patient(session, escort_confirmed=True, instructions_given=True, actor=nurse)
    return session


def test_infusions_are_counted_per_patient_once_the_pump_started(
    kyiv, users, django_assert_num_queries
):
    nurse, doctor = users[(Role.NURSE, "kyiv")], users[(Role.PHYSICIAN, "kyiv")]
    chair = make_chair(kyiv)
    twice, waiting, none = (make_patient(kyiv, f"K-000{n}") for n in (1, 2, 3))
    with time_machine.travel(datetime(2026, 12, 7, 9, 0, tzinfo=KYIV), tick=False) as clock:
        course = make_course(twice, doctor)
        _infusion_day(course, chair, nurse, doctor, clock)
        clock.shift(timedelta(days=2))
        _infusion_day(course, chair, nurse, doctor, clock)
        # Checked in and pre-checked, but the infusion never started: not counted.
        make_session(
            make_course(waiting, doctor), chair, nurse=nurse, physician=doctor, stage="dosed"
        )

    with django_assert_num_queries(1):
        found = infusion_count([twice.pk, waiting.pk, none.pk])

    assert found == {twice.pk: 2, waiting.pk: 0, none.pk: 0}


def test_infusions_are_counted_per_course_of_care(kyiv, users, django_assert_num_queries):
    nurse, doctor = users[(Role.NURSE, "kyiv")], users[(Role.PHYSICIAN, "kyiv")]
    chair = make_chair(kyiv)
    patient = make_patient(kyiv, "K-0001")
    with time_machine.travel(datetime(2026, 12, 7, 9, 0, tzinfo=KYIV), tick=False) as clock:
        first = make_course(patient, doctor)
        _infusion_day(first, chair, nurse, doctor, clock)
        clock.shift(timedelta(days=2))
        _infusion_day(first, chair, nurse, doctor, clock)
        second = make_course(patient, doctor, indication="Підтримувальний курс")
        clock.shift(timedelta(days=2))
        _infusion_day(second, chair, nurse, doctor, clock)

    with django_assert_num_queries(1):
        found = infusions_per_course([first.pk, second.pk])

    # Per patient the three infusions are one number; per course each plan counts its own.
    assert found == {first.pk: 2, second.pk: 1}


def test_markers_number_the_infusions_among_the_medication_changes(kyiv, users):
    nurse, doctor = users[(Role.NURSE, "kyiv")], users[(Role.PHYSICIAN, "kyiv")]
    patient = make_patient(kyiv, "K-0001")
    chair = make_chair(kyiv)
    with time_machine.travel(datetime(2026, 12, 7, 9, 0, tzinfo=KYIV), tick=False) as clock:
        course = make_course(patient, doctor)
        _infusion_day(course, chair, nurse, doctor, clock)
        clock.shift(timedelta(days=2))
        _infusion_day(course, chair, nurse, doctor, clock)
        add_medication(patient, other_name="Кветіапін", started_on=date(2026, 12, 8), actor=doctor)

    with translation.override("en"):
        markers = treatment_markers(patient)

    assert markers[0] == (date(2026, 12, 7), "Infusion 1")
    assert markers[1][0] == date(2026, 12, 8) and "Кветіапін" in markers[1][1]
    assert markers[2] == (date(2026, 12, 9), "Infusion 2")
