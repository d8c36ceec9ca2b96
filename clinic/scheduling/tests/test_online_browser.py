"""A new person books a first consultation from the public home page on a phone, without
JavaScript, in Ukrainian and in English; the booking lands in reception's worklist.
axe-core checks every page on the way."""

import re
from datetime import timedelta

import pytest
from django.db import connections
from django.test import Client
from django.utils import timezone

from clinic.accounts.roles import Role
from clinic.core.models import OutboxMessage
from clinic.inquiries.models import ConsentText
from clinic.patients.models import Patient
from clinic.scheduling.models import Appointment, OnlineBooking, VisitType
from clinic.scheduling.tests.test_browser import CHROMIUM_ARGS, check_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True}
WORDS = {
    "uk": {"book": "Записатися на консультацію", "booked": "Вас записано на консультацію"},
    "en": {"book": "Book a consultation", "booked": "Your consultation is booked"},
}


def fits_the_phone(page):
    assert page.locator("html").evaluate("e => e.scrollWidth") <= 360, page.url


@pytest.mark.parametrize("language", ["uk", "en"])
def test_a_new_person_books_online_on_a_phone_and_reception_sees_it(
    chromium_path, live_server, monkeypatch, clinic, kyiv, users, language
):
    from playwright.sync_api import expect, sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    # The transactional tests flush what the migration wrote: the consent text in force.
    ConsentText.objects.update_or_create(
        version=1,
        defaults={
            "text_uk": "Згода на обробку персональних даних.",
            "text_en": "Consent to personal-data processing.",
            "effective_from": timezone.now() - timedelta(days=1),
        },
    )
    words = WORDS[language]
    consultation = VisitType.objects.get(code="first_consultation")
    staff = Client()
    staff.force_login(users[(Role.RECEPTIONIST, "kyiv")])
    host = live_server.url.split("//")[1].split(":")[0]
    problems = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        visitor = browser.new_context(java_script_enabled=False, **PHONE)
        page = visitor.new_page()
        page.set_default_timeout(15_000)
        # axe needs scripts: a second context with the visitor's cookies reads the same pages.
        checker = browser.new_context(bypass_csp=True, **PHONE)
        axe_page = checker.new_page()

        def check(url):
            checker.add_cookies(visitor.cookies())
            axe_page.goto(url)
            check_axe(axe_page, problems)

        page.goto(f"{live_server.url}/{language}/")
        page.locator("main a.button", has_text=words["book"]).first.click()
        page.select_option("#id_site", str(kyiv.pk))
        page.select_option("#id_visit_type", str(consultation.pk))
        page.locator("main form[method=get] button[type=submit]").click()
        fits_the_phone(page)
        check(page.url)
        page.locator("button.slot").first.click()
        page.wait_for_url(re.compile(r"/[0-9a-f-]{36}/$"))
        fits_the_phone(page)
        check(page.url)

        page.fill("#id_family_name", "Шевчук")
        page.fill("#id_given_name", "Ірина")
        page.fill("#id_birth_date", "1991-04-12")
        page.fill("#id_phone", "067 123 45 67")
        page.check("#id_consent")
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(re.compile(r"/[0-9a-f-]{36}/(code|kod)/$"))
        fits_the_phone(page)
        check(page.url)

        message = OutboxMessage.objects.get(channel="sms", recipient="+380671234567")
        code = re.search(r"\b(\d{6})\b", message.body).group(1)
        page.fill("#id_code", code)
        page.locator("main form button[type=submit]").click()
        expect(page.locator("h1")).to_have_text(words["booked"])
        fits_the_phone(page)
        check(page.url)

        booking = OnlineBooking.objects.get()
        assert booking.appointment.status == Appointment.Status.BOOKED
        assert booking.patient == Patient.objects.get(family_name="Шевчук")

        # Reception's start page lists the booking to call back.
        desk = browser.new_context(bypass_csp=True, **PHONE)
        desk.add_cookies(
            [
                {
                    "name": "sessionid",
                    "value": staff.cookies["sessionid"].value,
                    "domain": host,
                    "path": "/",
                },
                {"name": "django_language", "value": language, "domain": host, "path": "/"},
            ]
        )
        board = desk.new_page()
        board.goto(f"{live_server.url}/staff/")
        # The call-back list, not today's arrivals, where an early slot today also lists her.
        call_back = board.locator("[data-worklist=online_bookings]")
        expect(call_back).to_contain_text("Шевчук Ірина")
        fits_the_phone(board)
        check_axe(board, problems)
        # The visit's page says it was booked online; reception marks the call back.
        call_back.locator("a", has_text="Шевчук Ірина").first.click()
        board.wait_for_url("**/appointments/**")
        check_axe(board, problems)
        board.locator("#online-title ~ form button[type=submit]").click()
        board.wait_for_url("**/appointments/**")
        board.goto(f"{live_server.url}/staff/")
        expect(call_back).to_be_visible()
        expect(call_back).not_to_contain_text("Шевчук Ірина")
        browser.close()
    connections.close_all()
    assert OnlineBooking.objects.get().called_back_at is not None
    assert problems == []
