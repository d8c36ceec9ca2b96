"""The staff pages people use all day cost a fixed number of queries whatever the data:
the start page, the patient chart, a name search and a vitals POST (the day board and a
booking POST are pinned in scheduling's tests)."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clinic.accounts.roles import Role
from clinic.assessments.tests.factories import make_assessment, phq9_with_total
from clinic.conftest import make_patient
from clinic.patients.models import BloodPressure, BodyMeasurement
from clinic.treatment.models import VitalSigns
from clinic.treatment.tests.factories import make_chair, make_course, make_session, record

pytestmark = pytest.mark.django_db


def counted(client, method, path, data=None):
    call = client.post if method == "POST" else client.get
    with CaptureQueriesContext(connection) as queries:
        response = call(path, data) if data is not None else call(path)
    assert response.status_code in (200, 201, 302), response.status_code
    return len(queries)


def more_patients(site, prefix, count, actor):
    for i in range(count):
        patient = make_patient(site, f"{prefix}-{i:03d}", family_name="Шевчук")
        BloodPressure.objects.create(
            patient=patient,
            measured_on=timezone.localdate(),
            systolic=120,
            diastolic=80,
            recorded_by=actor,
        )


def test_the_start_page_does_not_grow_with_patients(client, users, kyiv):
    nurse = users[(Role.NURSE, "kyiv")]
    client.force_login(users[(Role.PHYSICIAN, "kyiv")])
    counted(client, "GET", "/staff/")
    few = counted(client, "GET", "/staff/")
    more_patients(kyiv, "D", 30, nurse)
    assert counted(client, "GET", "/staff/") <= few


def test_a_name_search_does_not_grow_with_patients_or_matches(client, users, kyiv):
    nurse = users[(Role.NURSE, "kyiv")]
    more_patients(kyiv, "S", 2, nurse)
    client.force_login(users[(Role.RECEPTIONIST, "kyiv")])
    counted(client, "GET", "/staff/patients/?q=Шевч")
    few = counted(client, "GET", "/staff/patients/?q=Шевч")
    more_patients(kyiv, "T", 40, nurse)
    assert counted(client, "GET", "/staff/patients/?q=Шевч") <= few


def test_the_patient_chart_does_not_grow_with_history(client, users, kyiv):
    physician, nurse = users[(Role.PHYSICIAN, "kyiv")], users[(Role.NURSE, "kyiv")]
    patient = make_patient(kyiv, "C-0001", physician=physician)
    course = make_course(patient, physician)
    chair = make_chair(kyiv)
    session = make_session(course, chair, nurse=nurse, physician=physician)
    record(session, nurse)
    make_assessment(patient, "phq9", phq9_with_total(18), days_ago=20)
    client.force_login(physician)
    path = f"/staff/patients/{patient.public_id}/"
    counted(client, "GET", path)
    few = counted(client, "GET", path)
    for days in range(1, 40):
        make_assessment(patient, "phq9", phq9_with_total(days % 25), days_ago=days)
        BloodPressure.objects.create(
            patient=patient,
            measured_on=timezone.localdate() - timedelta(days=days),
            systolic=120,
            diastolic=80,
            recorded_by=nurse,
        )
        BodyMeasurement.objects.create(
            patient=patient,
            measured_on=timezone.localdate() - timedelta(days=days),
            weight_kg=70,
            recorded_by=nurse,
        )
    for _ in range(10):
        record(session, nurse)
    assert counted(client, "GET", path) <= few


def test_a_vitals_post_does_not_grow_with_readings(client, users, kyiv):
    physician, nurse = users[(Role.PHYSICIAN, "kyiv")], users[(Role.NURSE, "kyiv")]
    patient = make_patient(kyiv, "V-0001", physician=physician)
    session = make_session(
        make_course(patient, physician), make_chair(kyiv), nurse=nurse, physician=physician
    )
    client.force_login(nurse)
    path = f"/staff/treatment/infusions/{session.public_id}/vitals/"

    def reading():
        return {
            "measured_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "systolic": 125,
            "diastolic": 80,
            "heart_rate": 72,
            "spo2": 98,
            "idempotency_key": str(uuid.uuid4()),
        }

    counted(client, "POST", path, reading())
    few = counted(client, "POST", path, reading())
    for _ in range(20):
        record(session, nurse)
    assert counted(client, "POST", path, reading()) <= few
    assert VitalSigns.objects.filter(session=session).count() == 23
