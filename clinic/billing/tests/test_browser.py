"""The money journey in Chromium: a six-infusion package sold and paid by card, six sessions
consume it, a seventh is charged, a late cancellation is charged per policy, a refund is
registered, and the day's cash report balances to the kopeck. axe-core checks the pages."""

from datetime import date
from pathlib import Path

import pytest
import time_machine
from django.db import connections
from django.test import Client
from django.utils import timezone

from clinic.accounts.roles import Role
from clinic.billing.models import Charge, FiscalReceipt, Payment
from clinic.billing.tests.conftest import INFUSION, PACKAGE, book
from clinic.billing.tests.test_fiscal import Prro
from clinic.conftest import IN_CI, make_user
from clinic.core import outbox
from clinic.scheduling import services as scheduling
from clinic.scheduling.tests.conftest import at

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
AXE = Path(__file__).resolve().parents[3] / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture
def prro_stub(settings):
    stub = Prro([])
    settings.PRRO_URL, settings.PRRO_TOKEN = stub.url, "test-token"
    settings.MESSAGE_GATEWAY_ALLOW_LOOPBACK_HTTP = True
    settings.PRRO_TIMEOUT_SECONDS = 2
    yield stub
    stub.stop()


@pytest.fixture
def cashier_page(chromium_path, live_server, monkeypatch, kyiv):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    cashier = make_user("till@test.clinic", roles=[Role.CASHIER], sites=[kyiv])
    client = Client()
    client.force_login(cashier)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)

        def open_page(language, width=1280):
            context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
            host = live_server.url.split("//")[1].split(":")[0]
            context.add_cookies(
                [
                    {"name": "sessionid", "value": client.cookies["sessionid"].value,
                     "domain": host, "path": "/"},
                    {"name": "django_language", "value": language, "domain": host, "path": "/"},
                ]
            )  # fmt: skip
            page = context.new_page()
            page.set_default_timeout(15_000)
            return page

        yield cashier, open_page
        browser.close()
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


def fits_360(page):
    return page.evaluate("() => document.documentElement.scrollWidth <= 360")


def sessions_and_a_late_cancellation(patient, infusion, users, clinic, reception):
    """Seven infusions completed and one visit cancelled two hours before it (in March)."""
    for day in (3, 4, 5, 6, 9, 10, 11):
        with time_machine.travel(at(day, 8), tick=False):
            visit = book(patient, infusion, at(day, 10), users, clinic, reception)
        with time_machine.travel(at(day, 10), tick=False):
            scheduling.check_in_appointment(visit, actor=reception)
            scheduling.complete_appointment(visit, actor=reception)
    with time_machine.travel(at(12, 8), tick=False):
        late = book(patient, infusion, at(12, 10), users, clinic, reception)
        scheduling.cancel_appointment(late, reason="застрягла в дорозі", actor=reception)
    return late


@pytest.mark.parametrize("language", ["uk", "en"])
def test_a_package_is_sold_used_and_refunded_and_the_day_balances(
    cashier_page, live_server, infusions, patient, users, clinic, reception, prro_stub, language
):
    from playwright.sync_api import expect

    cashier, open_page = cashier_page
    page = open_page(language)
    problems = []
    base = f"{live_server.url}/staff/billing"

    # The till opens with 500,00 in the drawer.
    page.goto(f"{base}/cash/")
    page.fill("#open-till input[name=amount]", "500")
    page.click("#open-till button[type=submit]")
    expect(page.locator("#close-till")).to_be_visible()

    # The package is sold and paid by card.
    page.goto(f"{base}/patients/{patient.public_id}/")
    check_axe(page, problems)
    page.select_option("#sell-package select[name=package]", str(infusions.pk))
    page.click("#sell-package button[type=submit]")
    expect(page.locator("#packages")).to_contain_text("0")
    page.select_option("#take-payment select[name=method]", "card")
    page.fill("#take-payment input[name=amount]", "36 000")
    page.click("#take-payment button[type=submit]")
    expect(page.locator("#balance")).to_have_class("notice ok")
    card = Payment.objects.get(method="card")
    assert card.amount_kopecks == PACKAGE

    # Six sessions consume it, the seventh is charged, the late cancellation costs half.
    late = sessions_and_a_late_cancellation(patient, infusions.visit_type, users, clinic, reception)
    visits = Charge.objects.filter(kind=Charge.Kind.VISIT).order_by("pk")
    assert [c.amount_kopecks for c in visits] == [0] * 6 + [INFUSION]
    fee = Charge.objects.get(appointment=late)
    assert (fee.kind, fee.amount_kopecks) == (Charge.Kind.LATE_CANCEL, INFUSION // 2)
    page.reload()
    expect(page.locator("#packages")).to_contain_text("6")
    check_axe(page, problems)

    # The patient pays the rest in cash, and 100,00 of it is refunded.
    owed = INFUSION + INFUSION // 2  # 9 750,00
    page.select_option("#take-payment select[name=method]", "cash")
    page.fill("#take-payment input[name=amount]", "9750")
    page.click("#take-payment button[type=submit]")
    expect(page.locator("#balance")).to_have_class("notice ok")
    cash = Payment.objects.get(method="cash", kind="payment")
    assert cash.amount_kopecks == owed
    page.fill("#payments tbody tr:first-child input[name=amount]", "100")
    page.fill(
        "#payments tbody tr:first-child input[name=reason]",
        "знижка" if language == "uk" else "goodwill",
    )
    page.click("#payments tbody tr:first-child button[type=submit]")
    refund = Payment.objects.get(kind="refund")
    assert (refund.amount_kopecks, refund.refund_of, refund.method) == (10000, cash, "cash")

    # The worker registers every payment and the refund once; the fiscal number is shown.
    outbox.deliver_due()
    page.reload()
    receipts = FiscalReceipt.objects.all()
    assert {r.status for r in receipts} == {"registered"} and prro_stub.registrations == 3
    expect(page.locator("#payments")).to_contain_text(refund.receipt.fiscal_number)

    # The drawer: 500,00 + 9 750,00 - 100,00 = 10 150,00, counted and closed.
    page.goto(f"{base}/cash/")
    page.fill("#close-till input[name=amount]", "10150")
    page.click("#close-till button[type=submit]")
    row = page.locator("#tills tbody tr").first
    expect(row).to_contain_text("10" + ("\u00a0" if language == "uk" else ",") + "150")
    expect(row.locator("td").last).to_have_text("0,00" if language == "uk" else "0.00")
    expect(page.locator("#net")).to_contain_text("45" if language == "uk" else "45,")
    check_axe(page, problems)

    narrow = open_page(language, width=360)
    for url in (f"{base}/cash/", f"{base}/patients/{patient.public_id}/"):
        narrow.goto(url)
        assert fits_360(narrow), url
    assert problems == []
    assert timezone.localdate() != date(2026, 3, 12)  # the money was taken today, not in March
