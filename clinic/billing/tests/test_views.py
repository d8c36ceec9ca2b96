"""Billing pages: who sees money, writes through the pages, refusals that write nothing."""

import pytest
from django.urls import reverse

from clinic.accounts.roles import Role
from clinic.billing import services
from clinic.billing.models import Charge, Payment, Price
from clinic.billing.tests.conftest import CONSULTATION, PACKAGE, attend, book
from clinic.core.models import AuditEvent, OutboxMessage
from clinic.scheduling.tests.conftest import at


@pytest.fixture
def sold(infusions, patient, cashier):
    services.sell_package(patient, infusions, actor=cashier)
    return patient


def signed_in(client, users, role, site="kyiv"):
    client.force_login(users[(role, site)])
    return client


def test_a_cashier_takes_a_card_payment_from_the_account_page(client, users, sold):
    signed_in(client, users, Role.CASHIER)
    url = reverse("billing:account", args=[sold.public_id])
    page = client.get(url)
    assert page.status_code == 200 and "36" in page.content.decode()
    assert AuditEvent.objects.filter(action="billing.account.viewed", patient=sold).exists()
    response = client.post(
        reverse("billing:take_payment", args=[sold.public_id]),
        {"method": "card", "amount": "36 000,00"},
    )
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert (payment.amount_kopecks, payment.cashier) == (PACKAGE, users[(Role.CASHIER, "kyiv")])
    assert payment.receipt.status == "pending"


def test_a_refused_refund_shows_why_and_writes_nothing_but_its_audit(client, users, sold, kyiv):
    cashier = users[(Role.CASHIER, "kyiv")]
    payment = services.take_payment(
        sold, site=kyiv, method="cash", amount_kopecks=1000, actor=cashier
    )
    signed_in(client, users, Role.CASHIER)
    response = client.post(
        reverse("billing:refund", args=[payment.public_id]),
        {"amount": "20", "reason": "too much"},
        follow=True,
    )
    assert "не більше за залишок оплати" in response.content.decode()
    assert Payment.objects.count() == 1
    denied = AuditEvent.objects.get(outcome=AuditEvent.Outcome.DENIED)
    assert denied.action == "billing.refused"


def test_a_malformed_amount_is_refused_and_nothing_is_written(client, users, sold):
    signed_in(client, users, Role.RECEPTIONIST)
    client.post(
        reverse("billing:take_payment", args=[sold.public_id]),
        {"method": "cash", "amount": "12.345"},
    )
    assert not Payment.objects.exists()


@pytest.mark.parametrize("role", [Role.CASHIER, Role.RECEPTIONIST, Role.NURSE])
def test_only_the_administrator_edits_prices(client, users, priced, role):
    before = Price.objects.count()
    signed_in(client, users, role)
    data = {"visit_type": priced["follow_up"].pk, "amount": "1", "vat": "exempt",
            "valid_from": "2026-04-01", "session_kind": ""}  # fmt: skip
    assert client.post(reverse("billing:set_price"), data).status_code == 403
    assert Price.objects.count() == before
    signed_in(client, users, Role.ADMINISTRATOR)
    assert client.post(reverse("billing:set_price"), data).status_code == 302
    assert Price.objects.count() == before + 1


def test_the_administrator_sets_a_session_kinds_price_from_the_list(client, users, priced):
    signed_in(client, users, Role.ADMINISTRATOR)
    data = {"visit_type": priced["tes_session"].pk, "amount": "1 100", "vat": "exempt",
            "valid_from": "2026-04-01", "session_kind": "tacs"}  # fmt: skip
    assert client.post(reverse("billing:set_price"), data).status_code == 302
    price = Price.objects.get(visit_type=priced["tes_session"])
    assert (price.session_kind, price.amount_kopecks) == ("tacs", 110000)
    page = client.get(reverse("billing:prices"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "tACS" in page
    before = Price.objects.count()
    client.post(reverse("billing:set_price"), {**data, "session_kind": "reiki"})
    assert Price.objects.count() == before


def test_clinical_staff_see_no_balance_unless_the_site_enables_it(client, users, sold, kyiv):
    url = reverse("billing:account", args=[sold.public_id])
    for role in (Role.NURSE, Role.PHYSICIAN, Role.PSYCHOTHERAPIST):
        assert signed_in(client, users, role).get(url).status_code == 403
    services.save_site_billing(
        kyiv, clinical_staff_see_balances=True, actor=users[(Role.ADMINISTRATOR, "kyiv")]
    )
    page = signed_in(client, users, Role.NURSE).get(url)
    assert page.status_code == 200
    assert reverse("billing:take_payment", args=[sold.public_id]) not in page.content.decode()
    nurse_post = client.post(
        reverse("billing:take_payment", args=[sold.public_id]), {"method": "cash", "amount": "1"}
    )
    assert nurse_post.status_code == 403 and not Payment.objects.exists()


def test_staff_of_another_site_do_not_find_the_account(client, users, sold):
    url = reverse("billing:account", args=[sold.public_id])
    assert signed_in(client, users, Role.CASHIER, "lviv").get(url).status_code == 404


def test_the_invoice_pdf_names_no_visit_details_unless_a_detailed_one_is_asked_for(
    client, users, priced, patient, clinic, reception, frozen, kyiv, monkeypatch
):
    attend(
        book(patient, priced["follow_up"], at(3, 10), users, clinic, reception), frozen, reception
    )
    invoice = services.issue_invoice(patient, site=kyiv, actor=users[(Role.CASHIER, "kyiv")])
    rendered = []
    monkeypatch.setattr(
        "clinic.billing.views.render_pdf", lambda html: rendered.append(html) or b"%PDF"
    )
    signed_in(client, users, Role.CASHIER)
    url = reverse("billing:invoice_pdf", args=[invoice.public_id])
    assert client.get(url)["Content-Type"] == "application/pdf"
    assert client.get(url + "?detailed=1").status_code == 200
    plain, detailed = rendered
    physician = users[(Role.PHYSICIAN, "kyiv")].full_name
    assert physician not in plain
    assert "03.03.2026 10:00" not in plain
    assert physician in detailed and "03.03.2026 10:00" in detailed
    printed = AuditEvent.objects.filter(action="billing.invoice.printed").order_by("pk")
    assert [event.reason for event in printed] == ["", "detailed"]
    assert invoice.number in plain


def test_the_reports_download_as_csv_for_the_administrator(client, users, sold):
    signed_in(client, users, Role.ADMINISTRATOR)
    page = client.get(reverse("billing:reports"))
    assert page.status_code == 200
    body = b"".join(client.get(reverse("billing:report_csv", args=["revenue"])).streaming_content)
    assert "36000.00" in body.decode("utf-8-sig")
    body = b"".join(
        client.get(reverse("billing:report_csv", args=["outstanding"])).streaming_content
    )
    assert "K-0001" in body.decode("utf-8-sig")
    assert client.get(reverse("billing:report_csv", args=["other"])).status_code == 404
    signed_in(client, users, Role.CASHIER)
    assert client.get(reverse("billing:reports")).status_code == 403


def test_the_cash_page_opens_and_closes_a_till_and_shows_the_difference(
    client, users, priced, patient, kyiv, frozen
):
    signed_in(client, users, Role.CASHIER)
    client.post(reverse("billing:open_till"), {"amount": "1000"})
    services.take_payment(
        patient, site=kyiv, method="cash", amount_kopecks=CONSULTATION,
        actor=users[(Role.CASHIER, "kyiv")],
    )  # fmt: skip
    client.post(reverse("billing:close_till"), {"amount": "2199"})
    page = client.get(reverse("billing:cash")).content.decode()
    assert "-1,00" in page or "−1,00" in page
    assert Charge.objects.count() == 0


def test_a_failed_receipt_is_on_the_worklist_and_retried_from_its_page(
    client, users, priced, patient, kyiv
):
    cashier = users[(Role.CASHIER, "kyiv")]
    payment = services.take_payment(
        patient, site=kyiv, method="cash", amount_kopecks=500, actor=cashier
    )
    OutboxMessage.objects.filter(pk=payment.receipt.delivery_id).update(
        status="dead", attempts=8, last_error="PRRO: timed out"
    )
    signed_in(client, users, Role.CASHIER)
    assert "PRRO: timed out" in client.get(reverse("dashboard:today")).content.decode()
    assert "PRRO: timed out" in client.get(reverse("billing:receipts")).content.decode()
    client.post(reverse("billing:retry_receipt", args=[payment.receipt.key]))
    delivery = OutboxMessage.objects.get(pk=payment.receipt.delivery_id)
    assert (delivery.status, delivery.attempts) == ("pending", 0)
    payment.receipt.refresh_from_db()
    assert payment.receipt.status == "pending" and not payment.receipt.failed


def test_the_price_list_reads_in_both_languages(client, users, priced):
    signed_in(client, users, Role.ADMINISTRATOR)
    for language, word, amount in (("uk", "Ціни", "1 200,00"), ("en", "Prices", "1,200.00")):
        client.cookies["django_language"] = language
        page = client.get(reverse("billing:prices"), HTTP_ACCEPT_LANGUAGE=language)
        text = page.content.decode().replace("\xa0", " ")
        assert word in text and amount in text


def test_the_account_and_reports_pages_read_a_fixed_number_of_queries(
    client, users, sold, kyiv, django_assert_max_num_queries
):
    cashier = users[(Role.CASHIER, "kyiv")]
    signed_in(client, users, Role.CASHIER)
    url = reverse("billing:account", args=[sold.public_id])
    client.get(url)
    with django_assert_max_num_queries(40) as few:
        client.get(url)
    for _ in range(15):
        payment = services.take_payment(
            sold, site=kyiv, method="cash", amount_kopecks=100, actor=cashier
        )
        services.refund_payment(payment, amount_kopecks=50, reason="r", actor=cashier)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)
    signed_in(client, users, Role.ADMINISTRATOR)
    client.get(reverse("billing:reports"))
    with django_assert_max_num_queries(40):
        client.get(reverse("billing:reports"))


def test_a_payment_is_allocated_to_the_invoice_chosen(client, users, sold, kyiv):
    from clinic.billing import selectors

    invoice = services.issue_invoice(sold, site=kyiv, actor=users[(Role.CASHIER, "kyiv")])
    signed_in(client, users, Role.CASHIER)
    client.post(
        reverse("billing:take_payment", args=[sold.public_id]),
        {"method": "transfer", "amount": "1000", "invoice": str(invoice.public_id)},
    )
    assert Payment.objects.get().invoice == invoice
    assert selectors.invoice_due(invoice) == PACKAGE - 100000
