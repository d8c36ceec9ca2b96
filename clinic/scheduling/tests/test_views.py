"""The schedule pages, through the client: what each role sees, refusals, query counts."""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from clinic.accounts.roles import Role
from clinic.conftest import make_patient
from clinic.core.models import AuditEvent
from clinic.scheduling import services
from clinic.scheduling.availability import find_slots
from clinic.scheduling.models import Appointment, CalendarFeed, WaitlistEntry
from clinic.scheduling.tests.conftest import at

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def desk(client, reception):
    client.force_login(reception)
    return client


def first_slot(visit_type, site, patient, day=date(2026, 3, 3)):
    return find_slots(visit_type, sites=[site], first_day=day, last_day=day, patient=patient)[0]


def booked(visit, clinic, users, patient, reception, starts_at=None, code="follow_up"):
    return services.book_appointment(
        patient,
        visit_type=visit[code],
        site=patient.home_site,
        starts_at=starts_at or at(3, 10),
        practitioner=users[(Role.PHYSICIAN, "kyiv")],
        room=clinic["kyiv"]["consulting"],
        actor=reception,
    )


def test_reception_searches_and_books_a_slot(desk, visit, kyiv, patient):
    url = reverse("scheduling:book", args=[patient.public_id])
    query = {
        "visit_type": visit["ketamine_infusion"].pk,
        "sites": [kyiv.pk],
        "first_day": "2026-03-03",
        "last_day": "2026-03-04",
    }
    page = desk.get(url, query)
    assert page.status_code == 200
    slot = first_slot(visit["ketamine_infusion"], kyiv, patient)
    assert slot.key in page.content.decode()
    response = desk.post(url, {"visit_type": visit["ketamine_infusion"].pk, "slot": slot.key})
    appointment = Appointment.objects.get()
    assert response.url == reverse("scheduling:appointment", args=[appointment.public_id])
    assert appointment.room.kind == "infusion_chair"


def test_booking_a_taken_slot_gives_a_clear_message_and_no_row(
    desk, visit, clinic, kyiv, users, patient, other_patient, reception
):
    slot = first_slot(visit["follow_up"], kyiv, patient)
    services.book_appointment(
        other_patient,
        visit_type=visit["follow_up"],
        site=kyiv,
        starts_at=slot.starts_at,
        practitioner=slot.practitioner,
        room=slot.room,
        actor=reception,
    )
    url = reverse("scheduling:book", args=[patient.public_id])
    response = desk.post(url, {"visit_type": visit["follow_up"].pk, "slot": slot.key}, follow=True)
    assert response.status_code == 200
    assert "вже має візит" in response.content.decode() or "уже" in response.content.decode()
    assert Appointment.objects.filter(patient=patient).count() == 0


@pytest.mark.parametrize(
    "slot",
    [
        "",
        "nonsense",
        "1|2026-13-45T10:00|1|",
        "1|2026-03-03T10:00|1|",
        "1|\x00|1|1",
        "99|2026-03-03T08:00:00+00:00|1|",
        "1|9999999999-03-03T08:00:00+00:00|1|",
        "1|2026-03-03T08:00:00+00:00|99999999999999999999999|",
        "1|2026-03-03T08:00:00+00:00|1|99999999999999999999999",
    ],
)
def test_bad_slot_input_changes_nothing_and_never_fails(desk, visit, patient, slot):
    url = reverse("scheduling:book", args=[patient.public_id])
    response = desk.post(url, {"visit_type": visit["follow_up"].pk, "slot": slot})
    assert response.status_code in (302, 404)
    assert not Appointment.objects.exists()


def test_a_patient_of_another_site_cannot_be_booked(desk, lviv):
    stranger = make_patient(lviv, "L-0100")
    response = desk.get(reverse("scheduling:book", args=[stranger.public_id]))
    assert response.status_code == 404
    assert AuditEvent.objects.filter(outcome="denied", patient=stranger).exists()


def test_another_sites_appointment_is_not_found_and_the_attempt_audited(
    client, visit, clinic, users, lviv
):
    patient = make_patient(lviv, "L-0001", phone="+380501112244")
    appointment = services.book_appointment(
        patient,
        visit_type=visit["follow_up"],
        site=lviv,
        starts_at=at(3, 10),
        practitioner=users[(Role.PHYSICIAN, "lviv")],
        room=clinic["lviv"]["consulting"],
        actor=users[(Role.RECEPTIONIST, "lviv")],
    )
    client.force_login(users[(Role.RECEPTIONIST, "kyiv")])
    url = reverse("scheduling:appointment", args=[appointment.public_id])
    assert client.get(url).status_code == 404
    assert (
        client.post(
            reverse("scheduling:cancel", args=[appointment.public_id]), {"reason": "x"}
        ).status_code
        == 404
    )
    appointment.refresh_from_db()
    assert appointment.status == "booked"
    assert AuditEvent.objects.filter(
        action="appointment.viewed", outcome="denied", patient=patient
    ).exists()


def test_the_appointment_page_shows_each_message_and_its_delivery(
    desk, visit, clinic, users, patient, reception
):
    appointment = booked(visit, clinic, users, patient, reception, at(4, 10))
    page = desk.get(reverse("scheduling:appointment", args=[appointment.public_id]))
    text = page.content.decode()
    assert "Підтвердження запису" in text and "Нагадування" in text
    assert "у черзі" in text or "queued" in text.lower()
    assert AuditEvent.objects.filter(action="appointment.viewed", patient=patient).exists()


def test_cancel_and_move_through_the_pages(desk, visit, clinic, users, patient, reception):
    appointment = booked(visit, clinic, users, patient, reception, at(4, 10))
    move_page = desk.get(reverse("scheduling:move", args=[appointment.public_id]))
    assert move_page.status_code == 200
    target = find_slots(
        visit["follow_up"],
        sites=[appointment.site],
        first_day=date(2026, 3, 5),
        last_day=date(2026, 3, 5),
        exclude=appointment,
    )[0]
    desk.post(reverse("scheduling:move", args=[appointment.public_id]), {"slot": target.key})
    appointment.refresh_from_db()
    assert appointment.starts_at == target.starts_at
    response = desk.post(
        reverse("scheduling:cancel", args=[appointment.public_id]), {"reason": ""}, follow=True
    )
    appointment.refresh_from_db()
    assert appointment.status == "booked"
    assert "причину" in response.content.decode()
    desk.post(reverse("scheduling:cancel", args=[appointment.public_id]), {"reason": "Відпустка"})
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"


def test_the_day_board_shows_bookings_with_initials(
    client, visit, clinic, users, patient, reception, django_assert_max_num_queries
):
    client.force_login(users[(Role.NURSE, "kyiv")])
    url = reverse("scheduling:day") + "?date=2026-03-03"
    with django_assert_max_num_queries(30):
        client.get(url)
    for i, hour in enumerate((10, 12, 14, 16)):
        booked(
            visit, clinic, users, make_patient(patient.home_site, f"D-{i}"), reception, at(3, hour)
        )
    with django_assert_max_num_queries(30) as captured:
        page = client.get(url)
    first = len(captured)
    text = page.content.decode()
    assert "О.К." in text and "Кабінет 1" in text
    assert "+<span" not in text  # a nurse does not book from the board
    for i, hour in enumerate((11, 13, 15)):
        booked(
            visit, clinic, users, make_patient(patient.home_site, f"E-{i}"), reception, at(3, hour)
        )
    with django_assert_max_num_queries(first):
        client.get(url)


def test_reception_books_from_a_free_cell_of_the_board(desk, visit, clinic, patient):
    room = clinic["kyiv"]["chair1"]
    params = {"start": at(3, 10).isoformat(), "room": room.pk}
    panel = desk.get(reverse("scheduling:cell"), params, HTTP_HX_REQUEST="true")
    assert panel.status_code == 200 and "<html" not in panel.content.decode()
    chosen = {
        **params,
        "record_number": patient.record_number,
        "visit_type": visit["ketamine_infusion"].pk,
    }
    confirmation = desk.post(reverse("scheduling:cell"), chosen, HTTP_HX_REQUEST="true")
    assert confirmation.status_code == 200 and not Appointment.objects.exists()
    confirm = confirmation.context["confirm"]
    response = desk.post(
        reverse("scheduling:cell"),
        {**chosen, **{name: confirm[name].value() for name in confirm.fields}, "note": ""},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 204 and response["HX-Redirect"]
    appointment = Appointment.objects.get()
    assert appointment.room == room and appointment.starts_at == at(3, 10)


def test_the_print_list_and_the_week_view(client, visit, clinic, users, patient, reception):
    booked(visit, clinic, users, patient, reception, at(3, 10))
    doctor = users[(Role.PHYSICIAN, "kyiv")]
    client.force_login(doctor)
    printed = client.get(reverse("scheduling:day_print") + "?date=2026-03-03").content.decode()
    assert patient.full_name in printed
    week = client.get(reverse("scheduling:week", args=[doctor.public_id]) + "?date=2026-03-03")
    assert "О.К." in week.content.decode()


def test_the_calendar_feed_shows_initials_and_no_clinical_details(
    client, visit, clinic, users, patient, reception
):
    booked(visit, clinic, users, patient, reception, at(3, 10))
    doctor = users[(Role.PHYSICIAN, "kyiv")]
    client.force_login(doctor)
    client.post(reverse("scheduling:issue_feed"))
    token = CalendarFeed.objects.get(practitioner=doctor).token
    client.logout()
    feed = client.get(reverse("scheduling:feed", args=[token]))
    body = feed.content.decode()
    assert feed["Content-Type"].startswith("text/calendar")
    assert "SUMMARY:О.К." in body
    for secret in ("Коваленко", "консультац", patient.record_number):
        assert secret not in body
    assert client.get(reverse("scheduling:feed", args=["wrong-token"])).status_code == 404
    read = AuditEvent.objects.get(action="schedule.feed.read")
    assert (read.actor_id, read.actor_label) == (None, "anonymous:calendar-feed")


def test_a_physician_cannot_book_or_see_the_waitlist(client, users, patient):
    client.force_login(users[(Role.PHYSICIAN, "kyiv")])
    assert client.get(reverse("scheduling:book", args=[patient.public_id])).status_code == 403
    assert client.get(reverse("scheduling:waitlist")).status_code == 403


def test_reception_adds_to_the_waitlist_and_sees_the_offer_when_a_place_frees(
    desk, visit, clinic, kyiv, users, patient, other_patient, reception
):
    response = desk.post(
        reverse("scheduling:waitlist_add", args=[other_patient.public_id]),
        {
            "visit_type": visit["follow_up"].pk,
            "site": kyiv.pk,
            "earliest_on": "2026-03-02",
            "latest_on": "2026-03-20",
            "priority": 2,
            "note": "",
        },
    )
    entry = WaitlistEntry.objects.get()
    assert response.url == reverse("scheduling:waitlist_entry", args=[entry.public_id])
    appointment = booked(visit, clinic, users, patient, reception, at(4, 10))
    services.cancel_appointment(appointment, reason="Захворіла", actor=reception)
    entry.refresh_from_db()
    assert entry.status == "offered" and entry.offer.starts_at == at(4, 10)
    listing = desk.get(reverse("scheduling:waitlist")).content.decode()
    assert other_patient.full_name in listing
    desk.post(reverse("scheduling:waitlist_action", args=[entry.public_id, "confirm"]))
    entry.refresh_from_db()
    assert entry.status == "booked" and entry.offer.status == "booked"
    history = desk.get(reverse("scheduling:waitlist_entry", args=[entry.public_id]))
    text = history.content.decode()
    # The history says in words what the services noted as codes.
    for words in (
        "додано до листа очікування",
        "запропоновано місце",
        "запропоноване місце записано",
    ):
        assert words in text
    assert "· added<" not in text and "· offered<" not in text and "· booked<" not in text


def test_an_unknown_waitlist_action_is_not_found(desk, visit, kyiv, patient, reception):
    entry = services.add_to_waitlist(
        patient,
        visit_type=visit["follow_up"],
        site=kyiv,
        earliest_on=date(2026, 3, 2),
        latest_on=date(2026, 3, 9),
        actor=reception,
    )
    url = reverse("scheduling:waitlist_action", args=[entry.public_id, "delete"])
    assert desk.post(url).status_code == 404


def test_an_administrator_sets_hours_and_absences(client, users, kyiv, visit):
    admin = users[(Role.ADMINISTRATOR, "kyiv")]
    nurse = users[(Role.NURSE, "kyiv")]
    client.force_login(admin)
    listing = client.get(reverse("scheduling:practitioners")).content.decode()
    assert nurse.full_name in listing and "Медична сестра" in listing
    types = client.get(reverse("scheduling:visit_types")).content.decode()
    assert "Кетамінова інфузія" in types and "Медична сестра" in types
    url = reverse("scheduling:practitioner", args=[nurse.public_id])
    assert client.get(url).status_code == 200
    data = {"site": kyiv.pk, "hours": "1"}
    for day in range(1, 8):
        data[f"site{kyiv.pk}-starts_{day}"] = "08:00" if day < 6 else ""
        data[f"site{kyiv.pk}-ends_{day}"] = "14:00" if day < 6 else ""
    client.post(url, data)
    assert nurse.working_hours.filter(site=kyiv).count() == 5
    bad = dict(data, **{f"site{kyiv.pk}-ends_1": "07:00"})
    client.post(url, bad)
    assert nurse.working_hours.get(site=kyiv, weekday=1).ends.hour == 14
    client.post(
        url,
        {
            "absence": "1",
            "kind": "sick",
            "starts_on": "2026-03-10",
            "ends_on": "2026-03-12",
            "note": "",
        },
    )
    assert nurse.absences.count() == 1


def test_an_administrator_edits_a_visit_type_and_confirms_a_holiday(client, users, visit, kyiv):
    client.force_login(users[(Role.ADMINISTRATOR, "kyiv")])
    url = reverse("scheduling:visit_type_edit", args=["follow_up"])
    assert client.get(url).status_code == 200
    from django.contrib.auth.models import Group

    response = client.post(
        url,
        {
            "name_uk": "Контрольна консультація",
            "name_en": "Check-up",
            "duration_minutes": 40,
            "buffer_before_minutes": 0,
            "buffer_after_minutes": 5,
            "room_kind": "consulting",
            "booking": "request",
            "is_active": "on",
            "roles": [Group.objects.get(name="physician").pk],
        },
    )
    assert response.status_code == 302
    visit["follow_up"].refresh_from_db()
    assert visit["follow_up"].duration_minutes == 40
    refused = client.post(
        url,
        {
            "name_uk": "x",
            "name_en": "x",
            "duration_minutes": 99999,
            "buffer_before_minutes": 0,
            "buffer_after_minutes": 0,
            "booking": "staff",
            "roles": [],
        },
    )
    assert refused.status_code == 200
    visit["follow_up"].refresh_from_db()
    assert visit["follow_up"].duration_minutes == 40
    page = client.get(reverse("scheduling:days_off"))
    assert page.status_code == 200
    client.post(reverse("scheduling:days_off"), {"site": kyiv.pk, "day": "2026-03-08"})
    assert kyiv.closures.filter(starts_on=date(2026, 3, 8)).exists()
    client.post(reverse("scheduling:days_off"), {"site": kyiv.pk, "day": "2026-03-09"})
    assert not kyiv.closures.filter(starts_on=date(2026, 3, 9)).exists()


def test_the_booking_pages_speak_english_too(desk, visit, kyiv, patient):
    desk.post(reverse("set_language"), {"language": "en"})
    page = desk.get(
        reverse("scheduling:book", args=[patient.public_id]),
        {
            "visit_type": visit["follow_up"].pk,
            "sites": [kyiv.pk],
            "first_day": "2026-03-03",
            "last_day": "2026-03-03",
        },
    )
    text = page.content.decode()
    assert "Find a time for" in text and "Tuesday" in text


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("scheduling:day", {"date": "99999-01-01\x00"}),
        ("scheduling:cell", {"start": "\x00", "room": "99999999999999999999999"}),
        ("scheduling:cell", {"start": "2026-03-29T03:30", "practitioner": "-1"}),
        ("scheduling:find_patient", {"q": "Ко\x00"}),
        ("scheduling:waitlist", {"closed": "\x00"}),
    ],
)
def test_odd_query_parameters_never_cause_a_server_error(desk, clinic, name, params):
    assert desk.get(reverse(name), params).status_code in (200, 404)


def test_a_huge_visit_type_id_is_refused_cleanly(desk, patient):
    response = desk.post(
        reverse("scheduling:book", args=[patient.public_id]),
        {"visit_type": "99999999999999999999999", "slot": "1|2026-03-03T08:00:00+00:00|1|"},
    )
    assert response.status_code == 302
    assert not Appointment.objects.exists()


def test_waitlist_and_week_pages_keep_their_query_count(
    desk, visit, clinic, kyiv, users, reception, django_assert_max_num_queries
):
    doctor = users[(Role.PHYSICIAN, "kyiv")]

    def add(i):
        patient = make_patient(kyiv, f"Z-{i}")
        services.add_to_waitlist(
            patient,
            visit_type=visit["follow_up"],
            site=kyiv,
            earliest_on=date(2026, 3, 2),
            latest_on=date(2026, 3, 9),
            actor=reception,
        )
        booked(visit, clinic, users, patient, reception, at(3 + i % 3, 10 + i))

    week = reverse("scheduling:week", args=[doctor.public_id]) + "?date=2026-03-03"
    watcher = Client()
    watcher.force_login(doctor)
    add(0)
    with django_assert_max_num_queries(40) as few:
        desk.get(reverse("scheduling:waitlist"))
    listing = len(few)
    with django_assert_max_num_queries(40) as few:
        watcher.get(week)
    weekly = len(few)
    for i in range(1, 6):
        add(i)
    with django_assert_max_num_queries(listing):
        desk.get(reverse("scheduling:waitlist"))
    with django_assert_max_num_queries(weekly):
        assert watcher.get(week).status_code == 200


def test_the_same_booking_form_sent_twice_books_once_and_shows_the_booking(
    desk, visit, kyiv, patient
):
    page = desk.get(
        reverse("scheduling:book", args=[patient.public_id]),
        {
            "visit_type": visit["follow_up"].pk,
            "sites": [kyiv.pk],
            "first_day": "2026-03-03",
            "last_day": "2026-03-03",
        },
    )
    key = page.context["form_key"]
    slot = first_slot(visit["follow_up"], kyiv, patient)
    data = {"visit_type": visit["follow_up"].pk, "slot": slot.key, "key": key}
    url = reverse("scheduling:book", args=[patient.public_id])
    first, second = desk.post(url, data), desk.post(url, data)
    appointment = Appointment.objects.get()
    assert (
        first.url == second.url == reverse("scheduling:appointment", args=[appointment.public_id])
    )


def exact(desk, patient, kyiv, users, clinic, visit, day, at_time, occurrence=""):
    return desk.post(
        reverse("scheduling:book", args=[patient.public_id]),
        {
            "exact-visit_type": visit["follow_up"].pk,
            "exact-site": kyiv.pk,
            "exact-day": day,
            "exact-at": at_time,
            "exact-occurrence": occurrence,
            "exact-practitioner": users[(Role.PHYSICIAN, "kyiv")].pk,
            "exact-room": clinic["kyiv"]["consulting"].pk,
        },
    )


def test_reception_books_at_an_exact_time_off_the_grid(desk, visit, clinic, kyiv, users, patient):
    response = exact(desk, patient, kyiv, users, clinic, visit, "2026-03-03", "10:10")
    appointment = Appointment.objects.get()
    assert response.url == reverse("scheduling:appointment", args=[appointment.public_id])
    assert appointment.starts_at == at(3, 10, 10)


@pytest.mark.parametrize(
    ("day", "at_time", "occurrence", "message"),
    [
        ("2026-03-29", "03:30", "", "не існує"),
        ("2026-10-25", "03:30", "", "буває двічі"),
        ("2026-03-03", "25:00", "", "Введіть"),
        ("2026-03-03", "07:00", "", "поза годинами"),
    ],
)
def test_an_exact_time_that_does_not_exist_or_is_ambiguous_gets_a_clear_message(
    desk, visit, clinic, kyiv, users, patient, day, at_time, occurrence, message
):
    response = exact(desk, patient, kyiv, users, clinic, visit, day, at_time, occurrence)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Appointment.objects.exists()


def test_an_ambiguous_time_with_its_occurrence_chosen_is_understood(
    desk, visit, clinic, kyiv, users, patient, frozen
):
    from datetime import UTC, datetime

    from clinic.locations.models import OpeningHours
    from clinic.scheduling.tests.conftest import give_hours

    OpeningHours.objects.create(site=kyiv, weekday=7, opens="00:00", closes="09:00")
    give_hours(users[(Role.PHYSICIAN, "kyiv")], kyiv, starts="00:00", ends="09:00", weekdays=[7])
    exact(desk, patient, kyiv, users, clinic, visit, "2026-10-25", "03:30", "1")
    assert Appointment.objects.get().starts_at == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


def test_the_week_view_shows_only_the_viewers_sites(
    client, visit, clinic, kyiv, lviv, users, patient, reception
):
    from clinic.conftest import make_user
    from clinic.scheduling.tests.conftest import give_hours

    both = make_user("both@test.clinic", roles=[Role.PHYSICIAN], sites=[kyiv, lviv])
    give_hours(both, lviv)
    lviv_patient = make_patient(lviv, "L-0200", family_name="Львівська")
    services.book_appointment(
        lviv_patient,
        visit_type=visit["follow_up"],
        site=lviv,
        starts_at=at(3, 10),
        practitioner=both,
        room=clinic["lviv"]["consulting"],
        actor=users[(Role.RECEPTIONIST, "lviv")],
    )
    client.force_login(users[(Role.NURSE, "kyiv")])
    page = client.get(reverse("scheduling:week", args=[both.public_id]) + "?date=2026-03-03")
    assert page.status_code == 200
    assert lviv_patient.initials not in page.content.decode().replace(patient.initials, "")


def test_the_booking_page_preselects_the_visit_type_named_in_the_link(desk, visit, patient):
    url = reverse("scheduling:book", args=[patient.public_id])
    page = desk.get(url, {"type": "integration"}).content.decode()
    assert f'<option value="{visit["integration"].pk}" selected>' in page
    # Opening with the link is not a search: no form errors, no slots yet.
    assert "errorlist" not in page


def test_an_unknown_visit_type_in_the_link_is_ignored(desk, visit, patient):
    url = reverse("scheduling:book", args=[patient.public_id])
    response = desk.get(url, {"type": "no-such\x00type"})
    assert response.status_code == 200
    assert '<option value="" selected>' in response.content.decode()


def test_a_refused_booking_is_shown_audited_once_and_writes_nothing(
    desk, visit, clinic, kyiv, users, patient, other_patient, reception
):
    slot = first_slot(visit["follow_up"], kyiv, patient)
    services.book_appointment(
        other_patient,
        visit_type=visit["follow_up"],
        site=kyiv,
        starts_at=slot.starts_at,
        practitioner=slot.practitioner,
        room=slot.room,
        actor=reception,
    )
    before = AuditEvent.objects.count()
    desk.cookies["django_language"] = "en"
    url = reverse("scheduling:book", args=[patient.public_id])
    response = desk.post(url, {"visit_type": visit["follow_up"].pk, "slot": slot.key})
    assert Appointment.objects.filter(patient=patient).count() == 0
    assert AuditEvent.objects.count() == before + 1  # the refusal, nothing else
    refusal = AuditEvent.objects.get(outcome=AuditEvent.Outcome.DENIED)
    assert refusal.action == "schedule.refused"
    assert refusal.patient == patient and refusal.actor == reception
    messages = [str(m) for m in desk.get(response.url).context["messages"]]
    assert messages == [refusal.reason]
    assert "already" in refusal.reason


def test_a_booking_that_loses_a_race_is_refused_with_try_again(
    desk, visit, clinic, kyiv, patient, reception, monkeypatch
):
    from django.db import OperationalError

    def locked(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(services, "lock_resources", locked)
    slot = first_slot(visit["follow_up"], kyiv, patient)
    desk.cookies["django_language"] = "en"
    url = reverse("scheduling:book", args=[patient.public_id])
    response = desk.post(url, {"visit_type": visit["follow_up"].pk, "slot": slot.key}, follow=True)
    assert response.status_code == 200
    assert "Please try again" in " ".join(str(m) for m in response.context["messages"])
    assert not Appointment.objects.exists()
    assert AuditEvent.objects.filter(action="schedule.refused", patient=patient).count() == 1


def test_the_calendar_feed_address_is_on_the_public_base_url(client, users, settings):
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8123"
    doctor = users[(Role.PHYSICIAN, "kyiv")]
    client.force_login(doctor)
    client.post(reverse("scheduling:issue_feed"))
    token = CalendarFeed.objects.get(practitioner=doctor).token
    week = client.get(reverse("scheduling:week", args=[doctor.public_id])).content.decode()
    assert "http://127.0.0.1:8123" + reverse("scheduling:feed", args=[token]) in week
    assert "testserver" not in week


def test_the_reception_day_board_keeps_its_query_count_as_bookings_grow(
    desk, visit, clinic, users, patient, reception, django_assert_max_num_queries
):
    url = reverse("scheduling:day") + "?date=2026-03-03"
    desk.get(url)
    with django_assert_max_num_queries(30) as few:
        page = desk.get(url).content.decode()
    assert "+<span" in page  # reception books from the free cells
    for i, hour in enumerate((10, 11, 12, 13, 14, 15, 16)):
        booked(
            visit, clinic, users, make_patient(patient.home_site, f"R-{i}"), reception, at(3, hour)
        )
    with django_assert_max_num_queries(len(few)):
        desk.get(url)


def test_a_booking_post_keeps_its_query_count_as_bookings_grow(
    desk, visit, clinic, kyiv, users, patient, reception, django_assert_max_num_queries
):
    exact(desk, patient, kyiv, users, clinic, visit, "2026-03-03", "09:00")
    with django_assert_max_num_queries(60) as few:
        response = exact(desk, patient, kyiv, users, clinic, visit, "2026-03-04", "09:00")
    assert response.status_code == 302
    for i, hour in enumerate(range(10, 18)):
        booked(visit, clinic, users, make_patient(kyiv, f"B-{i}"), reception, at(5, hour))
    with django_assert_max_num_queries(len(few)):
        response = exact(desk, patient, kyiv, users, clinic, visit, "2026-03-06", "09:00")
    assert response.status_code == 302
    assert Appointment.objects.filter(patient=patient).count() == 3


def test_a_visit_booked_in_a_series_says_so_in_the_page_language(
    desk, visit, clinic, users, patient, reception
):
    appointment = booked(visit, clinic, users, patient, reception, at(4, 10))
    # The note a series booking leaves on the visit's history.
    appointment.events.update(note="series")
    text = desk.get(reverse("scheduling:appointment", args=[appointment.public_id])).content
    assert "записано в складі серії візитів" in text.decode() and b"series" not in text
