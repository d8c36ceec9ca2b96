"""The physician's flow through the record in Chromium: registration, intake, three trials,
TRD status and stage with reasons, pseudo-resistance, an ineligible hypertensive patient; in
Ukrainian and then English; axe-core on the pages on a wide and a narrow screen."""

from datetime import timedelta
from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.db import connections
from django.utils import timezone

from clinic.accounts.roles import Role
from clinic.conftest import IN_CI, current_totp_code, make_user
from clinic.core.tests.test_browser import CHROMIUM_ARGS, PASSWORD
from clinic.patients.models import Patient

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[3] / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture
def chromium(chromium_path, monkeypatch):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        connections.close_all()


def sign_in(page, live_server, user, secret):
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_login", user.email)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/accounts/2fa/authenticate/")
    page.fill("input[name=code]", current_totp_code(secret))
    page.click("main button[type=submit]")
    page.wait_for_url("**/staff/")


def add_trial(page, drug, dose, start, stop, improvement):
    page.click("#add-trial")
    page.select_option("#id_drug", label=drug)
    page.fill("#id_daily_dose_mg", str(dose))
    page.fill("#id_started_on", start.isoformat())
    page.fill("#id_stopped_on", stop.isoformat())
    page.select_option("#id_adherence", "good")
    page.fill("#id_improvement_pct", str(improvement))
    page.select_option("#id_stop_reason", "ineffective")
    page.click("main form button[type=submit]")
    page.wait_for_selector("#trd-status")


def axe_violations(page):
    if not AXE.exists():
        if IN_CI:
            pytest.fail("axe-core is missing (npm ci)")
        return []
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [(v["id"], v["nodes"][0]["target"]) for v in result["violations"]]


def test_physician_assesses_trd_and_screens_for_ketamine_in_both_languages(
    chromium, live_server, kyiv
):
    from playwright.sync_api import expect

    physician = make_user("doctor@test.clinic", roles=[Role.PHYSICIAN], sites=[kyiv], totp=False)
    secret = generate_totp_secret()
    TOTP.activate(physician, secret)
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, live_server, physician, secret)

    # Registration.
    page.goto(live_server.url + "/staff/patients/")
    page.click("text=Зареєструвати пацієнта")
    page.fill("#id_family_name", "Іваненко")
    page.fill("#id_given_name", "Марія")
    page.fill("#id_birth_date", "1985-04-12")
    page.select_option("#id_sex", "female")
    page.fill("#id_phone", "067 765 43 21")
    page.click("main form button[type=submit]")
    page.wait_for_selector("#trd-status")
    expect(page.locator("h1")).to_have_text("Іваненко Марія")
    expect(page.locator("#trd-status")).to_have_text("недостатньо даних")

    # Intake: a severe current episode of 20 months.
    today = timezone.localdate()
    page.click("text=Внести первинний огляд")
    page.check("#id_condition_trd")
    page.fill("#id_episode_onset", (today - timedelta(days=610)).isoformat())
    page.fill("#id_episode_count", "2")
    page.select_option("#id_severity", "severe")
    page.check("#id_no_known_allergies")
    page.click("main form button[type=submit]")
    page.wait_for_selector("#trd-status")

    # Weight and a blood pressure above 180/100.
    page.click("text=Внести масу тіла або тиск")
    page.fill("#id_weight_kg", "68.4")
    page.fill("#id_systolic", "188")
    page.fill("#id_diastolic", "106")
    page.click("main form button[type=submit]")
    page.wait_for_selector("#trd-status")

    # Three trials: two adequate failures (SSRI, SNRI), one below the minimum dose.
    start = today - timedelta(days=500)
    add_trial(page, "Сертралін", 150, start, start + timedelta(weeks=8), 10)
    start += timedelta(weeks=10)
    add_trial(page, "Венлафаксин", 225, start, start + timedelta(weeks=10), 15)
    start += timedelta(weeks=12)
    add_trial(page, "Амітриптилін", 25, start, start + timedelta(weeks=8), 5)

    expect(page.locator("#trd-status")).to_have_text("так")
    expect(page.locator("#thase-rush")).to_have_text("II")
    expect(page.locator("#maudsley")).to_have_text("7 (помірна резистентність)")
    expect(page.locator("#trd-explanation")).to_contain_text("Сертралін, Венлафаксин")
    expect(page.locator("#trd-explanation")).to_contain_text("Амітриптилін")
    expect(page.locator("#pseudo-resistance")).to_contain_text(
        "25 мг/добу — нижче мінімуму 150 мг/добу"
    )
    expect(page.locator("#risk-flags")).to_contain_text("жінка")
    expect(page.locator("#screen-findings")).to_contain_text("неконтрольована гіпертензія")
    expect(page.locator("#screen-findings")).to_contain_text("188/106")

    # The physician decides: not eligible, with the reason.
    page.click("text=Ухвалити рішення")
    page.check("input[name=is_eligible][value=no]")
    page.fill("#id_reasons", "АТ 188/106 у спокої: спершу корекція гіпертензії")
    page.click("main form button[type=submit]")
    page.wait_for_selector("#eligibility-decision")
    expect(page.locator("#eligibility")).to_have_text("не дозволено")
    expect(page.locator("#ketamine")).to_contain_text("спершу корекція гіпертензії")

    # The same chart in English.
    page.click("header button[lang=en]")
    page.wait_for_selector("html[lang=en]")
    expect(page.locator("#trd-status")).to_have_text("yes")
    expect(page.locator("#resistance")).to_contain_text("Treatment-resistant depression: yes")
    expect(page.locator("#trd-explanation")).to_contain_text("Sertraline, Venlafaxine")
    expect(page.locator("#pseudo-resistance")).to_contain_text(
        "25 mg/day is below the minimum of 150 mg/day"
    )
    expect(page.locator("#screen-findings")).to_contain_text("uncontrolled hypertension")
    expect(page.locator("#eligibility")).to_have_text("not eligible")

    # Narrow screen: the chart still reads, and the pages pass axe (injecting axe needs a
    # context that bypasses the CSP; the session is the same).
    patient = Patient.objects.get()
    cookies = context.cookies()
    context.close()
    context = chromium.new_context(bypass_csp=True, viewport={"width": 360, "height": 780})
    context.add_cookies(cookies)
    page = context.new_page()
    base = f"{live_server.url}/staff/patients/{patient.public_id}/"
    problems, too_wide = {}, {}
    for path in ("", "intake/", "trials/new/", "ketamine/", "treatments/new/", "notes/new/"):
        page.goto(base + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 360:
            too_wide[path] = width
        found = axe_violations(page)
        if found:
            problems[path] = found
    page.goto(live_server.url + "/staff/patients/?q=іваненко")
    expect(page.locator("main table")).to_contain_text("Іваненко Марія")
    problems["list"] = axe_violations(page) or None
    assert {k: v for k, v in problems.items() if v} == {}
    assert too_wide == {}
    context.close()
