import csv
import io
import re
import zlib
from datetime import date
from decimal import Decimal

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import decrypt
from django.template.loader import render_to_string
from django.urls import reverse
from weasyprint import HTML

from clinic.accounts.roles import Role
from clinic.conftest import current_totp_code, make_patient
from clinic.controlled_drugs import services
from clinic.controlled_drugs.models import (
    Drug,
    Holding,
    Kind,
    LedgerEntry,
    Safe,
    StockCount,
    Supplier,
)
from clinic.controlled_drugs.selectors import journal
from clinic.controlled_drugs.tests.factories import make_supplier, receive
from clinic.controlled_drugs.views import JOURNAL_PDF_TEMPLATE
from clinic.core.models import AuditEvent

pytestmark = pytest.mark.django_db
D = Decimal
PASSWORD = "correct horse battery"


def totp_code(user) -> str:
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    return current_totp_code(decrypt(authenticator.data["secret"]))


def witness_fields(user, *, password=PASSWORD, code=None):
    return {
        "witness_email": user.email,
        "witness_password": password,
        "witness_code": code if code is not None else totp_code(user),
    }


@pytest.fixture
def patient(kyiv):
    return make_patient(kyiv, "K-1")


def url(name, *args):
    return reverse(f"controlled_drugs:{name}", args=args)


def test_the_officer_receives_a_lot_through_the_form(client, officer, safe, drug):
    client.force_login(officer)
    response = client.post(
        url("receive"),
        {
            "safe": safe.pk,
            "drug": drug.pk,
            "batch_number": "KT-77",
            "expires_on": "2028-01-31",
            "units": "10",
            "supplier": make_supplier().pk,
            "document_number": "ВН-1",
            "document_date": "2026-11-30",
        },
    )
    entry = LedgerEntry.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("entry_detail", entry.public_id)
    assert (entry.kind, entry.quantity_mg, entry.lot.batch_number) == (
        Kind.RECEIPT,
        D("1000"),
        "KT-77",
    )


@pytest.mark.parametrize(
    "change",
    [
        {"units": "99999999999999999999"},
        {"units": "-1"},
        {"batch_number": "KT\x00-1"},
        {"expires_on": "2028-02-30"},
        {"safe": "999999"},
        {"drug": "not-a-number"},
        {"document_date": "2099-01-01"},
    ],
)
def test_bad_receipt_input_gets_a_message_and_writes_nothing(client, officer, safe, drug, change):
    client.force_login(officer)
    data = {
        "safe": safe.pk,
        "drug": drug.pk,
        "batch_number": "KT-77",
        "expires_on": "2028-01-31",
        "units": "10",
        "supplier": make_supplier().pk,
        "document_number": "ВН-1",
        "document_date": "2026-11-30",
    }
    data.update(change)
    response = client.post(url("receive"), data)
    assert response.status_code == 200
    assert b'class="error"' in response.content
    assert LedgerEntry.objects.count() == 0


def test_the_nurse_administers_with_residue_destroyed_before_a_witness(
    client, nurse, physician, holding, patient
):
    client.force_login(nurse)
    response = client.post(
        url("administer"),
        {
            "patient": patient.pk,
            "holding": holding.pk,
            "drawn_mg": "100",
            "administered_mg": "35",
            "act_number": "А-1",
            **witness_fields(physician),
        },
    )
    assert response.status_code == 302
    administration = LedgerEntry.objects.get(kind=Kind.ADMINISTRATION)
    residue = LedgerEntry.objects.get(kind=Kind.RESIDUE_DESTRUCTION)
    assert residue.administration == administration
    assert (residue.quantity_mg, residue.witness, residue.actor) == (D("65"), physician, nurse)


@pytest.mark.parametrize("failure", ["password", "code", "self"])
def test_a_failed_witness_sign_in_is_audited_and_writes_no_entry(
    client, nurse, physician, holding, patient, failure
):
    client.force_login(nurse)
    witness = nurse if failure == "self" else physician
    fields = witness_fields(
        witness,
        password="wrong" if failure == "password" else PASSWORD,
        code="000000" if failure == "code" else None,
    )
    response = client.post(
        url("administer"),
        {
            "patient": patient.pk,
            "holding": holding.pk,
            "drawn_mg": "100",
            "administered_mg": "35",
            **fields,
        },
    )
    assert response.status_code == 200
    assert b'role="alert"' in response.content
    assert LedgerEntry.objects.count() == 1  # the receipt
    assert Holding.objects.get().balance_mg == D("500")
    refusal = AuditEvent.objects.get(action="drugs.witness.refused")
    assert refusal.outcome == AuditEvent.Outcome.FAILED
    assert refusal.actor_id == nurse.pk


def test_a_full_dose_needs_no_witness(client, nurse, holding, patient):
    client.force_login(nurse)
    response = client.post(
        url("administer"),
        {"patient": patient.pk, "holding": holding.pk, "drawn_mg": "100", "administered_mg": "100"},
    )
    assert response.status_code == 302
    assert LedgerEntry.objects.filter(kind=Kind.ADMINISTRATION).count() == 1
    assert not LedgerEntry.objects.filter(kind=Kind.RESIDUE_DESTRUCTION).exists()


def test_a_residue_is_destroyed_later_from_the_entry_page(client, nurse, physician, lot, patient):
    administration = services.record_administration(
        lot=lot, patient=patient, drawn_mg=D("100"), administered_mg=D("40"), actor=nurse
    )
    client.force_login(nurse)
    page = client.get(url("entry_detail", administration.public_id))
    assert page.status_code == 200
    assert "60" in page.content.decode()
    response = client.post(
        url("destroy_residue", administration.public_id),
        {"quantity_mg": "60", **witness_fields(physician)},
    )
    assert response.status_code == 302
    assert LedgerEntry.objects.get(kind=Kind.RESIDUE_DESTRUCTION).quantity_mg == D("60")


def test_the_officer_reverses_an_entry_with_a_witness(client, officer, physician, receipt):
    client.force_login(officer)
    response = client.post(
        url("reverse", receipt.public_id), {"reason": "wrong lot", **witness_fields(physician)}
    )
    assert response.status_code == 302
    assert LedgerEntry.objects.get(kind=Kind.REVERSAL).reverses == receipt


def test_a_count_with_a_discrepancy_through_the_form(client, officer, physician, safe, holding):
    client.force_login(officer)
    page = client.get(url("count", safe.public_id))
    assert page.status_code == 200
    response = client.post(
        url("count", safe.public_id),
        {
            f"counted_{holding.pk}": "400",
            f"explanation_{holding.pk}": "ampoule broken",
            f"seen_{holding.pk}": holding.last_seq,
            **witness_fields(physician),
        },
    )
    count = StockCount.objects.get()
    assert response.status_code == 302
    line = count.lines.get()
    assert line.adjustment.change_mg == D("-100")
    detail = client.get(url("count_detail", count.public_id))
    assert detail.status_code == 200
    resolved = client.post(url("resolve", count.public_id, line.pk), {"text": "act no. 3"})
    assert resolved.status_code == 302
    assert count.lines.get().resolution.text == "act no. 3"


def test_a_count_without_discrepancy_needs_no_witness(client, officer, safe, holding):
    client.force_login(officer)
    response = client.post(
        url("count", safe.public_id),
        {f"counted_{holding.pk}": "500", f"seen_{holding.pk}": holding.last_seq},
    )
    assert response.status_code == 302
    assert StockCount.objects.get().witness is None


def test_another_sites_objects_answer_404_and_are_audited(client, users, holding, receipt, safe):
    lviv_officer = users[(Role.DRUG_OFFICER, "lviv")]
    client.force_login(lviv_officer)
    for address in (
        url("entry_detail", receipt.public_id),
        url("holding_detail", holding.public_id),
        url("count", safe.public_id),
    ):
        assert client.get(address).status_code == 404
    assert (
        AuditEvent.objects.filter(
            action="drugs.access.denied", actor=lviv_officer, outcome=AuditEvent.Outcome.DENIED
        ).count()
        == 3
    )


def test_the_lviv_nurse_cannot_pick_a_kyiv_patient_or_lot(client, users, holding, patient):
    client.force_login(users[(Role.NURSE, "lviv")])
    response = client.post(
        url("administer"),
        {"patient": patient.pk, "holding": holding.pk, "drawn_mg": "35", "administered_mg": "35"},
    )
    assert response.status_code == 200
    assert LedgerEntry.objects.count() == 1


def test_the_journal_shows_the_running_balance(client, officer, nurse, lot, patient):
    services.record_administration(
        lot=lot, patient=patient, drawn_mg=D("100"), administered_mg=D("100"), actor=nurse
    )
    client.force_login(officer)
    today = date.today().isoformat()
    query = {"site": lot.site_id, "drug": lot.drug_id, "start": today, "end": today}
    response = client.get(url("journal"), query)
    assert response.status_code == 200
    register = response.context["journal"]
    assert [row.balance_mg for row in register.rows] == [D("500"), D("400")]
    assert register.closing_mg == D("400")
    assert AuditEvent.objects.filter(action="drugs.journal.viewed").count() == 1


def test_the_journal_refuses_a_reversed_period_with_a_message(client, officer, lot):
    client.force_login(officer)
    response = client.get(
        url("journal"),
        {"site": lot.site_id, "drug": lot.drug_id, "start": "2026-12-01", "end": "2026-11-01"},
    )
    assert response.status_code == 400
    assert "journal" not in response.context or response.context["journal"] is None


def pdf_page_count(pdf: bytes) -> int:
    """The /Count of the page tree, looked for in the PDF's (compressed) object streams."""
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            data = zlib.decompress(match.group(1))
        except zlib.error:
            continue
        found = re.search(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", data)
        if found:
            return int(found.group(1))
    raise AssertionError("no page tree found in the PDF")


def test_the_journal_pdf_renders_with_the_balances(client, officer, nurse, lot, safe, patient):
    receive(officer, safe, lot.drug, units=40)  # the same lot: 4500 mg in all
    for _ in range(40):  # enough lines for a second page
        services.record_administration(
            lot=lot, patient=patient, drawn_mg=D("100"), administered_mg=D("100"), actor=nurse
        )
    client.force_login(officer)
    today = date.today()
    query = {"site": lot.site_id, "drug": lot.drug_id, "start": today, "end": today}
    response = client.get(url("journal_pdf"), query)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    # No PDF text extractor is installed: check the HTML the PDF is made from, and its pages.
    register = journal(site=lot.site, drug=lot.drug, start=today, end=today)
    html = render_to_string(JOURNAL_PDF_TEMPLATE, {"journal": register})
    balances = re.findall(r'class="num balance[^"]*">([^<]+)<', html)
    assert [b.replace(",", ".") for b in balances[:4]] == [
        "0.000",
        "500.000",
        "4500.000",
        "4400.000",
    ]
    assert balances[-1].replace(",", ".") == "500.000"
    assert "K-1" in html
    pages = pdf_page_count(response.content)
    assert pages >= 2
    assert pages == len(HTML(string=html).render().pages)


def test_a_pdf_of_more_than_a_month_is_refused_with_a_message(client, officer, lot):
    client.force_login(officer)
    query = {"site": lot.site_id, "drug": lot.drug_id, "start": "2026-01-01", "end": "2026-03-31"}
    response = client.get(url("journal_pdf"), query, follow=True)
    assert response.redirect_chain[-1][0].startswith(url("journal"))
    assert list(response.context["messages"])


def test_the_journal_csv_holds_every_movement(client, officer, nurse, lot, patient):
    services.record_administration(
        lot=lot, patient=patient, drawn_mg=D("100"), administered_mg=D("100"), actor=nurse
    )
    client.force_login(officer)
    today = date.today().isoformat()
    query = {"site": lot.site_id, "drug": lot.drug_id, "start": today, "end": today}
    response = client.get(url("journal_csv"), query)
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert response.status_code == 200
    assert len(rows) == 1 + 1 + 2 + 1  # header, opening, two movements, closing
    assert rows[-1][-2:] == ["400,000", ""]


def test_the_catalogue_adds_a_drug_a_safe_and_a_supplier(client, officer, kyiv):
    client.force_login(officer)
    client.post(
        url("catalogue"),
        {
            "form": "drug",
            "drug-code": "esketamine",
            "drug-inn": "Esketamine",
            "drug-dosage_form": "nasal_spray",
            "drug-unit_content_mg": "28",
            "drug-unit_of_account": "device",
        },
    )
    client.post(url("catalogue"), {"form": "safe", "safe-name": "Сейф 2"})
    client.post(url("catalogue"), {"form": "supplier", "supplier-name": "ТОВ «Оптима»"})
    assert Drug.objects.filter(code="esketamine", unit_content_mg=D("28")).exists()
    assert Safe.objects.filter(site=kyiv, name="Сейф 2").exists()
    assert Supplier.objects.filter(name="ТОВ «Оптима»").exists()


def test_every_page_renders_for_its_roles(client, officer, nurse, physician, safe, holding):
    client.force_login(officer)
    for name in ("overview", "receive", "catalogue", "journal"):
        assert client.get(url(name)).status_code == 200, name
    assert client.get(url("holding_detail", holding.public_id)).status_code == 200
    for user in (nurse, physician):
        client.force_login(user)
        assert client.get(url("overview")).status_code == 200
        assert client.get(url("administer")).status_code == 200
        assert client.get(url("receive")).status_code == 403


def _fill(officer, nurse, kyiv, n, start=0):
    safe = Safe.objects.get_or_create(site=kyiv, name="Сейф 1")[0]
    drug = Drug.objects.first()
    for i in range(start, start + n):
        receipt = receive(officer, safe, drug, units=3, batch=f"Q-{i}")
        patient = make_patient(kyiv, f"Q-{i}")
        services.record_administration(
            lot=receipt.lot,
            patient=patient,
            drawn_mg=D("100"),
            administered_mg=D("50"),
            actor=nurse,
        )


@pytest.mark.parametrize("name", ["overview", "journal"])
def test_register_pages_query_count_does_not_grow(
    client, officer, nurse, kyiv, drug, name, django_assert_max_num_queries
):
    client.force_login(officer)
    today = date.today().isoformat()
    query = {"site": kyiv.pk, "drug": drug.pk, "start": today, "end": today}
    _fill(officer, nurse, kyiv, 2)
    with django_assert_max_num_queries(40) as few:
        client.get(url(name), query)
    _fill(officer, nurse, kyiv, 8, start=2)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url(name), query)


def test_holding_page_query_count_does_not_grow(
    client, officer, nurse, kyiv, holding, lot, django_assert_max_num_queries
):
    client.force_login(officer)
    patient = make_patient(kyiv, "Q-1")

    def administer(n):
        for _ in range(n):
            services.record_administration(
                lot=lot, patient=patient, drawn_mg=D("100"), administered_mg=D("100"), actor=nurse
            )

    receive(officer, holding.safe, lot.drug, units=20)  # room for twelve whole ampoules
    administer(2)
    with django_assert_max_num_queries(40) as few:
        client.get(url("holding_detail", holding.public_id))
    administer(10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url("holding_detail", holding.public_id))


def test_huge_ids_are_refused_without_an_error(client, officer, safe, drug, holding):
    client.force_login(officer)
    huge = "9" * 30
    response = client.post(
        url("receive"),
        {"safe": huge, "drug": huge, "supplier": huge, "units": "1", "batch_number": "X"},
    )
    assert response.status_code == 200
    count = services.record_count(
        safe=safe, lines=[(holding, D("500"), "", holding.last_seq)], actor=officer
    )
    response = client.post(url("resolve", count.public_id, int(huge)), {"text": "x"})
    assert response.status_code == 400
    response = client.post(
        url("count", safe.public_id),
        {f"counted_{holding.pk}": "500", f"seen_{holding.pk}": huge},
    )
    assert response.status_code == 400
    assert LedgerEntry.objects.count() == 1


def test_csv_cells_cannot_start_a_formula(client, officer, nurse, physician, lot, patient):
    services.record_administration(
        lot=lot, patient=patient, drawn_mg=D("100"), administered_mg=D("100"), actor=nurse
    )
    entry = LedgerEntry.objects.get(kind=Kind.ADMINISTRATION)
    services.reverse_entry(entry, reason='=HYPERLINK("x")', actor=officer, witness=physician)
    client.force_login(officer)
    today = date.today().isoformat()
    query = {"site": lot.site_id, "drug": lot.drug_id, "start": today, "end": today}
    response = client.get(url("journal_csv"), query)
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK" in body
    assert ";=HYPERLINK" not in body


def test_the_menu_counts_what_waits_in_the_register(client, users, nurse, officer, lot, patient):
    from clinic.controlled_drugs.selectors import attention_count

    services.record_administration(
        lot=lot, patient=patient, drawn_mg=D("100"), administered_mg=D("40"), actor=nurse
    )
    assert attention_count(nurse) == 1  # one ampoule's residue to destroy
    assert attention_count(users[(Role.NURSE, "lviv")]) == 0
    assert attention_count(officer) == 0
    client.force_login(nurse)
    assert b"nav-count" in client.get(url("overview")).content


def test_a_refused_catalogue_change_is_shown_audited_once_and_writes_nothing(
    client, officer, safe, kyiv
):
    client.force_login(officer)
    client.cookies["django_language"] = "en"
    before = AuditEvent.objects.count()
    response = client.post(url("catalogue"), {"form": "safe", "safe-name": safe.name})
    assert response.status_code == 400
    assert Safe.objects.count() == 1 and not LedgerEntry.objects.exists()
    assert AuditEvent.objects.count() == before + 1
    refusal = AuditEvent.objects.get(outcome=AuditEvent.Outcome.DENIED)
    assert refusal.action == "drugs.refused" and refusal.actor == officer
    assert refusal.site == kyiv
    assert refusal.reason == "This site already has a safe with this name."
    assert refusal.reason in response.content.decode()
