"""The whole journey of issue 15's "Done when", clicked through in Chromium: an inquiry becomes a
patient, who is booked a first consultation; the physician's course of six infusions is booked
from the course page's "Book the planned sessions"; one infusion is moved from the day board
to another chair and time; the reminder of its new time is delivered by the periodic jobs
(`run_jobs`) to a local stub SMS gateway, and its link opens on the live server's port.

Here the jobs run in this process (`call_command("run_jobs", "--once")`): the test moves the
clock to the reminder's time, which only this process sees. The worker as `make run` starts
it, in its own processes on another port, is clicked through in clinic/demo/tests/test_stack.py.
"""

import html
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from clinic.accounts.roles import Role
from clinic.inquiries.models import ConsentText, Inquiry
from clinic.locations.models import Room
from clinic.patients.models import Patient
from clinic.scheduling.models import Appointment, Notification, Series, VisitType
from clinic.scheduling.tests.test_browser import desk_page, search_and_book_first  # noqa: F401
from clinic.scheduling.tests.test_reminders import Stub
from clinic.treatment.tests.factories import make_course

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def gateway(settings, live_server):
    stub = Stub([])
    settings.SMS_GATEWAY_URL = stub.url
    settings.SMS_GATEWAY_TOKEN = "test-token"
    settings.MESSAGE_GATEWAY_ALLOW_LOOPBACK_HTTP = True
    settings.PUBLIC_BASE_URL = live_server.url
    yield stub
    stub.stop()


def slot_choices(page) -> list[tuple[int, str]]:
    """(index of the slot form in the move panel, a slot key it can post) for every choice."""
    return page.eval_on_selector_all(
        "#cell-panel ul.slots form",
        """forms => forms.flatMap((form, i) => {
            const select = form.querySelector("select[name=slot]");
            const keys = select ? [...select.options].map(o => o.value)
                                : [form.querySelector("input[name=slot]").value];
            return keys.map(key => [i, key]);
        })""",
    )


def test_an_inquiry_becomes_a_patient_with_a_course_a_move_and_a_delivered_reminder(
    desk_page,  # noqa: F811
    live_server,
    kyiv,
    lviv,
    users,
    gateway,
):
    from playwright.sync_api import expect

    consent, _ = ConsentText.objects.get_or_create(
        version=1, defaults={"text_uk": "Згода", "text_en": "Consent"}
    )
    inquiry = Inquiry.objects.create(
        name="Прохоренко Вікторія Олегівна",
        phone="+380671234567",
        site=kyiv,
        topic="trd",
        channel="phone",
        language="uk",
        sender_hash="journey",
        consent=consent,
    )
    page = desk_page("uk")

    # The inquiry becomes a patient; the name is read in the Ukrainian order.
    page.goto(f"{live_server.url}/staff/inquiries/{inquiry.public_id}/")
    status = page.locator("form[action$='/status/']")
    status.locator("select").select_option("contacted")  # called back first
    status.locator("button[type=submit]").click()
    expect(page.locator("#id_family_name")).to_have_value("Прохоренко")
    expect(page.locator("#id_given_name")).to_have_value("Вікторія")
    page.fill("#id_birth_date", "1988-04-12")
    page.click("form[action$='/convert/'] button[type=submit]")
    page.wait_for_url("**/staff/patients/**")
    patient = Patient.objects.get(family_name="Прохоренко")
    assert (patient.given_name, patient.patronymic) == ("Вікторія", "Олегівна")

    # A first consultation.
    first = VisitType.objects.get(code="first_consultation")
    search_and_book_first(
        page, live_server, patient, first, first.name_uk, kyiv.pk, (kyiv.pk, lviv.pk)
    )
    assert Appointment.objects.get(patient=patient, visit_type=first).status == "booked"

    # The physician approves a course of six infusions (the record's own pages, tested
    # there); its page links reception to the booking of the planned sessions.
    physician = users[(Role.PHYSICIAN, "kyiv")]
    course = make_course(patient, physician)
    infusion = VisitType.objects.get(code="ketamine_infusion")
    client = Client()
    client.force_login(physician)
    course_page = client.get(f"/staff/treatment/courses/{course.public_id}/").content.decode()
    book_link = re.search(r'<a href="([^"]+\?course=[^"]+)">Записати заплановані', course_page)
    assert book_link, "the course page links to the booking of its planned sessions"
    page.goto(live_server.url + html.unescape(book_link.group(1)))
    expect(page.locator("p.notice[role=status]")).to_contain_text("6")
    expect(page.locator("#id_visit_type")).to_have_value(str(infusion.pk))
    page.click("form.filters button[type=submit]")
    # The first free time has several chairs: reception books the series on the second one.
    chairs = page.locator("ul.slots li").first.locator("a.slot-series")
    assert chairs.count() > 1
    slot = parse_qs(urlsplit(chairs.nth(1).get_attribute("href")).query)["slot"][0]
    chosen = int(slot.rsplit("|", 1)[1])  # the key ends with the chair's id
    chairs.nth(1).click()
    page.wait_for_url("**/series/**")
    weekday = page.locator("input[name=weekdays]:checked").first.get_attribute("value")
    page.locator(f"input[name=weekdays][value='{int(weekday) % 5 + 2}']").check()
    page.click("form.filters button[type=submit]")
    page.locator("form[method=post] button[type=submit]").last.click()
    page.wait_for_url("**/appointments/**")
    series = Series.objects.get(patient=patient)
    assert series.course == course
    course = list(Appointment.objects.filter(series=series).order_by("starts_at"))
    assert len(course) == 6 and all(a.room.kind == Room.Kind.INFUSION_CHAIR for a in course)
    assert course[0].room_id == chosen  # the chair chosen on the booking page

    # The last infusion moves from the day board to another chair and time.
    last = course[-1]
    day = timezone.localtime(last.starts_at).date().isoformat()
    page.goto(f"{live_server.url}/staff/schedule/?date={day}")
    page.click(f"a.move-link[href*='/appointments/{last.public_id}/move/']")
    expect(page.locator("#cell-panel .move-panel")).to_be_visible()  # opened in the panel
    was = f"|{last.starts_at.isoformat()}|"
    index, key = next(
        (i, k) for i, k in slot_choices(page) if was not in k and not k.endswith(f"|{last.room_id}")
    )
    form = page.locator("#cell-panel ul.slots form").nth(index)
    if form.locator("select[name=slot]").count():
        form.locator("select[name=slot]").select_option(key)
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/staff/schedule/?date=*")
    expect(page.locator(".messages")).to_contain_text("Перенесено.")
    moved = Appointment.objects.get(pk=last.pk)
    assert moved.starts_at != last.starts_at and moved.room_id != last.room_id
    assert moved.status == "booked"

    # When the reminder falls due, the jobs hand it to the outbox and the outbox to the gateway.
    reminder = Notification.objects.get(
        appointment=moved, kind=Notification.Kind.REMINDER, state=Notification.State.SCHEDULED
    )
    assert reminder.for_starts_at == moved.starts_at
    with time_machine.travel(reminder.send_after + timedelta(minutes=1)) as clock:
        call_command("run_jobs", "--once")
        clock.shift(timedelta(minutes=2))  # the outbox sweep's period: its next run sends it
        call_command("run_jobs", "--once")
    reminder.refresh_from_db()
    assert reminder.delivery_state == "sent"
    new_time = timezone.localtime(moved.starts_at).strftime("%H:%M")
    texts = [body["text"] for _step, _key, body in gateway.requests]
    sent = [t for t in texts if t.startswith("Нагадування") and new_time in t]
    assert len(sent) == 1 and all(b["to"] == "+380671234567" for *_, b in gateway.requests)
    # Its link is absolute on the live server's own port: the patient's page of the visit in the
    # portal she was invited to when the inquiry became her record. It opens there, asking her
    # to sign in first.
    link = re.search(r"Ваш візит: (\S+)", sent[0]).group(1)
    assert link == f"{live_server.url}/uk/portal/visits/{moved.public_id}/"
    phone = page.context.browser.new_page()  # her phone: no staff session
    assert phone.goto(link).ok and phone.url == f"{live_server.url}/uk/portal/sign-in/"
    phone.close()
    # The old time's reminder was withdrawn by the move and never went out.
    old = Notification.objects.get(
        appointment=moved, kind=Notification.Kind.REMINDER, for_starts_at=last.starts_at
    )
    assert (old.state, old.drop_reason) == (Notification.State.DROPPED, "moved")
