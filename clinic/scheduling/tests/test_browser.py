"""A receptionist's day, clicked through in Chromium, in Ukrainian and in English: a visit of
every type at either site, a six-infusion course, one occurrence moved, one cancelled, and the
freed place offered to the waitlist. axe-core checks the schedule pages on the way."""

from pathlib import Path

import pytest
from django.db import connections
from django.test import Client

from clinic.accounts.roles import Role
from clinic.conftest import IN_CI, make_patient, make_user
from clinic.scheduling.models import Appointment, Series, VisitType, WaitlistEntry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = Path(__file__).resolve().parents[3] / "node_modules" / "axe-core" / "axe.min.js"

WORDS = {
    "uk": {
        "moved": "Перенесено.",
        "cancelled": "Скасовано",
        "offered": "Запропоновано місце",
        "series": "Серію записано",
        "booked": "Записано",
    },
    "en": {
        "moved": "Moved.",
        "cancelled": "Cancelled",
        "offered": "Offered a place",
        "series": "Series booked",
        "booked": "Booked",
    },
}


@pytest.fixture
def desk_page(chromium_path, live_server, monkeypatch, clinic, kyiv, lviv, users):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    reception = make_user("desk@test.clinic", roles=[Role.RECEPTIONIST], sites=[kyiv, lviv])
    client = Client()
    client.force_login(reception)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)

        def open_page(language):
            # bypass_csp only so that axe-core can be injected; the pages themselves keep it.
            context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
            host = live_server.url.split("//")[1].split(":")[0]
            context.add_cookies(
                [
                    {
                        "name": "sessionid",
                        "value": client.cookies["sessionid"].value,
                        "domain": host,
                        "path": "/",
                    },
                    {"name": "django_language", "value": language, "domain": host, "path": "/"},
                ]
            )
            page = context.new_page()
            page.set_default_timeout(15_000)
            return page

        yield open_page
        browser.close()
        # Connections opened while Playwright's loop ran belong to that context: close them
        # here, or PostgreSQL cannot drop the test database at the end.
        connections.close_all()


def check_axe(page, problems):
    if not AXE.exists():
        if IN_CI:
            pytest.fail("axe-core is missing (npm ci)")
        return
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    for violation in result["violations"]:
        problems.append((page.url, violation["id"], violation["nodes"][0]["target"]))


def search_and_book_first(page, live_server, patient, visit_type, name, site_pk, all_sites):
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/staff/schedule/book/{patient.public_id}/")
    page.select_option("#id_visit_type", str(visit_type.pk))
    for pk in all_sites:
        box = page.locator(f"input[name=sites][value='{pk}']")
        if (pk == site_pk) != box.is_checked():
            box.click()
    page.click("form.filters button[type=submit]")
    page.locator("button.slot").first.click()
    page.wait_for_url("**/appointments/**")
    expect(page.locator("h1")).to_contain_text(name)


@pytest.mark.parametrize("language", ["uk", "en"])
def test_reception_books_every_visit_type_a_course_moves_cancels_and_offers_the_place(
    desk_page, live_server, kyiv, lviv, users, language
):
    from django.utils import translation
    from playwright.sync_api import expect

    words = WORDS[language]
    first = make_patient(kyiv, "K-0001", phone="+380501112233")
    course = make_patient(kyiv, "K-0002", family_name="Шевчук", phone="+380501112234")
    waiting = make_patient(kyiv, "K-0003", family_name="Бондар", phone="+380501112235")
    page = desk_page(language)
    problems = []

    # A visit of every type, alternating between the two sites.
    with translation.override(language):
        types = [(t, t.name) for t in VisitType.objects.order_by("position")]
    for index, (visit_type, name) in enumerate(types):
        site = (kyiv, lviv)[index % 2]
        search_and_book_first(
            page, live_server, first, visit_type, name, site.pk, (kyiv.pk, lviv.pk)
        )
    assert Appointment.objects.filter(patient=first).count() == len(types) == 7
    assert {a.site for a in Appointment.objects.filter(patient=first)} == {kyiv, lviv}
    check_axe(page, problems)

    # A course of six infusions, twice a week.
    infusion = VisitType.objects.get(code="ketamine_infusion")
    page.goto(f"{live_server.url}/staff/schedule/book/{course.public_id}/")
    page.select_option("#id_visit_type", str(infusion.pk))
    page.click("form.filters button[type=submit]")
    page.locator("a.slot-series").first.click()
    page.wait_for_url("**/series/**")
    weekday = page.locator("input[name=weekdays]:checked").first.get_attribute("value")
    other = str((int(weekday) + 2) % 5 + 1)
    page.locator(f"input[name=weekdays][value='{other}']").check()
    page.click("form.filters button[type=submit]")
    expect(page.locator("table")).to_be_visible()
    check_axe(page, problems)
    page.locator("form[method=post] button[type=submit]").last.click()
    page.wait_for_url("**/appointments/**")
    expect(page.locator(".messages")).to_contain_text(words["series"])
    series = Series.objects.get(patient=course)
    visits = list(Appointment.objects.filter(series=series).order_by("starts_at"))
    assert len(visits) == 6

    # Move the first occurrence.
    page.locator(f"a[href$='/appointments/{visits[0].public_id}/move/']").click()
    page.locator("button.slot").nth(1).click()
    page.wait_for_url(f"**/appointments/{visits[0].public_id}/")
    expect(page.locator(".messages")).to_contain_text(words["moved"])
    moved = Appointment.objects.get(pk=visits[0].pk)
    assert moved.starts_at != visits[0].starts_at and moved.status == "booked"

    # Someone waits for an infusion; then the third occurrence is cancelled.
    page.goto(f"{live_server.url}/staff/schedule/waitlist/add/{waiting.public_id}/")
    page.select_option("#id_visit_type", str(infusion.pk))
    page.select_option("#id_priority", "1")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/waitlist/**")
    entry = WaitlistEntry.objects.get(patient=waiting)
    assert entry.status == "waiting"
    page.goto(f"{live_server.url}/staff/schedule/appointments/{visits[2].public_id}/")
    check_axe(page, problems)
    page.fill("#id_reason", "Захворіла" if language == "uk" else "Ill")
    page.click("button.danger")
    expect(page.locator(".messages")).to_contain_text(words["cancelled"])
    assert Appointment.objects.get(pk=visits[2].pk).status == "cancelled"

    # The waitlist shows the place offered, at the cancelled time, and reception takes it.
    page.goto(f"{live_server.url}/staff/schedule/waitlist/")
    expect(page.locator("main")).to_contain_text(words["offered"])
    check_axe(page, problems)
    entry.refresh_from_db()
    assert entry.status == "offered" and entry.offer.starts_at == visits[2].starts_at
    page.click(f"a[href$='/waitlist/{entry.public_id}/']")
    page.click(f"form[action$='/waitlist/{entry.public_id}/confirm/'] button")
    page.wait_for_url("**/appointments/**")
    expect(page.locator("main")).to_contain_text(words["booked"])

    # The day board shows the day's visits at the current site.
    page.goto(f"{live_server.url}/staff/schedule/?date={moved.starts_at.date().isoformat()}")
    expect(page.locator(".schedule-board")).to_be_visible()
    check_axe(page, problems)
    assert problems == []


def test_booking_from_a_free_cell_of_the_day_board(desk_page, live_server, kyiv, users):
    from playwright.sync_api import expect

    patient = make_patient(kyiv, "K-0009", phone="+380501112239")
    page = desk_page("uk")
    tomorrow = _next_weekday()
    page.goto(f"{live_server.url}/staff/schedule/?date={tomorrow.isoformat()}")
    # The first chair's column, a morning cell: the panel opens in place (htmx).
    header = page.locator(".schedule-board thead th", has_text="Крісло 1")
    column = header.evaluate("th => Array.from(th.parentNode.children).indexOf(th)")
    page.locator(f".schedule-board tbody tr:nth-child(5) td:nth-child({column + 1}) a").click()
    expect(page.locator("#cell-panel form")).to_be_visible()
    page.fill("#id_record_number", patient.record_number)
    page.select_option("#id_visit_type", str(VisitType.objects.get(code="ketamine_infusion").pk))
    page.click("#cell-panel button[type=submit]")
    # A confirmation first: nothing is booked until reception confirms it, with a note.
    expect(page.locator("#cell-panel h2")).to_contain_text("Підтвердьте запис")
    expect(page.locator("#cell-panel")).to_contain_text(patient.full_name)
    assert not Appointment.objects.filter(patient=patient).exists()
    page.fill("#id_note", "Приїде з супроводом")
    page.click("#cell-panel button[type=submit]")
    page.wait_for_url("**/appointments/**")
    appointment = Appointment.objects.get(patient=patient)
    assert appointment.room.name == "Крісло 1"
    expect(page.locator("main")).to_contain_text("Приїде з супроводом")


def test_schedule_pages_fit_a_360_pixel_wide_screen(desk_page, live_server, kyiv, users):
    patient = make_patient(kyiv, "K-0010", family_name="Довгопрізвищенко-Ковальчук")
    page = desk_page("uk")
    page.set_viewport_size({"width": 360, "height": 740})
    day = _next_weekday().isoformat()
    for path in (
        f"/staff/schedule/?date={day}",
        "/staff/schedule/book/?q=Довго",
        f"/staff/schedule/book/{patient.public_id}/?visit_type="
        f"{VisitType.objects.get(code='follow_up').pk}&sites={kyiv.pk}"
        f"&first_day={day}&last_day={day}",
        "/staff/schedule/waitlist/",
        f"/staff/schedule/waitlist/add/{patient.public_id}/",
    ):
        page.goto(live_server.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        wide = page.evaluate(
            "Array.from(document.querySelectorAll('body *')).filter(e => "
            "e.getBoundingClientRect().right > 361).slice(0, 5).map(e => e.tagName + '.' + "
            "e.className + ' ' + Math.round(e.getBoundingClientRect().right))"
        )
        assert width <= 360, (path, width, wide)


def _next_weekday():
    from datetime import timedelta

    from django.utils import timezone

    day = timezone.localdate() + timedelta(days=1)
    while day.isoweekday() > 5:
        day += timedelta(days=1)
    return day


def test_the_move_panel_and_the_printed_confirmation_fit_a_narrow_screen_and_pass_axe(
    desk_page, live_server, kyiv, users
):
    from datetime import datetime, time

    from django.utils import timezone
    from playwright.sync_api import expect

    from clinic.scheduling import services

    patient = make_patient(kyiv, "K-0011", family_name="Довгопрізвищенко-Ковальчук")
    day = _next_weekday()
    appointment = services.book_appointment(
        patient,
        visit_type=VisitType.objects.get(code="ketamine_infusion"),
        site=kyiv,
        starts_at=timezone.make_aware(datetime.combine(day, time(10))),
        practitioner=users[(Role.NURSE, "kyiv")],
        room=kyiv.rooms.filter(kind="infusion_chair").first(),
        actor=users[(Role.RECEPTIONIST, "kyiv")],
    )
    page = desk_page("uk")
    problems = []
    page.goto(f"{live_server.url}/staff/schedule/?date={day.isoformat()}")
    page.click(f"a.move-link[href*='/appointments/{appointment.public_id}/move/']")
    expect(page.locator("#cell-panel .move-panel button.slot").first).to_be_visible()
    check_axe(page, problems)
    page.set_viewport_size({"width": 360, "height": 740})
    for path in (
        f"/staff/schedule/appointments/{appointment.public_id}/move/?board={day.isoformat()}",
        f"/staff/schedule/appointments/{appointment.public_id}/confirmation/",
    ):
        page.goto(live_server.url + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
        check_axe(page, problems)
    assert problems == []
