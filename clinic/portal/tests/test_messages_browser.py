"""On a 360 px phone: the patient writes to the care team, reception answers from its worklist
on the start page, the patient sees the reply marked new and reads it. axe-core finds no
violation on any of the pages."""

import secrets

import pytest
from django.conf import settings
from django.test import Client

from clinic.accounts.roles import Role
from clinic.assessments.tests.test_browser import run_axe
from clinic.conftest import authenticate_recently, make_patient
from clinic.core.tests.test_browser import browser  # noqa: F401
from clinic.portal import services
from clinic.portal.models import CareMessage, MessageThread, PortalSession
from clinic.website.tests.test_accessibility import axe_path  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}
QUESTION = "Чи можна отримати довідку про лікування для роботи?"
ANSWER = "Так, довідку підготуємо до наступного візиту."


def fits(page):
    return page.locator("html").evaluate("e => e.scrollWidth") <= 360


@pytest.fixture
def portal_page(browser, live_server, kyiv, users):  # noqa: F811
    kyiv.crisis_line = "7333"
    kyiv.save()
    patient = make_patient(kyiv, "K-0001", phone="+380501112233", given_name="Олена")
    account = services.invite_patient(patient, actor=users[(Role.RECEPTIONIST, "kyiv")])
    key = secrets.token_urlsafe(32)
    PortalSession.objects.create(key_hash=services._key_hash(key), account=account)
    context = browser.new_context(viewport=PHONE, is_mobile=True, bypass_csp=True)
    host = live_server.url.split("//")[1].split(":")[0]
    context.add_cookies(
        [{"name": settings.PORTAL_SESSION_COOKIE, "value": key, "domain": host, "path": "/"}]
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def reception_page(browser, live_server, users):  # noqa: F811
    """Reception of Kyiv signed in on a phone (CSP bypassed only to inject axe-core)."""
    user = users[(Role.RECEPTIONIST, "kyiv")]
    client = Client()
    client.force_login(user)
    authenticate_recently(client, user)
    context = browser.new_context(viewport=PHONE, is_mobile=True, bypass_csp=True)
    host = live_server.url.split("//")[1].split(":")[0]
    cookie = client.cookies["sessionid"].value
    context.add_cookies([{"name": "sessionid", "value": cookie, "domain": host, "path": "/"}])
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_patient_writes_reception_answers_patient_reads(
    portal_page,
    reception_page,
    axe_path,  # noqa: F811
    live_server,
):
    from playwright.sync_api import expect

    problems = {}
    page = portal_page
    page.goto(live_server.url + "/uk/portal/messages/new/")
    expect(page.locator(".crisis-contacts")).to_contain_text("112")
    expect(page.locator(".crisis-contacts")).to_contain_text("7333")
    assert page.locator("input[type=file]").count() == 0
    assert fits(page)
    problems |= run_axe(page, axe_path, "new message")
    page.check("input[name=topic][value=administrative]")
    page.fill("#id_text", QUESTION)
    page.click("form.message-form button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("надіслано")
    expect(page.locator(".crisis-contacts")).to_contain_text("112")
    expect(page.locator(".care-messages")).to_contain_text(QUESTION)
    assert fits(page)
    problems |= run_axe(page, axe_path, "sent")
    thread = MessageThread.objects.get()

    reception = reception_page
    reception.goto(live_server.url + "/staff/")
    link = reception.locator(f"a[href='/staff/portal/messages/{thread.public_id}/']").first
    expect(link).to_be_visible()
    link.click()
    expect(reception.locator(".care-messages")).to_contain_text(QUESTION)
    assert fits(reception)
    problems |= run_axe(reception, axe_path, "staff thread")
    reception.fill("#id_text", ANSWER)
    reception.click("form.message-form button[type=submit]")
    expect(reception.locator(".care-messages")).to_contain_text(ANSWER)
    assert CareMessage.objects.filter(thread=thread, author__isnull=False).count() == 1
    reception.goto(live_server.url + "/staff/portal/messages/")
    expect(reception.locator("main")).to_contain_text("відповіли")
    problems |= run_axe(reception, axe_path, "staff list")

    page.goto(live_server.url + "/uk/portal/messages/")
    expect(page.locator(".portal-threads")).to_contain_text("нова відповідь")
    assert fits(page)
    problems |= run_axe(page, axe_path, "patient list")
    page.click(f"a[href$='/portal/messages/{thread.public_id}/']")
    expect(page.locator(".care-messages")).to_contain_text(ANSWER)
    problems |= run_axe(page, axe_path, "patient thread")
    assert problems == {}
