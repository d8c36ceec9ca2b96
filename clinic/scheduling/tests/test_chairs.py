"""Choosing the chair or room at the front desk: booking, moving, the day board's free cells
and booking a course's planned sessions."""

from datetime import date
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse

from clinic.accounts.roles import Role
from clinic.conftest import make_user
from clinic.core.models import AuditEvent
from clinic.scheduling import services
from clinic.scheduling.availability import find_slots
from clinic.scheduling.models import Appointment, AppointmentEvent, Series
from clinic.scheduling.tests.conftest import at, give_hours

pytestmark = pytest.mark.usefixtures("frozen")

TUESDAY = date(2026, 3, 3)


@pytest.fixture
def desk(client, reception):
    client.force_login(reception)
    return client


def infusion_slot(visit, kyiv, patient, **kwargs):
    return find_slots(
        visit["ketamine_infusion"],
        sites=[kyiv],
        first_day=TUESDAY,
        last_day=TUESDAY,
        patient=patient,
        **kwargs,
    )[0]


@pytest.fixture
def second_nurse(kyiv, clinic):
    """Another nurse at Kyiv: the other chair's patient is looked after by someone else."""
    nurse = make_user("nurse2.kyiv@test.clinic", roles=[Role.NURSE], sites=[kyiv])
    give_hours(nurse, kyiv)
    return nurse


def book_chair(visit, users, reception, patient, chair, starts_at, nurse=None):
    return services.book_appointment(
        patient,
        visit_type=visit["ketamine_infusion"],
        site=patient.home_site,
        starts_at=starts_at,
        practitioner=nurse or users[(Role.NURSE, "kyiv")],
        room=chair,
        actor=reception,
    )


def search(desk, patient, visit, kyiv, **extra):
    return desk.get(
        reverse("scheduling:book", args=[patient.public_id]),
        {
            "visit_type": visit["ketamine_infusion"].pk,
            "sites": [kyiv.pk],
            "first_day": "2026-03-03",
            "last_day": "2026-03-03",
            **extra,
        },
    )


def test_a_slot_lists_every_chair_free_at_that_time(visit, clinic, kyiv, patient):
    slot = infusion_slot(visit, kyiv, patient)
    assert [room.name for room in slot.rooms] == ["Крісло 1", "Крісло 2"]
    assert slot.room == clinic["kyiv"]["chair1"]


def test_a_chair_booked_at_that_time_is_not_offered(
    visit, clinic, kyiv, users, reception, patient, other_patient, second_nurse
):
    first = infusion_slot(visit, kyiv, patient)
    book_chair(
        visit,
        users,
        reception,
        other_patient,
        clinic["kyiv"]["chair1"],
        first.starts_at,
        second_nurse,
    )
    slot = infusion_slot(visit, kyiv, patient)
    assert slot.starts_at == first.starts_at
    assert list(slot.rooms) == [clinic["kyiv"]["chair2"]]


def test_reception_chooses_the_chair_when_booking_a_slot(desk, visit, clinic, kyiv, patient):
    page = search(desk, patient, visit, kyiv).content.decode()
    slot = infusion_slot(visit, kyiv, patient)
    chair2 = clinic["kyiv"]["chair2"]
    assert f'<option value="{slot.key_for(chair2)}">Крісло 2</option>' in page
    assert "Крісло або кабінет" in page  # the choice is labelled, in Ukrainian
    response = desk.post(
        reverse("scheduling:book", args=[patient.public_id]),
        {"visit_type": visit["ketamine_infusion"].pk, "slot": slot.key_for(chair2)},
    )
    appointment = Appointment.objects.get()
    assert response.url == reverse("scheduling:appointment", args=[appointment.public_id])
    assert appointment.room == chair2


def test_a_chair_taken_at_that_time_is_refused_by_name_and_nothing_is_written(
    desk, visit, clinic, kyiv, users, reception, patient, other_patient, second_nurse
):
    slot = infusion_slot(visit, kyiv, patient)
    chair2 = clinic["kyiv"]["chair2"]
    book_chair(visit, users, reception, other_patient, chair2, slot.starts_at, second_nurse)
    before = AuditEvent.objects.count()
    desk.cookies["django_language"] = "en"
    response = desk.post(
        reverse("scheduling:book", args=[patient.public_id]),
        {"visit_type": visit["ketamine_infusion"].pk, "slot": slot.key_for(chair2)},
    )
    assert not Appointment.objects.filter(patient=patient).exists()
    assert AuditEvent.objects.count() == before + 1
    refusal = AuditEvent.objects.get(outcome=AuditEvent.Outcome.DENIED)
    assert refusal.action == "schedule.refused" and refusal.patient == patient
    assert "Крісло 2 is already booked at that time." in refusal.reason
    assert refusal.reason in [str(m) for m in desk.get(response.url).context["messages"]]


def test_reception_moves_a_visit_to_another_chair_offered_as_free(
    desk, visit, clinic, kyiv, users, reception, patient
):
    chair1, chair2 = clinic["kyiv"]["chair1"], clinic["kyiv"]["chair2"]
    appointment = book_chair(visit, users, reception, patient, chair1, at(3, 10))
    url = reverse("scheduling:move", args=[appointment.public_id])
    page = desk.get(url, {"first_day": "2026-03-03", "last_day": "2026-03-03"})
    same_time = next(
        s for day, slots in page.context["days"] for s in slots if s.starts_at == at(3, 10)
    )
    assert chair2 in same_time.rooms
    assert f'value="{same_time.key_for(chair2)}"' in page.content.decode()
    desk.post(url, {"slot": same_time.key_for(chair2), "reason": "Крісло 1 ремонтують"})
    appointment.refresh_from_db()
    assert (appointment.room, appointment.starts_at) == (chair2, at(3, 10))
    assert AppointmentEvent.objects.filter(appointment=appointment, kind="moved").exists()


def test_moving_to_a_taken_chair_is_refused_and_changes_nothing(
    desk, visit, clinic, kyiv, users, reception, patient, other_patient, second_nurse
):
    chair1, chair2 = clinic["kyiv"]["chair1"], clinic["kyiv"]["chair2"]
    appointment = book_chair(visit, users, reception, patient, chair1, at(3, 10))
    book_chair(visit, users, reception, other_patient, chair2, at(3, 10), second_nurse)
    slot = infusion_slot(visit, kyiv, patient, exclude=appointment)
    key = slot.key_for(chair2).replace(slot.starts_at.isoformat(), at(3, 10).isoformat())
    desk.cookies["django_language"] = "en"
    response = desk.post(
        reverse("scheduling:move", args=[appointment.public_id]), {"slot": key}, follow=True
    )
    appointment.refresh_from_db()
    assert appointment.room == chair1
    assert not AppointmentEvent.objects.filter(appointment=appointment, kind="moved").exists()
    assert any("Крісло 2" in str(m) for m in response.context["messages"])
    assert AuditEvent.objects.filter(
        action="schedule.refused", patient=patient, outcome="denied"
    ).exists()


# --- A free cell of the day board ---------------------------------------------------------


def cell_choice(patient, visit, nurse):
    return {
        "start": at(3, 10).isoformat(),
        "practitioner": nurse.pk,
        "record_number": patient.record_number,
        "visit_type": visit["ketamine_infusion"].pk,
    }


def test_a_free_cell_asks_for_confirmation_before_booking(desk, visit, clinic, users, patient):
    nurse = users[(Role.NURSE, "kyiv")]
    response = desk.post(
        reverse("scheduling:cell"), cell_choice(patient, visit, nurse), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert not Appointment.objects.exists()
    text = response.content.decode()
    assert "Підтвердьте запис" in text
    assert patient.full_name in text and nurse.full_name in text
    assert "SMS" in text and "+380501112233" in text  # the patient's contact preference
    assert f'<option value="{clinic["kyiv"]["chair2"].pk}">Крісло 2</option>' in text
    assert 'name="note"' in text


def test_a_confirmed_cell_books_the_chosen_chair_with_the_note_once(
    desk, visit, clinic, users, patient
):
    nurse = users[(Role.NURSE, "kyiv")]
    choice = cell_choice(patient, visit, nurse)
    confirm = desk.post(reverse("scheduling:cell"), choice).context["confirm"]
    chair2 = clinic["kyiv"]["chair2"]
    data = {
        **choice,
        "booked_practitioner": confirm["booked_practitioner"].value(),
        "booked_room": chair2.pk,
        "key": confirm["key"].value(),
        "note": "Приїде з чоловіком",
    }
    first = desk.post(reverse("scheduling:cell"), data, HTTP_HX_REQUEST="true")
    second = desk.post(reverse("scheduling:cell"), data, HTTP_HX_REQUEST="true")
    appointment = Appointment.objects.get()
    assert first.status_code == second.status_code == 204
    assert first["HX-Redirect"] == second["HX-Redirect"]
    assert (appointment.room, appointment.practitioner) == (chair2, nurse)
    booked_row = AppointmentEvent.objects.get(appointment=appointment, kind="booked")
    assert booked_row.note == "Приїде з чоловіком"


def test_a_cell_confirmed_on_a_chair_taken_meanwhile_is_refused_and_writes_nothing(
    desk, visit, clinic, users, reception, patient, other_patient, second_nurse
):
    nurse = users[(Role.NURSE, "kyiv")]
    choice = cell_choice(patient, visit, nurse)
    confirm = desk.post(reverse("scheduling:cell"), choice).context["confirm"]
    chair2 = clinic["kyiv"]["chair2"]
    book_chair(visit, users, reception, other_patient, chair2, at(3, 10), second_nurse)
    before = AuditEvent.objects.count()
    desk.cookies["django_language"] = "en"
    response = desk.post(
        reverse("scheduling:cell"),
        {
            **choice,
            "booked_practitioner": confirm["booked_practitioner"].value(),
            "booked_room": chair2.pk,
            "key": confirm["key"].value(),
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "Крісло 2 is already booked at that time." in response.content.decode()
    assert not Appointment.objects.filter(patient=patient).exists()
    assert AuditEvent.objects.count() == before + 1
    assert AuditEvent.objects.get(outcome="denied").action == "schedule.refused"


def test_a_chairs_cell_offers_each_free_practitioner_and_books_the_one_chosen(
    desk, visit, clinic, users, patient, second_nurse
):
    chair2 = clinic["kyiv"]["chair2"]
    choice = {
        "start": at(3, 10).isoformat(),
        "room": chair2.pk,
        "record_number": patient.record_number,
        "visit_type": visit["ketamine_infusion"].pk,
    }
    page = desk.post(reverse("scheduling:cell"), choice, HTTP_HX_REQUEST="true")
    text = page.content.decode()
    assert f'<option value="{second_nurse.pk}">{second_nurse.full_name}</option>' in text
    key = page.context["confirm"]["key"].value()
    desk.post(
        reverse("scheduling:cell"),
        {**choice, "booked_practitioner": second_nurse.pk, "booked_room": chair2.pk, "key": key},
        HTTP_HX_REQUEST="true",
    )
    appointment = Appointment.objects.get()
    assert (appointment.practitioner, appointment.room) == (second_nurse, chair2)


def test_a_confirmation_sent_with_a_too_long_note_is_shown_again_and_writes_nothing(
    desk, visit, clinic, users, patient
):
    nurse = users[(Role.NURSE, "kyiv")]
    choice = cell_choice(patient, visit, nurse)
    confirm = desk.post(reverse("scheduling:cell"), choice).context["confirm"]
    response = desk.post(
        reverse("scheduling:cell"),
        {
            **choice,
            "booked_practitioner": nurse.pk,
            "booked_room": clinic["kyiv"]["chair1"].pk,
            "key": confirm["key"].value(),
            "note": "x" * 301,
        },
    )
    assert response.context["confirm"].errors["note"]
    assert "x" * 301 in response.content.decode()
    assert not Appointment.objects.exists()


def test_a_cell_whose_time_is_no_longer_free_is_refused_without_a_confirmation(
    desk, visit, clinic, users, reception, patient, other_patient
):
    nurse = users[(Role.NURSE, "kyiv")]
    # The nurse of this cell is taken at 10:00 by another patient.
    book_chair(visit, users, reception, other_patient, clinic["kyiv"]["chair1"], at(3, 10))
    before = Appointment.objects.count()
    response = desk.post(reverse("scheduling:cell"), cell_choice(patient, visit, nurse))
    assert response.status_code == 200 and "confirm" not in response.context
    assert Appointment.objects.count() == before
    assert AuditEvent.objects.filter(action="schedule.refused", outcome="denied").count() == 1


# --- A course's planned sessions ------------------------------------------------------------


def test_the_charts_book_a_course_link_leads_to_the_search_not_an_unreadable_time(desk, patient):
    url = reverse("scheduling:series", args=[patient.public_id])
    response = desk.get(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("scheduling:book", args=[patient.public_id])
    text = response.content.decode()
    assert "не вдалося прочитати" not in text.lower()
    assert "Знайдіть час першого візиту" in text


def test_the_course_pages_link_books_the_planned_sessions_as_a_series_of_the_course(
    desk, visit, clinic, kyiv, patient
):
    from clinic.courses.tests.factories import make_care_course

    course = make_care_course(patient, modality="psychotherapy", planned_sessions=4)
    link = reverse("scheduling:book", args=[patient.public_id])
    page = desk.get(link, {"course": course.public_id, "type": "psychotherapy"})
    assert page.status_code == 200 and page.context["course"] == course
    results = search(
        desk, patient, visit, kyiv, course=course.public_id, visit_type=visit["psychotherapy"].pk
    )
    series_link = (
        next(
            a
            for a in results.content.decode().split('href="')
            if a.startswith("/staff/") and "series" in a.split('"')[0]
        )
        .split('"')[0]
        .replace("&amp;", "&")
    )
    query = parse_qs(urlparse(series_link).query)
    assert query["course"] == [str(course.public_id)] and query["count"] == ["4"]
    plan = desk.get(series_link)
    assert plan.status_code == 200 and plan.context["course"] == course
    occurrences = {f"occurrence_{o.number}": o.key for o in plan.context["plan"]}
    assert len(occurrences) == 4 and not plan.context["conflicts"]
    desk.post(
        urlparse(series_link).path,
        {
            **{k: v[0] for k, v in query.items() if k != "weekdays"},
            **occurrences,
            "weekdays": query["weekdays"],
        },
    )
    series = Series.objects.get()
    assert series.course == course and series.appointments.count() == 4
