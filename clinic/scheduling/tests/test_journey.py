"""Issue 15's journey clicked through in Chromium on the test database (so on PostgreSQL too): an
inquiry becomes a patient, who is booked a first consultation; the physician's course of six
infusions is booked from the course page's "Book the planned sessions"; one infusion is moved
from the day board to another chair and time, which schedules the reminder of its new time and
withdraws the old one.

The same journey against the stack `make run` starts, with the reminder delivered by its worker
and opened on its port, is clinic/demo/tests/test_stack.py (SQLite only); it uses this module's
`slot_choices`.
"""

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from clinic.accounts.roles import Role
from clinic.inquiries.models import ConsentText, Inquiry
from clinic.locations.models import Room
from clinic.patients.models import Patient
from clinic.scheduling.models import Appointment, Notification, Series, VisitType
from clinic.scheduling.tests.test_browser import desk_page, search_and_book_first  # noqa: F401
from clinic.treatment.tests.factories import make_course

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


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


def test_an_inquiry_becomes_a_patient_with_a_course_and_a_move_that_reschedules_its_reminder(
    desk_page,  # noqa: F811
    live_server,
    kyiv,
    lviv,
    users,
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

    # The reminder follows the new time; the worker's delivery of it is test_stack's.
    reminder = Notification.objects.get(
        appointment=moved, kind=Notification.Kind.REMINDER, state=Notification.State.SCHEDULED
    )
    assert reminder.for_starts_at == moved.starts_at
    # The old time's reminder was withdrawn by the move and never went out.
    old = Notification.objects.get(
        appointment=moved, kind=Notification.Kind.REMINDER, for_starts_at=last.starts_at
    )
    assert (old.state, old.drop_reason) == (Notification.State.DROPPED, "moved")
