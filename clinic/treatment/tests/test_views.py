import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.utils import timezone

from clinic.accounts.roles import Role
from clinic.conftest import make_patient
from clinic.core.models import AuditEvent
from clinic.courses.models import Course
from clinic.patients.services import decide_ketamine_eligibility
from clinic.treatment.models import InfusionSession, PreCheck, VitalSigns
from clinic.treatment.tests.factories import (
    make_chair,
    make_course,
    make_session,
    record,
    record_ketamine_consent,
)

pytestmark = pytest.mark.django_db
KYIV = ZoneInfo("Europe/Kyiv")


@pytest.fixture
def nurse_client(client, nurse):
    client.force_login(nurse)
    return client


@pytest.fixture
def session(course, chair, nurse, physician):
    return make_session(course, chair, nurse=nurse, physician=physician)


def url(session, step=""):
    base = f"/staff/treatment/infusions/{session.public_id}/"
    return base + (f"{step}/" if step else "")


def vitals_post(**overrides):
    data = {
        "measured_at": datetime.now(KYIV).strftime("%Y-%m-%dT%H:%M"),
        "systolic": "132",
        "diastolic": "84",
        "heart_rate": "76",
        "spo2": "98",
        "resp_rate": "14",
        "idempotency_key": str(uuid.uuid4()),
    }
    data.update(overrides)
    return data


def test_the_session_page_shows_dose_vitals_and_is_audited(nurse_client, session, nurse):
    record(session, nurse, systolic=141)
    page = nurse_client.get(url(session)).content.decode()
    assert "35 мг" in page and "141/84" in page and "<svg" in page  # Ukrainian decimals
    assert AuditEvent.objects.filter(action="infusion.viewed", actor=nurse).count() == 1


def test_another_sites_session_is_not_found_and_the_attempt_is_audited(client, users, session):
    lviv_nurse = users[(Role.NURSE, "lviv")]
    client.force_login(lviv_nurse)
    assert client.get(url(session)).status_code == 404
    response = client.post(url(session, "vitals"), vitals_post())
    assert response.status_code == 404
    assert not VitalSigns.objects.exists()
    denied = AuditEvent.objects.filter(actor=lviv_nurse, outcome="denied")
    assert denied.count() == 2 and denied.first().patient == session.patient


def test_a_receptionist_gets_no_treatment_record(client, users, session):
    client.force_login(users[(Role.RECEPTIONIST, "kyiv")])
    assert client.get(url(session)).status_code == 403


def test_vitals_posted_twice_with_one_key_make_one_row(nurse_client, session):
    data = vitals_post()
    first = nurse_client.post(url(session, "vitals"), data, HTTP_ACCEPT="application/json")
    second = nurse_client.post(url(session, "vitals"), data, HTTP_ACCEPT="application/json")
    assert (first.status_code, first.json()["status"]) == (201, "recorded")
    assert (second.status_code, second.json()["status"]) == (200, "duplicate")
    assert VitalSigns.objects.count() == 1


def test_vitals_keep_the_time_they_were_measured(nurse_client, session):
    taken = (session.infusion_started_at + timedelta(minutes=1)).astimezone(KYIV)
    # Sent ten minutes later, when the connection came back (within the idle limit).
    with time_machine.travel(taken + timedelta(minutes=10), tick=False):
        nurse_client.post(
            url(session, "vitals"),
            vitals_post(measured_at=taken.strftime("%Y-%m-%dT%H:%M")),
            HTTP_ACCEPT="application/json",
        )
    reading = VitalSigns.objects.get()
    assert reading.measured_at == taken.replace(second=0, microsecond=0)
    assert reading.recorded_at > reading.measured_at + timedelta(minutes=9)


@pytest.mark.parametrize(
    "field,value",
    [
        ("systolic", "1" * 40),
        ("systolic", "12\x000"),
        ("measured_at", "2026-03-29T03:30"),  # the DST gap in Kyiv
        ("measured_at", "yesterday"),
        ("idempotency_key", "not-a-uuid"),
        ("spo2", "101"),
    ],
)
def test_bad_vitals_input_is_refused_cleanly(nurse_client, session, field, value):
    response = nurse_client.post(url(session, "vitals"), vitals_post(**{field: value}))
    assert response.status_code == 302
    assert not VitalSigns.objects.exists()
    response = nurse_client.post(
        url(session, "vitals"), vitals_post(**{field: value}), HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 400
    assert not VitalSigns.objects.exists()


def test_a_refused_precheck_says_why_and_leaves_only_the_audit_of_the_refusal(
    nurse_client, course, chair, nurse, physician
):
    session = make_session(course, chair, nurse=nurse, physician=physician, stage="checked_in")
    before = AuditEvent.objects.count()
    data = {
        "weight_kg": "70",
        "weight_measured_on": datetime.now(KYIV).date().isoformat(),
        "systolic": "190",
        "diastolic": "105",
        "heart_rate": "80",
        "spo2": "98",
        "fasting_hours": "6",
        "escort_name": "Петро",
        "escort_phone": "+380671112233",
        "pregnancy": "not_applicable",
        "breastfeeding": "not_applicable",
    }
    response = nurse_client.post(url(session, "precheck"), data, follow=True)
    assert "190/105" in response.content.decode()
    assert not PreCheck.objects.exists()
    written = AuditEvent.objects.filter(seq__gt=before).exclude(action="infusion.viewed")
    assert list(written.values_list("action", "outcome")) == [
        ("infusion.precheck.blocked", "denied")
    ]


def test_a_nurse_cannot_sign_the_dose(nurse_client, course, chair, nurse, physician):
    session = make_session(course, chair, nurse=nurse, physician=physician, stage="prechecked")
    response = nurse_client.post(
        url(session, "dose"), {"mg_per_kg": "0.5", "concentration_mg_per_ml": "1", "minutes": "40"}
    )
    assert response.status_code == 403
    assert not session.doses.exists()


def test_the_record_pdf_renders_in_both_languages(nurse_client, session, nurse):
    record(session, nurse)
    for language in ("uk", "en"):
        response = nurse_client.get(url(session) + f"record-{language}.pdf")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="infusion.record.printed").count() == 2
    assert nurse_client.get(url(session) + "record-de.pdf").status_code == 404


def test_the_board_shows_each_chair_with_initials_phase_and_alerts(
    nurse_client, kyiv, course, nurse, physician
):
    first, second = make_chair(kyiv, "Крісло 1"), make_chair(kyiv, "Крісло 2")
    make_chair(kyiv, "Крісло 3")
    session = make_session(course, first, nurse=nurse, physician=physician)
    record(session, nurse, systolic=195)
    other_patient = make_patient(kyiv, "K-0300", given_name="Богдан", family_name="Лис")
    other = make_course(other_patient, physician)
    make_session(other, second, nurse=nurse, physician=physician, stage="checked_in")
    page = nurse_client.get("/staff/board/").content.decode()
    assert "О.К." in page and "Б.Л." in page
    assert "Коваленко" not in page  # initials only on a shared screen
    assert "phase-infusing" in page and "phase-checked_in" in page and "free" in page
    assert "has-alert" in page
    assert 'hx-get="/staff/board/partial/"' in page


def test_the_board_marks_overdue_vitals(nurse_client, course, chair, nurse, physician):
    session = make_session(course, chair, nurse=nurse, physician=physician)
    with time_machine.travel(session.infusion_started_at + timedelta(minutes=11)):
        partial = nurse_client.get("/staff/board/partial/").content.decode()
    assert "is-overdue" in partial
    with time_machine.travel(session.infusion_started_at + timedelta(minutes=9)):
        partial = nurse_client.get("/staff/board/partial/").content.decode()
    assert "is-overdue" not in partial


def test_the_board_query_count_does_not_grow_with_chairs_and_vitals(
    nurse_client, kyiv, physician, nurse, django_assert_max_num_queries
):
    def fill(count, start):
        for n in range(start, start + count):
            chair = make_chair(kyiv, f"Крісло {n}")
            course = make_course(make_patient(kyiv, f"K-{n:04d}"), physician)
            session = make_session(course, chair, nurse=nurse, physician=physician)
            for _ in range(3):
                record(session, nurse, systolic=185)

    fill(1, 1)
    with django_assert_max_num_queries(40) as small:
        nurse_client.get("/staff/board/partial/")
    fill(5, 2)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = nurse_client.get("/staff/board/partial/")
    assert response.content.decode().count('class="chair ') == 6


def test_the_board_poll_does_not_renew_the_idle_timeout(nurse_client):
    nurse_client.get("/staff/board/")
    key = nurse_client.session.session_key
    expiry = Session.objects.get(session_key=key).expire_date
    with time_machine.travel(timedelta(minutes=5)):
        response = nurse_client.get("/staff/board/partial/")
    assert response.status_code == 200
    assert "sessionid" not in response.cookies
    assert "Cookie" in response["Vary"] and "no-store" in response["Cache-Control"]
    assert Session.objects.get(session_key=key).expire_date == expiry
    with time_machine.travel(timedelta(minutes=5)):
        nurse_client.get("/staff/board/")
    assert Session.objects.get(session_key=key).expire_date > expiry


def test_both_sites_board_is_for_administrators_at_both_sites(client, kyiv, lviv, users):
    from clinic.conftest import make_user

    make_chair(kyiv, "Київ-1")
    make_chair(lviv, "Львів-1")
    client.force_login(users[(Role.NURSE, "kyiv")])
    assert client.get("/staff/board/all/").status_code == 403
    director = make_user(
        "director@test.clinic", roles=[Role.ADMINISTRATOR, Role.PHYSICIAN], sites=[kyiv, lviv]
    )
    client.force_login(director)
    page = client.get("/staff/board/all/").content.decode()
    assert "Київ-1" in page and "Львів-1" in page


def test_the_course_list_has_a_constant_query_count(
    nurse_client, kyiv, physician, nurse, django_assert_max_num_queries
):
    make_course(make_patient(kyiv, "K-0001"), physician)
    with django_assert_max_num_queries(40) as small:
        nurse_client.get("/staff/treatment/courses/")
    for n in range(2, 8):
        make_course(make_patient(kyiv, f"K-{n:04d}"), physician)
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = nurse_client.get("/staff/treatment/courses/").content.decode()
    assert page.count("Резистентна депресія") == 7


def test_a_physician_approves_a_course_from_the_form(client, physician, patient):
    client.force_login(physician)
    record_ketamine_consent(patient, physician)
    data = {
        "modality": "iv_ketamine",
        "indication": "Резистентна депресія",
        "planned_sessions": "6",
        "plan": "Індукція 6 інфузій",
        "target_dose_mg_per_kg": "0.5",
        "infusion_minutes": "40",
    }
    response = client.post(f"/staff/treatment/patients/{patient.public_id}/courses/new/", data)
    assert response.status_code == 200  # no eligibility on file and no confirmation
    assert "Рішення про придатність відсутнє" in response.content.decode()
    assert not Course.objects.exists()
    data["eligibility_confirmed"] = "on"
    response = client.post(f"/staff/treatment/patients/{patient.public_id}/courses/new/", data)
    course = Course.objects.get()
    assert response["Location"] == f"/staff/treatment/courses/{course.public_id}/"
    assert course.ketamine_consent_confirmed


def test_the_course_page_names_the_eligibility_decision_it_was_approved_on(
    client, physician, patient
):
    client.force_login(physician)
    record_ketamine_consent(patient, physician)
    decision = decide_ketamine_eligibility(
        patient, is_eligible=True, reasons="скринінг без протипоказань", actor=physician
    )
    data = {
        "modality": "iv_ketamine",
        "indication": "Резистентна депресія",
        "planned_sessions": "6",
        "target_dose_mg_per_kg": "0.5",
        "infusion_minutes": "40",
    }
    client.post(f"/staff/treatment/patients/{patient.public_id}/courses/new/", data)
    course = Course.objects.get()
    assert course.eligibility_reference == str(decision.public_id)
    page = client.get(f"/staff/treatment/courses/{course.public_id}/").content.decode()
    assert str(decision.public_id) not in page
    assert (
        f"дозволено: {physician.full_name}, {timezone.localtime(decision.decided_at):%d.%m.%Y}"
        in page
    )


def test_the_course_form_without_consent_links_to_recording_it_and_refuses(
    client, physician, patient
):
    client.force_login(physician)
    url_new = f"/staff/treatment/patients/{patient.public_id}/courses/new/"
    page = client.get(url_new).content.decode()
    assert f"/staff/patients/{patient.public_id}/consents/new/" in page
    assert 'name="ketamine_consent_confirmed"' not in page
    data = {"modality": "iv_ketamine", "indication": "ТРД", "planned_sessions": "6"}
    response = client.post(url_new, {**data, "eligibility_confirmed": "on"})
    assert response.status_code == 200
    assert not Course.objects.exists()
    assert AuditEvent.objects.filter(action="course.refused", outcome="denied").exists()


def test_the_course_form_names_a_not_eligible_decision_and_drops_the_confirmation(
    client, physician, patient
):
    client.force_login(physician)
    record_ketamine_consent(patient, physician)
    decide_ketamine_eligibility(patient, is_eligible=False, reasons="психоз", actor=physician)
    url_new = f"/staff/treatment/patients/{patient.public_id}/courses/new/"
    page = client.get(url_new).content.decode()
    assert 'name="eligibility_confirmed"' not in page
    assert physician.full_name in page
    data = {"modality": "iv_ketamine", "indication": "ТРД", "planned_sessions": "6"}
    response = client.post(url_new, data)
    assert response.status_code == 200
    assert not Course.objects.exists()


def test_the_patient_chart_shows_progress_and_cumulative_dose(
    nurse_client, patient, course, session
):
    page = nurse_client.get(f"/staff/patients/{patient.public_id}/").content.decode()
    assert "session 0 of 6" in page or "сеанс 0 з 6" in page
    assert f"/staff/treatment/courses/{course.public_id}/" in page


def test_a_nurse_opens_a_session_from_the_course_page(nurse_client, course, chair):
    response = nurse_client.post(
        f"/staff/treatment/courses/{course.public_id}/infusions/new/",
        {"chair": chair.pk, "check_in": "on"},
    )
    session = InfusionSession.objects.get()
    assert response["Location"] == url(session)
    assert session.status == "checked_in"


def test_the_session_page_query_count_does_not_grow_with_readings_and_alerts(
    nurse_client, session, nurse, django_assert_max_num_queries
):
    record(session, nurse, systolic=185)
    with django_assert_max_num_queries(80) as few:
        nurse_client.get(url(session))
    for _ in range(12):
        record(session, nurse, systolic=185, spo2=90)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = nurse_client.get(url(session)).content.decode()
    assert page.count("високий систолічний тиск") == 13


def test_the_chart_section_query_count_does_not_grow_with_courses_and_sessions(
    nurse_client, patient, physician, nurse, kyiv, django_assert_max_num_queries
):
    chart = f"/staff/patients/{patient.public_id}/"
    make_course(patient, physician)
    with django_assert_max_num_queries(60) as few:
        nurse_client.get(chart)
    for n in range(4):
        course = make_course(patient, physician, indication=f"Курс {n}")
    make_session(course, make_chair(kyiv), nurse=nurse, physician=physician, stage="checked_in")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = nurse_client.get(chart).content.decode()
    assert page.count("/staff/treatment/courses/") == 5 + 1  # five courses and the menu


def test_each_planned_reading_is_shown_and_a_missed_one_is_highlighted(
    course, chair, nurse, physician
):
    from clinic.treatment import services
    from clinic.treatment.selectors import vitals_checkpoints

    with time_machine.travel(datetime(2026, 12, 1, 9, 0, tzinfo=KYIV), tick=False) as clock:
        session = make_session(course, chair, nurse=nurse, physician=physician)
        clock.shift(timedelta(minutes=10))
        record(session, nurse)
        clock.shift(timedelta(minutes=15))  # the 20-minute reading was missed
        points = vitals_checkpoints(session, list(session.vitals.all()))
        assert [(p.at.astimezone(KYIV).strftime("%H:%M"), p.state) for p in points] == [
            ("09:10", "done"),
            ("09:20", "overdue"),
            ("09:30", "due"),
        ]
        clock.shift(timedelta(minutes=15))
        services.end_infusion(session, actor=nurse)
        session.refresh_from_db()
        points = vitals_checkpoints(session, list(session.vitals.all()))
    assert [p.state for p in points][-1] == "due"  # the first reading after the infusion
    assert points[-1].at == session.infusion_ended_at + timedelta(minutes=15)


def test_a_mistyped_reading_stays_marked_as_entered_in_error(nurse_client, session, nurse):
    reading, _created = record(session, nurse, systolic=210)
    nurse_client.post(
        url(session, "vitals/error"),
        {"reading": str(reading.idempotency_key), "reason": "Введено в чужий сеанс"},
    )
    reading.refresh_from_db()
    assert reading.entered_in_error and reading.strike_out_reason == "Введено в чужий сеанс"
    assert reading.struck_out_by == nurse
    assert VitalSigns.objects.count() == 1  # kept, not deleted
    page = nurse_client.get(url(session)).content.decode()
    assert 'class="struck"' in page
    assert nurse_client.post(url(session, "vitals/error"), {"reading": "nope"}).status_code == 302
    assert AuditEvent.objects.filter(action="record.struck_out").count() == 1


def test_the_rating_forms_come_from_the_rating_scales_definitions(
    nurse_client, course, chair, nurse, physician
):
    session = make_session(course, chair, nurse=nurse, physician=physician, stage="monitoring")
    page = nurse_client.get(url(session)).content.decode()
    for number in (1, 2, 6, 7, 15, 22):
        assert f'name="cadss6-item_{number}"' in page
    assert 'name="cadss6-item_3"' not in page
    data = {"code": "aldrete", "aldrete-point": "discharge"}
    data |= {f"aldrete-item_{n}": "2" for n in range(1, 6)}
    nurse_client.post(url(session, "scores"), data)
    score = session.scores.get()
    assert (score.code, score.total, score.answers) == ("aldrete", 10, [2, 2, 2, 2, 2])
    session.refresh_from_db()
    assert session.status == InfusionSession.Status.READY


def test_an_incomplete_rating_is_refused_and_writes_nothing(
    nurse_client, course, chair, nurse, physician
):
    session = make_session(course, chair, nurse=nurse, physician=physician, stage="monitoring")
    data = {"code": "cadss6", "cadss6-point": "during", "cadss6-item_1": "2", "cadss6-item_2": "9"}
    response = nurse_client.post(url(session, "scores"), data)
    assert response.status_code in (200, 302)
    assert not session.scores.exists()
    response = nurse_client.post(url(session, "scores"), {"code": "phq9"})
    assert response.status_code in (200, 302)
    assert not session.scores.exists()


def test_a_refused_reading_is_shown_audited_once_and_writes_nothing(nurse_client, session, nurse):
    from django.contrib.messages import get_messages

    before = AuditEvent.objects.count()
    nurse_client.cookies["django_language"] = "en"
    later = (datetime.now(KYIV) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = nurse_client.post(url(session, "vitals"), vitals_post(measured_at=later))
    assert response.status_code == 302
    assert not VitalSigns.objects.exists()
    assert AuditEvent.objects.count() == before + 1
    refusal = AuditEvent.objects.get(outcome=AuditEvent.Outcome.DENIED)
    assert refusal.action == "infusion.vitals.refused" and refusal.actor == nurse
    assert refusal.patient == session.patient
    assert [str(m) for m in get_messages(response.wsgi_request)] == [refusal.reason]
    assert refusal.reason == "The time of measurement is in the future."
