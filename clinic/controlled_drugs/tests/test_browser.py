"""The register as people click through it, in Debian's Chromium driven by Playwright."""

from decimal import Decimal
from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.db import connections
from django.test import Client
from django.utils import timezone

from clinic.accounts.roles import Role
from clinic.conftest import IN_CI, current_totp_code, make_patient, make_user
from clinic.controlled_drugs import services
from clinic.controlled_drugs.models import Holding, Kind, LedgerEntry, StockCount
from clinic.controlled_drugs.tests.factories import make_drug, make_safe, make_supplier, receive

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
AXE = Path(__file__).resolve().parents[3] / "node_modules" / "axe-core" / "axe.min.js"
# The elements that stick out of a narrow screen, to name them when the check fails.
WIDEST = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > 365)
  .filter(e => !(e.parentElement && e.parentElement.closest('.table-wrap')))
  .slice(0, 3).map(e => e.tagName + '.' + e.className + ' ' + e.textContent.slice(0, 30))"""
TEXTS = {
    "uk": {
        "received": "Оприбутковано",
        "journal": "Журнал обліку",
        "closing": "залишок на кінець періоду",
    },
    "en": {
        "received": "Received",
        "journal": "Journal of controlled drugs",
        "closing": "closing balance",
    },
}


@pytest.fixture
def browser(chromium_path, monkeypatch):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        connections.close_all()


@pytest.fixture
def open_page(browser, live_server):
    """A page whose context carries a signed-in session of `user` and a language cookie."""
    contexts = []

    def open_as(user, language, *, bypass_csp=False, width=1280):
        client = Client()
        client.force_login(user)
        context = browser.new_context(
            viewport={"width": width, "height": 900}, bypass_csp=bypass_csp
        )
        contexts.append(context)
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
        page.set_default_timeout(10_000)
        return page

    yield open_as
    for context in contexts:
        context.close()


def staff_with_secret(email, role, site):
    user = make_user(email, roles=[role], sites=[site], totp=False)
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return user, secret


@pytest.mark.parametrize("language", ["uk", "en"])
def test_receipt_witnessed_administration_count_and_journal(open_page, live_server, kyiv, language):
    from playwright.sync_api import expect

    officer, _ = staff_with_secret("officer@test.clinic", Role.DRUG_OFFICER, kyiv)
    nurse, _ = staff_with_secret("nurse@test.clinic", Role.NURSE, kyiv)
    physician, physician_secret = staff_with_secret("doctor@test.clinic", Role.PHYSICIAN, kyiv)
    drug, safe, supplier = make_drug(), make_safe(kyiv), make_supplier()
    patient = make_patient(kyiv, "K-0007", family_name="Шевченко")
    base = live_server.url + "/staff/drugs/"
    texts = TEXTS[language]

    # The drug officer receives five ampoules of a new lot.
    page = open_page(officer, language)
    page.goto(base + "receive/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.select_option("#id_safe", str(safe.pk))
    page.select_option("#id_drug", str(drug.pk))
    page.fill("#id_batch_number", "KT-2026-11")
    page.fill("#id_expires_on", "2028-06-30")
    page.fill("#id_units", "5")
    page.select_option("#id_supplier", str(supplier.pk))
    page.fill("#id_document_number", "ВН-501")
    page.fill("#id_document_date", timezone.localdate().isoformat())
    page.click("main form button[type=submit]")
    page.wait_for_url("**/staff/drugs/entries/**")
    expect(page.locator(".messages")).to_contain_text(texts["received"])
    holding = Holding.objects.get()
    assert holding.balance_mg == Decimal("500")

    # The nurse draws an ampoule, gives 35 mg and destroys the rest before the physician,
    # who signs in the same form with password and one-time code.
    nurse_page = open_page(nurse, language)
    nurse_page.goto(base + "administer/")
    nurse_page.select_option("#id_patient", str(patient.pk))
    nurse_page.select_option("#id_holding", str(holding.pk))
    nurse_page.fill("#id_drawn_mg", "100")
    nurse_page.fill("#id_administered_mg", "100")
    expect(nurse_page.locator("fieldset.witness")).to_be_hidden()  # nothing left to destroy
    nurse_page.fill("#id_administered_mg", "35")
    expect(nurse_page.locator("fieldset.witness")).to_be_visible()
    expect(nurse_page.locator("[data-residue-output]")).to_contain_text("65")
    nurse_page.fill("#id_act_number", "ЗЛ-1")
    nurse_page.fill("#id_witness_email", physician.email)
    nurse_page.fill("#id_witness_password", PASSWORD)
    nurse_page.fill("#id_witness_code", current_totp_code(physician_secret))
    nurse_page.click("main form button[type=submit]")
    nurse_page.wait_for_url("**/staff/drugs/entries/**")
    residue = LedgerEntry.objects.get(kind=Kind.RESIDUE_DESTRUCTION)
    assert (residue.quantity_mg, residue.witness, residue.actor) == (
        Decimal("65"),
        physician,
        nurse,
    )
    expect(nurse_page.locator("main")).to_contain_text("Шевченко")

    # The officer counts the safe: 400 mg expected and found.
    page.goto(base)
    page.click(f"a[href='/staff/drugs/safes/{safe.public_id}/count/']")
    page.fill(f"#id_counted_{holding.pk}", "400")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/staff/drugs/counts/**")
    line = StockCount.objects.get().lines.get()
    assert (line.expected_mg, line.counted_mg, line.adjustment) == (
        Decimal("400"),
        Decimal("400"),
        None,
    )

    # The journal shows the running balance and prints as a PDF.
    page.goto(base + "journal/")
    page.click("form.filters button[type=submit]")
    expect(page.locator("table.journal")).to_be_visible()
    balances = page.locator("table.journal tbody td.balance").all_inner_texts()
    assert [b.replace("\xa0", "").replace(",", ".") for b in balances] == [
        "0.000",
        "500.000",
        "400.000",
        "400.000",
    ]
    expect(page.locator("table.journal tfoot")).to_contain_text(texts["closing"])
    pdf_href = page.locator("a[href*='journal.pdf']").get_attribute("href")
    pdf = page.request.get(live_server.url + pdf_href)
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF-")


def test_register_pages_have_no_axe_violations_and_fit_a_narrow_screen(
    open_page, live_server, kyiv
):
    if not AXE.exists():
        if IN_CI:
            pytest.fail("axe-core is missing (npm ci); CI must run the accessibility check")
        pytest.skip("axe-core is not installed (make test runs npm ci)")
    user = make_user(
        "all-drugs@test.clinic",
        roles=[Role.DRUG_OFFICER, Role.NURSE, Role.PHYSICIAN],
        sites=[kyiv],
    )
    safe = make_safe(kyiv)
    receipt = receive(user, safe, make_drug(), units=3)
    patient = make_patient(kyiv, "K-1")
    administration = services.record_administration(
        lot=receipt.lot, patient=patient, drawn_mg=100, administered_mg=35, actor=user
    )
    today = timezone.localdate().isoformat()
    paths = [
        "",
        "receive/",
        "administer/",
        "catalogue/",
        f"journal/?site={kyiv.pk}&drug={receipt.drug_id}&start={today}&end={today}",
        f"entries/{receipt.public_id}/",
        f"entries/{administration.public_id}/",
        f"holdings/{receipt.holding.public_id}/",
        f"safes/{safe.public_id}/count/",
    ]
    problems, too_wide = {}, []
    for width in (1280, 360):
        page = open_page(user, "uk", bypass_csp=True, width=width)
        for path in paths:
            response = page.goto(f"{live_server.url}/staff/drugs/{path}")
            assert response.status == 200, path
            if width == 360:
                # Wide tables scroll inside their frame; the page itself must not.
                if page.evaluate("document.documentElement.scrollWidth") > 365:
                    too_wide.append((path, page.evaluate(WIDEST)))
                continue
            page.add_script_tag(path=str(AXE))
            result = page.evaluate(
                "async () => await axe.run(document, {resultTypes: ['violations']})"
            )
            if result["violations"]:
                problems[path] = [(v["id"], v["nodes"][0]["target"]) for v in result["violations"]]
    assert problems == {}
    assert too_wide == []
