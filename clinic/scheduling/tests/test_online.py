"""Online booking of a first consultation from the public site (scheduling/online.py)."""

import re
from datetime import date, timedelta

import pytest
from django.test import Client, override_settings
from django.utils import translation

from clinic.accounts.roles import Role
from clinic.conftest import make_patient
from clinic.core.models import AuditEvent, OutboxMessage
from clinic.core.worklists import for_user
from clinic.patients.models import Patient
from clinic.scheduling import online
from clinic.scheduling.jobs import reminders
from clinic.scheduling.models import Appointment, Notification, OnlineBooking
from clinic.scheduling.tests.conftest import at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

IDENTITY = {
    "family_name": "Шевчук",
    "given_name": "Ірина",
    "patronymic": "",
    "birth_date": "1991-04-12",
    "phone": "067 123 45 67",
    "email": "",
    "channel": "sms",
    "consent": "on",
    "consent_version": "1",
}


@pytest.fixture(autouse=True)
def consent_in_force(db):
    """The first consent text (a migration writes it at the real time) is in force already."""
    from clinic.inquiries.models import ConsentText

    ConsentText.objects.update(effective_from=at(1, 0))


def url(name, booking=None, lang="en"):
    from django.urls import reverse

    with translation.override(lang):
        if booking is None:
            return reverse(f"booking:{name}")
        return reverse(f"booking:{name}", kwargs={"booking_id": booking.public_id})


def hold(visit, kyiv, starts_at=None, *, ip="203.0.113.5"):
    slot = online.free_times(visit["first_consultation"], kyiv)[0]
    return online.hold_online_time(
        visit_type=visit["first_consultation"],
        site=kyiv,
        starts_at=starts_at or slot.starts_at,
        practitioner=slot.practitioner,
        room=slot.room,
        ip=ip,
        language="en",
        actor=online.ONLINE_BOOKING,
    )


def send_code(booking, *, ip="203.0.113.5", **changes):
    fields = {
        "family_name": "Шевчук",
        "given_name": "Ірина",
        "patronymic": "",
        "birth_date": date(1991, 4, 12),
        "phone": "+380671234567",
        "email": "",
        "channel": "sms",
        "consent_version": 1,
    } | changes
    online.send_booking_code(booking, **fields, ip=ip, actor=online.ONLINE_BOOKING)
    message = OutboxMessage.objects.order_by("-pk").first()
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def start_in_browser(client, visit, kyiv):
    """Search, then take the first free time, as a visitor's browser does."""
    page = client.get(url("start"), {"site": kyiv.pk, "visit_type": visit["first_consultation"].pk})
    key = re.search(r'name="slot" value="([^"]+)"', page.content.decode()).group(1)
    response = client.post(
        url("hold"),
        {"visit_type": visit["first_consultation"].pk, "site": kyiv.pk, "slot": key},
    )
    return response, OnlineBooking.objects.order_by("-pk").first()


# --- The whole flow ------------------------------------------------------------------------


def test_a_new_person_books_a_first_consultation_and_reception_sees_it(client, visit, kyiv, users):
    response, booking = start_in_browser(client, visit, kyiv)
    assert response.status_code == 302 and response["Location"] == url("details", booking)
    held = booking.appointment
    assert held.status == Appointment.Status.HELD and held.patient is None
    assert held.starts_at == at(2, 9) and held.hold_until is not None

    response = client.post(url("details", booking), IDENTITY)
    assert response.status_code == 302 and response["Location"] == url("code", booking)
    message = OutboxMessage.objects.get(channel="sms")
    assert message.recipient == "+380671234567" and message.carries_secret
    code = re.search(r"\b(\d{6})\b", message.body).group(1)
    booking.refresh_from_db()
    assert booking.code_hash and code not in booking.code_hash

    response = client.post(url("code", booking), {"code": code})
    assert response.status_code == 302 and response["Location"] == url("done", booking)
    page = client.get(url("done", booking)).content.decode()
    assert "Your consultation is booked" in page

    held.refresh_from_db()
    patient = Patient.objects.get()
    assert (patient.family_name, patient.given_name) == ("Шевчук", "Ірина")
    assert patient.birth_date == date(1991, 4, 12) and patient.home_site == kyiv
    assert str(patient.phone) == "+380671234567" and patient.record_number == "K-0001"
    assert held.status == Appointment.Status.BOOKED and held.patient == patient
    assert held.hold_until is None
    assert Notification.objects.filter(appointment=held, kind="confirmation").exists()
    assert AuditEvent.objects.filter(
        action="appointment.booked_online", actor_label="anonymous:online-booking"
    ).exists()

    receptionist = users[(Role.RECEPTIONIST, "kyiv")]
    (worklist,) = [f for f in for_user(receptionist, kyiv) if f.worklist.key == "online_bookings"]
    assert [item.text for item in worklist.items] == ["Шевчук Ірина · +380671234567"]


def test_reception_marks_the_call_back_and_the_item_leaves_the_worklist(client, visit, kyiv, users):
    booking = hold(visit, kyiv)
    online.confirm_online_booking(booking, code=send_code(booking), actor=online.ONLINE_BOOKING)
    receptionist = users[(Role.RECEPTIONIST, "kyiv")]
    staff = Client()
    staff.force_login(receptionist)
    appointment = booking.appointment
    page = staff.get(f"/staff/schedule/appointments/{appointment.public_id}/").content.decode()
    assert "Передзвонили, реєстрацію завершено" in page  # staff pages speak Ukrainian first
    response = staff.post(f"/staff/schedule/appointments/{appointment.public_id}/called-back/")
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.called_back_by == receptionist and booking.called_back_at is not None
    lists = {f.worklist.key: f for f in for_user(receptionist, kyiv)}
    assert lists["online_bookings"].items == []
    # A second press changes nothing.
    staff.post(f"/staff/schedule/appointments/{appointment.public_id}/called-back/")
    assert AuditEvent.objects.filter(action="appointment.online.called_back").count() == 1


def test_the_start_page_offers_only_visit_types_bookable_online(client, visit, kyiv):
    page = client.get(url("start")).content.decode()
    assert "First consultation" in page
    assert "Ketamine infusion" not in page and "TES session" not in page


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_the_pages_speak_both_languages(client, visit, kyiv, lang):
    response = client.get(
        url("start", lang=lang), {"site": kyiv.pk, "visit_type": visit["first_consultation"].pk}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert ("Записатися на консультацію" if lang == "uk" else "Book a consultation") in page
    assert 'name="slot"' in page and "<script" not in page.split("</head>")[1]


def test_the_home_and_contact_pages_lead_to_online_booking(client, kyiv):
    from django.urls import reverse

    with translation.override("en"):
        contacts = reverse("website:contacts")
    for path in ("/en/", contacts):
        page = client.get(path).content.decode()
        assert url("start") in page


def test_the_window_is_the_sites_setting(visit, kyiv):
    kyiv.online_booking_days = 1
    kyiv.save()
    days = {t.local_start.date() for t in online.free_times(visit["first_consultation"], kyiv)}
    assert days == {date(2026, 3, 2)}
    slot = online.free_times(visit["first_consultation"], kyiv)[0]
    with pytest.raises(online.OnlineBookingRefused):
        hold(visit, kyiv, starts_at=slot.starts_at + timedelta(days=1))
    assert Appointment.objects.count() == 0


# --- Holds ---------------------------------------------------------------------------------


def test_a_held_time_is_not_offered_again(visit, kyiv):
    booking = hold(visit, kyiv)
    times = [t.starts_at for t in online.free_times(visit["first_consultation"], kyiv)]
    assert booking.appointment.starts_at not in times


def test_choosing_another_time_frees_the_one_held_before(client, visit, kyiv):
    _response, first = start_in_browser(client, visit, kyiv)
    _response, second = start_in_browser(client, visit, kyiv)
    first.appointment.refresh_from_db()
    second.appointment.refresh_from_db()
    assert first.appointment.status == Appointment.Status.CANCELLED
    assert second.appointment.status == Appointment.Status.HELD
    times = [t.starts_at for t in online.free_times(visit["first_consultation"], kyiv)]
    assert first.appointment.starts_at in times
    assert client.get(url("details", second)).status_code == 200


def test_a_staff_only_visit_type_cannot_be_held(visit, kyiv, clinic):
    slot = online.free_times(visit["first_consultation"], kyiv)[0]
    with pytest.raises(online.OnlineBookingRefused, match="cannot be booked online"):
        online.hold_online_time(
            visit_type=visit["tes_session"],
            site=kyiv,
            starts_at=slot.starts_at,
            practitioner=slot.practitioner,
            room=clinic["kyiv"]["tes"],
            ip="203.0.113.5",
            language="en",
            actor=online.ONLINE_BOOKING,
        )
    assert Appointment.objects.count() == 0 and OnlineBooking.objects.count() == 0


def test_a_taken_time_is_refused_with_a_clear_page_and_nothing_written(client, visit, kyiv):
    page = client.get(url("start"), {"site": kyiv.pk, "visit_type": visit["first_consultation"].pk})
    key = re.search(r'name="slot" value="([^"]+)"', page.content.decode()).group(1)
    hold(visit, kyiv)  # someone else takes it first
    response = client.post(
        url("hold"), {"visit_type": visit["first_consultation"].pk, "site": kyiv.pk, "slot": key}
    )
    assert response.status_code == 409
    assert "Someone has just taken that time" in response.content.decode()
    assert Appointment.objects.count() == 1 and OnlineBooking.objects.count() == 1


def test_a_garbled_time_is_refused_and_nothing_written(client, visit, kyiv):
    response = client.post(
        url("hold"), {"visit_type": visit["first_consultation"].pk, "slot": "1|yesterday|x|"}
    )
    assert response.status_code == 400
    assert "could not be read" in response.content.decode()
    assert Appointment.objects.count() == 0


def test_an_expired_hold_is_released_by_the_job_and_the_time_is_free_again(visit, kyiv, frozen):
    booking = hold(visit, kyiv)
    frozen.shift(timedelta(minutes=16))
    reminders()
    booking.appointment.refresh_from_db()
    assert booking.appointment.status == Appointment.Status.CANCELLED
    times = [t.starts_at for t in online.free_times(visit["first_consultation"], kyiv)]
    assert booking.appointment.starts_at in times


def test_an_online_hold_is_not_in_receptions_waitlist_offers(visit, kyiv, users):
    hold(visit, kyiv)
    receptionist = users[(Role.RECEPTIONIST, "kyiv")]
    lists = {f.worklist.key: f for f in for_user(receptionist, kyiv)}
    assert lists["offers_ending"].items == []


def test_staff_cannot_open_a_time_held_online(visit, kyiv, users):
    booking = hold(visit, kyiv)
    staff = Client()
    staff.force_login(users[(Role.RECEPTIONIST, "kyiv")])
    response = staff.get(f"/staff/schedule/appointments/{booking.appointment.public_id}/")
    assert response.status_code == 404
    day = staff.get("/staff/schedule/?day=2026-03-02")
    assert day.status_code == 200 and "утримано онлайн" in day.content.decode()


# --- Codes ---------------------------------------------------------------------------------


def test_a_wrong_code_is_counted_and_the_last_attempt_frees_the_time(visit, kyiv):
    booking = hold(visit, kyiv)
    code = send_code(booking)
    wrong = "000000" if code != "000000" else "111111"
    for left in (4, 3, 2, 1):
        with pytest.raises(online.OnlineBookingRefused, match=f"Attempts left: {left}"):
            online.confirm_online_booking(booking, code=wrong, actor=online.ONLINE_BOOKING)
    with pytest.raises(online.HoldLost, match="Too many wrong codes"):
        online.confirm_online_booking(booking, code=wrong, actor=online.ONLINE_BOOKING)
    # Even the right code is now refused: the code is dead and the time is free.
    with pytest.raises(online.HoldLost):
        online.confirm_online_booking(booking, code=code, actor=online.ONLINE_BOOKING)
    booking.appointment.refresh_from_db()
    assert booking.appointment.status == Appointment.Status.CANCELLED
    assert Patient.objects.count() == 0
    assert AuditEvent.objects.filter(action="appointment.online.wrong_code").count() == 5


def test_a_code_works_once(visit, kyiv):
    booking = hold(visit, kyiv)
    code = send_code(booking)
    online.confirm_online_booking(booking, code=code, actor=online.ONLINE_BOOKING)
    with pytest.raises(online.OnlineBookingRefused, match="already confirmed"):
        online.confirm_online_booking(booking, code=code, actor=online.ONLINE_BOOKING)
    assert Patient.objects.count() == 1


def test_an_expired_code_is_refused_and_nothing_booked(visit, kyiv, frozen):
    booking = hold(visit, kyiv)
    code = send_code(booking)
    frozen.shift(timedelta(minutes=11))
    with pytest.raises(online.OnlineBookingRefused):
        online.confirm_online_booking(booking, code=code, actor=online.ONLINE_BOOKING)
    assert Patient.objects.count() == 0
    booking.appointment.refresh_from_db()
    assert booking.appointment.patient is None


def test_only_a_hash_of_the_code_is_kept(visit, kyiv):
    booking = hold(visit, kyiv)
    code = send_code(booking)
    booking.refresh_from_db()
    assert len(booking.code_hash) == 64 and code not in booking.code_hash


def test_the_code_goes_by_email_when_asked(visit, kyiv):
    booking = hold(visit, kyiv)
    send_code(booking, channel="email", email="Iryna@Example.org", phone="")
    message = OutboxMessage.objects.get()
    assert (message.channel, message.recipient) == ("email", "iryna@example.org")


def test_known_and_unknown_phones_get_the_same_answer(visit, kyiv):
    make_patient(kyiv, "K-0100", phone="+380671234567")
    answers = []
    for phone in ("067 123 45 67", "050 765 43 21"):
        client = Client()
        _response, booking = start_in_browser(client, visit, kyiv)
        response = client.post(url("details", booking), IDENTITY | {"phone": phone})
        page = client.get(response["Location"]).content.decode()
        answers.append((response.status_code, page.replace(str(booking.public_id), "ID")))
    assert answers[0][0] == answers[1][0] == 302

    # The held time differs (the second visitor gets the next free one); the words do not.
    def strip(page):
        page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)
        return re.sub(r"\d{1,2}:\d{2}|\d{1,2} \w+ \d{4}", "T", page)

    assert strip(answers[0][1]) == strip(answers[1][1])
    assert OutboxMessage.objects.filter(channel="sms").count() == 2


# --- Bad input and anti-automation ---------------------------------------------------------


def test_a_birth_date_in_the_future_is_refused_and_no_code_sent(client, visit, kyiv):
    _response, booking = start_in_browser(client, visit, kyiv)
    response = client.post(url("details", booking), IDENTITY | {"birth_date": "2030-01-01"})
    assert response.status_code == 400
    assert "Check the date of birth" in response.content.decode()
    assert OutboxMessage.objects.count() == 0
    booking.refresh_from_db()
    assert booking.family_name == "" and booking.code_hash == ""


def test_without_consent_nothing_is_sent(client, visit, kyiv):
    _response, booking = start_in_browser(client, visit, kyiv)
    data = dict(IDENTITY)
    del data["consent"]
    response = client.post(url("details", booking), data)
    assert response.status_code == 400 and OutboxMessage.objects.count() == 0


def test_sms_without_a_phone_is_refused(client, visit, kyiv):
    _response, booking = start_in_browser(client, visit, kyiv)
    response = client.post(url("details", booking), IDENTITY | {"phone": ""})
    assert response.status_code == 400 and OutboxMessage.objects.count() == 0


def test_a_filled_honeypot_stores_nothing(client, visit, kyiv):
    page = client.get(url("start"), {"site": kyiv.pk, "visit_type": visit["first_consultation"].pk})
    key = re.search(r'name="slot" value="([^"]+)"', page.content.decode()).group(1)
    response = client.post(
        url("hold"),
        {"visit_type": visit["first_consultation"].pk, "slot": key, "website": "http://spam"},
    )
    assert response.status_code == 302
    assert Appointment.objects.count() == 0 and OnlineBooking.objects.count() == 0
    _response, booking = start_in_browser(client, visit, kyiv)
    response = client.post(url("details", booking), IDENTITY | {"website": "x"})
    assert response.status_code == 302 and OutboxMessage.objects.count() == 0


def test_another_browser_cannot_open_the_booking(client, visit, kyiv):
    _response, booking = start_in_browser(client, visit, kyiv)
    stranger = Client()
    assert stranger.get(url("details", booking)).status_code == 404
    assert stranger.post(url("code", booking), {"code": "123456"}).status_code == 404


@override_settings(ONLINE_BOOKING_HOLDS_PER_IP_PER_HOUR=2)
def test_too_many_holds_from_one_connection_answer_429(client, visit, kyiv):
    start_in_browser(client, visit, kyiv)
    start_in_browser(client, visit, kyiv)
    response, _booking = start_in_browser(client, visit, kyiv)
    assert response.status_code == 429 and response["Retry-After"]
    assert "Too many bookings from your connection" in response.content.decode()
    assert OnlineBooking.objects.count() == 2 and Appointment.objects.count() == 2
    assert AuditEvent.objects.filter(action="schedule.online.rate_limited").count() == 1


@override_settings(ONLINE_BOOKING_CODES_PER_CONTACT_PER_HOUR=2)
def test_too_many_codes_for_one_phone_answer_429_from_any_connection(visit, kyiv):
    for ip in ("203.0.113.5", "203.0.113.6"):
        send_code(hold(visit, kyiv, ip=ip), ip=ip)
    client = Client(REMOTE_ADDR="198.51.100.7")
    _response, booking = start_in_browser(client, visit, kyiv)
    response = client.post(url("details", booking), IDENTITY)
    assert response.status_code == 429
    assert "Too many codes" in response.content.decode()
    assert OutboxMessage.objects.count() == 2
    booking.refresh_from_db()
    assert booking.code_hash == "" and booking.family_name == ""


@override_settings(ONLINE_BOOKING_CODES_PER_IP_PER_HOUR=2)
def test_too_many_codes_from_one_connection_answer_429(visit, kyiv):
    booking = hold(visit, kyiv)
    send_code(booking, phone="+380501111111")
    send_code(booking, phone="+380502222222")
    with pytest.raises(online.TooManyRequests):
        send_code(booking, phone="+380503333333")
    assert OutboxMessage.objects.count() == 2


# --- Two people, one time -------------------------------------------------------------------


def test_the_second_person_cannot_hold_a_time_already_held(visit, kyiv):
    first = hold(visit, kyiv)
    with pytest.raises(online.HoldLost, match="Someone has just taken that time"):
        hold(visit, kyiv, starts_at=first.appointment.starts_at, ip="198.51.100.7")
    assert Appointment.objects.count() == 1 and OnlineBooking.objects.count() == 1


def test_a_hold_that_ran_out_and_was_taken_cannot_be_confirmed(visit, kyiv, frozen):
    first = hold(visit, kyiv)
    code = send_code(first)
    starts_at = first.appointment.starts_at
    frozen.shift(timedelta(minutes=16))
    second = hold(visit, kyiv, starts_at=starts_at, ip="198.51.100.7")
    with pytest.raises(online.HoldLost, match="no longer held"):
        online.confirm_online_booking(first, code=code, actor=online.ONLINE_BOOKING)
    assert Patient.objects.count() == 0
    online.confirm_online_booking(second, code=send_code(second), actor=online.ONLINE_BOOKING)
    assert Appointment.objects.filter(status="booked").count() == 1


def test_a_hold_that_ran_out_cannot_be_confirmed_even_before_the_job_releases_it(visit, kyiv):
    booking = hold(visit, kyiv)
    code = send_code(booking)
    Appointment.objects.filter(pk=booking.appointment_id).update(hold_until=at(2, 7))
    with pytest.raises(online.HoldLost):
        online.confirm_online_booking(booking, code=code, actor=online.ONLINE_BOOKING)
    assert Patient.objects.count() == 0
    booking.appointment.refresh_from_db()
    assert booking.appointment.status == Appointment.Status.HELD


def test_the_free_times_page_reads_a_fixed_number_of_queries(
    client, visit, kyiv, django_assert_max_num_queries
):
    query = {"site": kyiv.pk, "visit_type": visit["first_consultation"].pk}
    client.get(url("start"), query)  # warm the session and caches
    with django_assert_max_num_queries(25):
        response = client.get(url("start"), query)
    assert response.status_code == 200
