"""Flows a person clicks through, in Debian's Chromium driven by Playwright."""

import pytest
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import (
    TOTP,
    generate_totp_secret,
)
from django.db import connections
from django.test import Client

from clinic.accounts.roles import Role
from clinic.conftest import authenticate_recently, current_totp_code, make_patient, make_user

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
PASSWORD = "correct horse battery"


@pytest.fixture
def browser(chromium_path, monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in the test thread; Django would otherwise
    # refuse the test's own database access as coming from async code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        # Database connections opened while Playwright's loop ran belong to that context;
        # close them here, or PostgreSQL cannot drop the test database at the end.
        connections.close_all()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def signed_in_page(browser, live_server):
    """Opens pages whose browser context carries a session of a user (second factor set up).

    Contexts are closed at the end of the test, so the live server's keep-alive connections
    (and their database connections) end before the test database is dropped.
    """
    contexts = []

    def open_page(user, viewport=None):
        client = Client()
        client.force_login(user)
        authenticate_recently(client, user)  # as signing in leaves it
        context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900})
        contexts.append(context)
        host = live_server.url.split("//")[1].split(":")[0]
        cookie = client.cookies["sessionid"].value
        context.add_cookies([{"name": "sessionid", "value": cookie, "domain": host, "path": "/"}])
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


def test_staff_member_signs_in_with_password_and_one_time_code(page, live_server, kyiv):
    from playwright.sync_api import expect

    user = make_user("doc@test.clinic", roles=[Role.PHYSICIAN], sites=[kyiv], totp=False)
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    page.goto(live_server.url + "/staff/")
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    page.fill("#id_login", user.email)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/accounts/2fa/authenticate/")
    page.fill("input[name=code]", current_totp_code(secret))
    page.click("main button[type=submit]")
    page.wait_for_url("**/staff/")
    expect(page.locator("h1")).to_contain_text("Добрий день")
    expect(page.locator("nav.mainnav a[href='/staff/patients/']")).to_be_visible()


def test_new_colleague_must_set_up_two_factor_before_any_patient_page(page, live_server, kyiv):
    from playwright.sync_api import expect

    make_patient(kyiv, "K-1", family_name="Шевченко")
    make_user("new@test.clinic", roles=[Role.NURSE], sites=[kyiv], totp=False)
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_login", "new@test.clinic")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.goto(live_server.url + "/staff/patients/")
    page.wait_for_url("**/accounts/2fa/totp/activate/**")
    assert "Шевченко" not in page.content()
    secret = page.locator("#authenticator_secret, input[name=secret]").first.input_value()
    page.fill("input[name=code]", current_totp_code(secret))
    page.click("main button[type=submit]")
    page.goto(live_server.url + "/staff/patients/")
    expect(page.locator("h1")).to_contain_text("Пацієнти")
    expect(page.locator("main")).to_contain_text("Шевченко")


def test_language_switch_shows_the_interface_in_english(signed_in_page, live_server, kyiv):
    from playwright.sync_api import expect

    user = make_user("doc@test.clinic", roles=[Role.PHYSICIAN], sites=[kyiv])
    page = signed_in_page(user)
    page.goto(live_server.url + "/staff/")
    expect(page.locator("nav.mainnav")).to_contain_text("Пацієнти")
    page.click("form.lang-switch button[value=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("nav.mainnav")).to_contain_text("Patients")
    page.click("form.lang-switch button[value=uk]")
    expect(page.locator("html")).to_have_attribute("lang", "uk")


def test_pages_fit_a_360_pixel_wide_screen(signed_in_page, live_server, kyiv, lviv):
    user = make_user(
        "lead@test.clinic", roles=[Role.ADMINISTRATOR, Role.PHYSICIAN], sites=[kyiv, lviv]
    )
    make_patient(kyiv, "K-1", family_name="Довгопрізвищенко-Ковальчук")
    page = signed_in_page(user, viewport={"width": 360, "height": 740})
    for path in (
        "/staff/",
        "/staff/audit/",
        "/staff/sites/",
        "/staff/team/",
        "/staff/patients/",
        "/staff/sites/kyiv/edit/",
        "/staff/outbox/",
    ):
        page.goto(live_server.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, (path, width)


def test_keyboard_user_reaches_content_through_skip_link(signed_in_page, live_server, kyiv):
    import re

    from playwright.sync_api import expect

    user = make_user("doc@test.clinic", roles=[Role.PHYSICIAN], sites=[kyiv])
    page = signed_in_page(user)
    page.goto(live_server.url + "/staff/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    # Following a fragment link updates the address after the key press returns; expect() waits.
    expect(page).to_have_url(re.compile(r"#main$"))


def test_the_site_switcher_changes_the_patient_list(signed_in_page, live_server, kyiv, lviv):
    from playwright.sync_api import expect

    make_patient(kyiv, "K-1", family_name="Київська")
    make_patient(lviv, "L-1", family_name="Львівська")
    user = make_user("both@test.clinic", roles=[Role.PHYSICIAN], sites=[kyiv, lviv])
    page = signed_in_page(user)
    page.goto(live_server.url + "/staff/patients/")
    expect(page.locator("main")).to_contain_text("Київська")
    # Choosing a site submits the switcher by itself (shell.js); no click on "Switch".
    page.select_option("#site-switch", str(lviv.pk))
    page.wait_for_load_state("load")
    expect(page.locator("main")).to_contain_text("Львівська")
    expect(page.locator("main")).not_to_contain_text("Київська")


def test_pages_raise_no_content_security_policy_violations(signed_in_page, live_server, kyiv):
    user = make_user("admin@test.clinic", roles=[Role.ADMINISTRATOR, Role.PHYSICIAN], sites=[kyiv])
    RecoveryCodes.activate(user)
    page = signed_in_page(user)
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    for path in (
        "/staff/",
        "/staff/audit/",
        "/staff/sites/",
        "/staff/patients/",
        "/accounts/2fa/",
        "/accounts/2fa/recovery-codes/",
        "/staff/team/new/",
    ):
        page.goto(live_server.url + path)
        assert page.url == live_server.url + path  # the page itself, not a redirect
    assert [p for p in problems if "Content Security Policy" in p or "Refused" in p] == []


@pytest.mark.parametrize(
    "language,heading,thanks",
    [("uk", "Зв'яжіться з нами", "Дякуємо"), ("en", "Contact us", "Thank you")],
)
def test_a_visitor_sends_an_inquiry_and_reception_sees_it(
    page, signed_in_page, live_server, kyiv, users, monkeypatch, language, heading, thanks
):
    from django.urls import reverse
    from django.utils import translation
    from playwright.sync_api import expect

    from clinic.inquiries.models import ConsentText

    # Transactional tests flush the data migrations' rows; the form needs a consent text.
    ConsentText.objects.get_or_create(
        version=1, defaults={"text_uk": "Згода", "text_en": "Consent"}
    )
    # A person needs a few seconds; the test waits one instead of three.
    monkeypatch.setattr("clinic.inquiries.forms.MIN_FILL_SECONDS", 1)
    with translation.override(language):
        url = live_server.url + reverse("contact:form")
    page.goto(url)
    expect(page.locator("h1")).to_have_text(heading)
    page.fill("#id_name", "Тарас Тестовий")
    page.fill("#id_phone", "12345")
    page.check("#id_consent")
    page.wait_for_timeout(1100)
    page.click("main button[type=submit]")
    expect(page.locator("#id_phone")).to_have_value("12345")
    expect(page.locator(".has-error .error").first).to_be_visible()
    page.fill("#id_phone", "067 123 45 67")
    page.check("#id_consent")
    page.wait_for_timeout(1100)
    page.click("main button[type=submit]")
    expect(page.locator("h1")).to_contain_text(thanks)

    reception = signed_in_page(users[(Role.RECEPTIONIST, "kyiv")])
    reception.goto(live_server.url + "/staff/inquiries/")
    expect(reception.locator("main table")).to_contain_text("Тарас Тестовий")
    expect(reception.locator("nav.mainnav .nav-count")).to_have_text("1 нових")
