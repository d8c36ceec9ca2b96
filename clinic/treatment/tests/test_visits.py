"""Sessions started from their scheduled visits: the infusion on the visit's chair, TES, notes;
discharge completes the visit, an aborted infusion leaves it checked in."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from clinic.accounts.roles import Role
from clinic.conftest import make_patient
from clinic.core.models import AuditEvent
from clinic.courses.models import Course
from clinic.scheduling.models import Appointment, AppointmentEvent
from clinic.treatment import services
from clinic.treatment.models import InfusionSession, SessionNote, TesSession
from clinic.treatment.selectors import visit_session_kind
from clinic.treatment.tests.factories import (
    account_for_ketamine,
    aldrete,
    make_chair,
    make_course,
    make_visit,
    precheck_input,
    prepare_and_check,
)

pytestmark = pytest.mark.django_db
KYIV = ZoneInfo("Europe/Kyiv")
MORNING = datetime(2026, 12, 1, 9, 0, tzinfo=KYIV)


@pytest.fixture(autouse=True)
def _morning():
    with time_machine.travel(MORNING, tick=False) as clock:
        yield clock


@pytest.fixture
def visit(patient, chair, nurse):
    return make_visit(patient, code="ketamine_infusion", practitioner=nurse, room=chair)


def event_kinds(appointment):
    return list(appointment.events.values_list("kind", flat=True))


def test_starting_an_infusion_visit_checks_it_in_and_seats_the_patient_on_its_chair(
    visit, course, chair, nurse
):
    session = services.start_infusion_for_visit(visit, actor=nurse)
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.CHECKED_IN
    assert event_kinds(visit) == [AppointmentEvent.Kind.CHECKED_IN]
    assert (session.appointment, session.chair, session.course) == (visit, chair, course)
    assert session.status == InfusionSession.Status.CHECKED_IN
    assert visit.infusion_session == session


def test_a_visit_already_checked_in_is_not_checked_in_twice(visit, course, nurse):
    from clinic.scheduling.services import check_in_appointment

    check_in_appointment(visit, actor=nurse)
    services.start_infusion_for_visit(visit, actor=nurse)
    assert event_kinds(visit) == [AppointmentEvent.Kind.CHECKED_IN]


def assert_nothing_written(visit, status="booked"):
    visit.refresh_from_db()
    assert visit.status == status
    assert not InfusionSession.objects.filter(appointment=visit).exists()


def test_it_refuses_a_cancelled_visit_and_writes_nothing(visit, course, nurse):
    Appointment.objects.filter(pk=visit.pk).update(status=Appointment.Status.CANCELLED)
    with pytest.raises(services.TreatmentRefused, match="cancelled"):
        services.start_infusion_for_visit(visit, actor=nurse)
    assert_nothing_written(visit, status="cancelled")
    assert not InfusionSession.objects.exists()


def test_it_refuses_a_visit_that_already_has_its_session(visit, course, nurse):
    first = services.start_infusion_for_visit(visit, actor=nurse)
    with pytest.raises(services.TreatmentRefused, match="already has its session"):
        services.start_infusion_for_visit(visit, actor=nurse)
    assert list(InfusionSession.objects.all()) == [first]


def test_it_refuses_a_patient_without_an_active_ketamine_course(visit, course, nurse):
    Course.objects.filter(pk=course.pk).update(
        status=Course.Status.COMPLETED, closed_on=course.opened_on
    )
    with pytest.raises(services.TreatmentRefused, match="no active IV ketamine course"):
        services.start_infusion_for_visit(visit, actor=nurse)
    assert_nothing_written(visit)
    assert not visit.events.exists()


def test_it_refuses_a_visit_of_another_day(patient, chair, course, nurse):
    tomorrow = make_visit(
        patient,
        code="ketamine_infusion",
        practitioner=nurse,
        room=chair,
        starts_at=MORNING + timedelta(days=1),
    )
    with pytest.raises(services.TreatmentRefused, match="day of its visit"):
        services.start_infusion_for_visit(tomorrow, actor=nurse)
    assert_nothing_written(tomorrow)


def test_it_refuses_a_visit_that_is_not_an_infusion(patient, course, nurse):
    consultation = make_visit(patient, code="follow_up", practitioner=nurse)
    with pytest.raises(services.TreatmentRefused, match="not booked for this kind"):
        services.start_infusion_for_visit(consultation, actor=nurse)
    assert_nothing_written(consultation)


def test_a_taken_chair_rolls_back_the_check_in(visit, course, chair, nurse, kyiv, physician):
    other = make_course(make_patient(kyiv, "K-0200"), physician)
    services.open_infusion_session(other, chair=chair, actor=nurse)
    with pytest.raises(services.TreatmentRefused, match="Крісло 1 is taken: choose a free chair"):
        services.start_infusion_for_visit(visit, actor=nurse)
    assert_nothing_written(visit)
    assert not visit.events.exists()


def walk_to_discharge(session, nurse, physician, clock):
    services.record_precheck(session, check=precheck_input(), actor=nurse)
    services.sign_dose(session, mg_per_kg=Decimal("0.50"), minutes=40, actor=physician)
    prepare_and_check(session, nurse=nurse, checker=physician)
    services.start_infusion(session, actor=nurse)
    clock.shift(timedelta(minutes=40))
    services.end_infusion(session, actor=nurse)
    account_for_ketamine(session, nurse=nurse, witness=physician)
    clock.shift(timedelta(minutes=50))
    aldrete(session, nurse, total=10)
    clock.shift(timedelta(minutes=31))
    services.discharge_patient(session, escort_confirmed=True, instructions_given=True, actor=nurse)


def test_discharge_completes_the_visit(visit, course, nurse, physician, _morning):
    session = services.start_infusion_for_visit(visit, actor=nurse)
    walk_to_discharge(session, nurse, physician, _morning)
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.COMPLETED
    assert event_kinds(visit) == ["checked_in", "completed"]


def test_an_aborted_infusion_leaves_the_visit_checked_in_with_a_history_row(visit, course, nurse):
    session = services.start_infusion_for_visit(visit, actor=nurse)
    services.stop_session(session, reason="Підвищена тривожність", actor=nurse)
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.CHECKED_IN
    assert event_kinds(visit) == ["checked_in", AppointmentEvent.Kind.SESSION_ENDED]
    assert "Підвищена тривожність" in visit.events.last().note


def test_a_deferred_blood_pressure_also_notes_the_visit(visit, course, nurse, physician):
    session = services.start_infusion_for_visit(visit, actor=nurse)
    services.record_precheck(session, check=precheck_input(systolic=150), actor=nurse)
    services.decide_on_blood_pressure(session, proceed=False, note="Тиск 150", actor=physician)
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.CHECKED_IN
    assert visit.events.last().kind == AppointmentEvent.Kind.SESSION_ENDED


# TES ------------------------------------------------------------------------------------------


def tes_fields(room, **overrides):
    fields = {
        "room": room,
        "device": "Sooma",
        "serial_number": "SN-1",
        "stimulation": "tdcs",
        "anode": "F3",
        "cathode": "SO_right",
        "electrode_area_cm2": Decimal("25"),
        "current_ma": Decimal("2.0"),
        "minutes": 30,
        "ramp_up_seconds": 30,
        "ramp_down_seconds": 30,
        "skin_before": "intact",
    }
    fields.update(overrides)
    return fields


@pytest.fixture
def tes_room(kyiv):
    from clinic.locations.models import Room

    return make_chair(kyiv, "ТЕС 1", kind=Room.Kind.TES)


def test_a_tes_visit_is_checked_in_at_start_and_completed_with_the_session(
    patient, tes_room, nurse
):
    visit = make_visit(patient, code="tes_session", practitioner=nurse, room=tes_room)
    tes = services.start_tes_session(
        patient, **tes_fields(tes_room), appointment=visit, actor=nurse
    )
    visit.refresh_from_db()
    assert (tes.appointment, visit.status) == (visit, Appointment.Status.CHECKED_IN)
    services.complete_tes_session(tes, skin_after="intact", actor=nurse)
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.COMPLETED


def test_a_tes_visit_is_of_its_sessions_stimulation(patient, tes_room, nurse):
    visit = make_visit(patient, code="tes_session", practitioner=nurse, room=tes_room)
    assert visit_session_kind(visit) == ""  # no session yet: nothing says which kind
    services.start_tes_session(
        patient, **tes_fields(tes_room, stimulation="tacs"), appointment=visit, actor=nurse
    )
    assert visit_session_kind(visit) == "tacs"


def test_tes_refuses_a_visit_of_another_patient(patient, kyiv, tes_room, nurse):
    someone_else = make_patient(kyiv, "K-0300")
    visit = make_visit(someone_else, code="tes_session", practitioner=nurse, room=tes_room)
    with pytest.raises(services.TreatmentRefused, match="another patient"):
        services.start_tes_session(patient, **tes_fields(tes_room), appointment=visit, actor=nurse)
    assert not TesSession.objects.exists()
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.BOOKED


# Notes -----------------------------------------------------------------------------------------


def test_a_note_is_linked_to_its_psychotherapy_visit(patient, users):
    therapist = users[(Role.PSYCHOTHERAPIST, "kyiv")]
    visit = make_visit(patient, code="psychotherapy", practitioner=therapist)
    note = services.write_session_note(
        patient,
        kind="psychotherapy",
        held_on=MORNING.date(),
        text="Сесія",
        appointment=visit,
        actor=therapist,
    )
    assert list(visit.session_notes.all()) == [note]
    assert visit_session_kind(visit) == "psychotherapy"
    with pytest.raises(services.TreatmentRefused, match="already written"):
        services.write_session_note(
            patient,
            kind="psychotherapy",
            held_on=MORNING.date(),
            text="Ще раз",
            appointment=visit,
            actor=therapist,
        )
    assert SessionNote.objects.count() == 1


def test_a_note_must_carry_the_day_of_its_visit(patient, users):
    therapist = users[(Role.PSYCHOTHERAPIST, "kyiv")]
    visit = make_visit(patient, code="integration", practitioner=therapist)
    with pytest.raises(services.TreatmentRefused, match="day of the visit"):
        services.write_session_note(
            patient,
            kind="integration",
            held_on=MORNING.date() - timedelta(days=1),
            text="Сесія",
            appointment=visit,
            actor=therapist,
        )
    assert not SessionNote.objects.exists()


# Views -----------------------------------------------------------------------------------------


def page_of(client, visit):
    return client.get(f"/staff/schedule/appointments/{visit.public_id}/").content.decode()


@pytest.fixture
def nurse_client(client, nurse):
    client.force_login(nurse)
    return client


def test_the_visit_page_offers_a_nurse_to_start_todays_infusion(nurse_client, visit, course):
    page = page_of(nurse_client, visit)
    assert f"/staff/treatment/visits/{visit.public_id}/infusion/" in page


def test_the_visit_page_does_not_offer_reception_to_start_it(client, users, visit, course):
    client.force_login(users[(Role.RECEPTIONIST, "kyiv")])
    assert "/infusion/" not in page_of(client, visit)


def test_the_visit_page_links_an_existing_session(nurse_client, visit, course, nurse):
    session = services.start_infusion_for_visit(visit, actor=nurse)
    page = page_of(nurse_client, visit)
    assert f"/staff/treatment/infusions/{session.public_id}/" in page
    assert f"/visits/{visit.public_id}/infusion/" not in page


def test_the_tes_and_note_visits_link_to_their_forms(client, users, patient, tes_room, nurse):
    tes_visit = make_visit(patient, code="tes_session", practitioner=nurse, room=tes_room)
    client.force_login(nurse)
    assert f"/tes/new/?appointment={tes_visit.public_id}" in page_of(client, tes_visit)
    therapist = users[(Role.PSYCHOTHERAPIST, "kyiv")]
    note_visit = make_visit(
        patient,
        code="body_oriented",
        practitioner=therapist,
        starts_at=MORNING + timedelta(hours=2),
    )
    client.force_login(therapist)
    assert f"/notes/new/?appointment={note_visit.public_id}" in page_of(client, note_visit)


def test_the_start_button_opens_the_session_and_shows_it(nurse_client, visit, course):
    response = nurse_client.post(f"/staff/treatment/visits/{visit.public_id}/infusion/")
    session = InfusionSession.objects.get(appointment=visit)
    assert response["Location"] == f"/staff/treatment/infusions/{session.public_id}/"


def test_a_refused_start_explains_and_audits_without_writing(nurse_client, visit, course):
    Course.objects.filter(pk=course.pk).update(
        status=Course.Status.STOPPED, closed_on=course.opened_on
    )
    response = nurse_client.post(
        f"/staff/treatment/visits/{visit.public_id}/infusion/", follow=True
    )
    assert "немає активного курсу внутрішньовенного кетаміну" in response.content.decode()
    assert_nothing_written(visit)
    assert AuditEvent.objects.filter(
        action="infusion.refused", outcome=AuditEvent.Outcome.DENIED
    ).exists()


def test_another_sites_nurse_gets_404_and_nothing_is_written(client, users, visit, course):
    client.force_login(users[(Role.NURSE, "lviv")])
    response = client.post(f"/staff/treatment/visits/{visit.public_id}/infusion/")
    assert response.status_code == 404
    assert_nothing_written(visit)
    assert AuditEvent.objects.filter(outcome=AuditEvent.Outcome.DENIED).exists()


def test_the_note_form_from_a_visit_links_the_note(client, users, patient):
    therapist = users[(Role.PSYCHOTHERAPIST, "kyiv")]
    visit = make_visit(patient, code="integration", practitioner=therapist)
    client.force_login(therapist)
    url = f"/staff/treatment/patients/{patient.public_id}/notes/new/?appointment={visit.public_id}"
    page = client.get(url).content.decode()
    assert '<option value="integration" selected>' in page
    client.post(url, {"kind": "integration", "held_on": "2026-12-01", "text": "Інтеграція"})
    assert SessionNote.objects.get().appointment == visit


def test_the_board_lists_todays_infusion_visits_without_a_session(
    nurse_client, kyiv, nurse, physician, django_assert_max_num_queries
):
    def add(count, start):
        for n in range(start, start + count):
            chair = make_chair(kyiv, f"Крісло {n}")
            patient = make_patient(kyiv, f"K-{n:04d}")
            # An hour apart: PostgreSQL refuses two visits of one nurse at the same time.
            starts_at = MORNING + timedelta(minutes=70 * n)
            make_visit(
                patient,
                code="ketamine_infusion",
                practitioner=nurse,
                room=chair,
                starts_at=starts_at,
            )

    add(1, 1)
    with django_assert_max_num_queries(40) as small:
        nurse_client.get("/staff/board/partial/")
    add(5, 2)
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = nurse_client.get("/staff/board/partial/").content.decode()
    assert page.count("/staff/treatment/visits/") == 6


def test_the_board_leaves_out_visits_with_a_session_and_other_days(
    nurse_client, visit, course, nurse, patient, chair
):
    make_visit(
        patient,
        code="ketamine_infusion",
        practitioner=nurse,
        room=chair,
        starts_at=MORNING + timedelta(days=1),
    )
    assert "/staff/treatment/visits/" in nurse_client.get("/staff/board/partial/").content.decode()
    services.start_infusion_for_visit(visit, actor=nurse)
    assert (
        "/staff/treatment/visits/" not in nurse_client.get("/staff/board/partial/").content.decode()
    )


def discharged_session(course, chair, nurse, physician):
    from clinic.treatment.tests.factories import make_session

    with time_machine.travel(MORNING - timedelta(hours=5), tick=False) as clock:
        session = make_session(course, chair, nurse=nurse, physician=physician, stage="accounted")
        aldrete(session, nurse)
        clock.shift(timedelta(hours=3))
        services.discharge_patient(
            session, escort_confirmed=True, instructions_given=True, actor=nurse
        )
    return session


def test_the_integration_offer_links_to_booking_for_those_who_book(
    client, course, chair, nurse, physician, patient
):
    from django.contrib.auth.models import Group

    discharged_session(course, chair, nurse, physician)
    client.force_login(nurse)
    link = f"/staff/schedule/book/{patient.public_id}/?type=integration"
    page = client.get("/staff/board/partial/").content.decode()
    assert link not in page
    assert "на інтеграційну сесію записує реєстратура" in page
    nurse.groups.add(Group.objects.get(name=Role.RECEPTIONIST))
    assert link in client.get("/staff/board/partial/").content.decode()


def test_reception_sees_that_the_session_exists_without_a_link_into_it(
    client, users, visit, course, nurse
):
    session = services.start_infusion_for_visit(visit, actor=nurse)
    client.force_login(users[(Role.RECEPTIONIST, "kyiv")])
    page = page_of(client, visit)
    assert "Сеанс цього візиту записано." in page
    assert str(session.public_id) not in page
