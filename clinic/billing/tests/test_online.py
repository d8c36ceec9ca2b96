"""Online payment links against a local payment-service stub, and the service's signed
callback: a good one records one payment, anything else changes nothing."""

import json

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from clinic.accounts.roles import Role
from clinic.billing import online, selectors, services
from clinic.billing.models import FiscalReceipt, Payment, PaymentRequest
from clinic.billing.tests.conftest import PACKAGE
from clinic.core.models import AuditEvent, OutboxMessage
from clinic.core.tests.gateway_stub import GatewayStub

SECRET = "test-callback-secret"


class PaymentService(GatewayStub):
    """Answers each new reference with a link; a repeated reference gets its first link.
    `fail` answers 500 and creates nothing."""

    path = "/links"

    def __init__(self, fail=False):
        self.fail = fail
        self.requests = []
        self.links = {}
        super().__init__()

    def answer(self, headers, body):
        self.requests.append((headers, body))
        if self.fail:
            return 500, None
        key = headers["Idempotency-Key"]
        number = self.links.setdefault(key, f"L-{len(self.links) + 1}")
        return 200, {"id": number, "url": f"https://pay.example.org/{number}"}


@pytest.fixture
def provider(settings):
    started = []

    def start(fail=False):
        stub = PaymentService(fail=fail)
        settings.PAYMENT_LINK_URL = stub.url
        settings.PAYMENT_LINK_TOKEN = "test-token"
        settings.PAYMENT_LINK_SECRET = SECRET
        settings.MESSAGE_GATEWAY_ALLOW_LOOPBACK_HTTP = True
        settings.PAYMENT_LINK_TIMEOUT_SECONDS = 2
        started.append(stub)
        return stub

    yield start
    for stub in started:
        stub.stop()


@pytest.fixture
def owing(infusions, patient, cashier):
    """The patient bought the infusion package and owes its price."""
    services.sell_package(patient, infusions, actor=cashier)
    return patient


def nothing_written():
    return (
        PaymentRequest.objects.count(),
        Payment.objects.count(),
        OutboxMessage.objects.count(),
    ) == (0, 0, 0)


def test_a_link_for_the_balance_due_goes_to_the_patient(owing, cashier, kyiv, provider):
    stub = provider()
    request = services.request_online_payment(owing, site=kyiv, actor=cashier)
    assert (request.amount_kopecks, request.status) == (PACKAGE, PaymentRequest.Status.SENT)
    assert (request.provider_id, request.url) == ("L-1", "https://pay.example.org/L-1")
    headers, body = stub.requests[0]
    assert headers["Authorization"] == "Bearer test-token"
    assert headers["Idempotency-Key"] == str(request.public_id)
    assert body["amount_kopecks"] == PACKAGE and body["currency"] == "UAH"
    assert owing.record_number not in json.dumps(body)
    message = OutboxMessage.objects.get()
    assert (message.channel, message.recipient) == ("sms", str(owing.phone))
    assert "https://pay.example.org/L-1" in message.body and "36" in message.body
    assert AuditEvent.objects.filter(action="billing.payment_request.sent", patient=owing).exists()


def test_without_a_provider_a_link_is_refused_and_nothing_written(owing, cashier, kyiv, settings):
    settings.PAYMENT_LINK_URL = ""
    settings.DEBUG = True  # development too: never a pretend link
    with pytest.raises(services.BillingRefused, match="not configured"):
        services.request_online_payment(owing, site=kyiv, actor=cashier)
    assert nothing_written()


def test_a_provider_that_fails_refuses_the_link_and_nothing_is_written(
    owing, cashier, kyiv, provider
):
    provider(fail=True)
    with pytest.raises(services.BillingRefused):
        services.request_online_payment(owing, site=kyiv, actor=cashier)
    assert nothing_written()


def test_nothing_owed_and_no_amount_is_refused(patient, cashier, kyiv, provider):
    stub = provider()
    with pytest.raises(services.BillingRefused):
        services.request_online_payment(patient, site=kyiv, actor=cashier)
    assert nothing_written() and stub.requests == []


def test_a_plain_http_provider_is_refused(owing, cashier, kyiv, provider, settings):
    provider()
    settings.MESSAGE_GATEWAY_ALLOW_LOOPBACK_HTTP = False
    with pytest.raises(services.BillingRefused, match="https"):
        services.request_online_payment(owing, site=kyiv, actor=cashier)
    assert nothing_written()


# --- The callback -----------------------------------------------------------------------


def post_callback(client, data, secret=SECRET, signature=None):
    body = json.dumps(data).encode()
    headers = {}
    if signature is not None:
        headers["HTTP_X_SIGNATURE"] = signature
    elif secret:
        headers["HTTP_X_SIGNATURE"] = online.sign(body, secret)
    return client.post(
        reverse("billing:payment_request_callback"),
        body,
        content_type="application/json",
        **headers,
    )


@pytest.fixture
def sent(owing, cashier, kyiv, provider):
    provider()
    return services.request_online_payment(owing, site=kyiv, actor=cashier)


def paid(request, payment_id="P-1", amount=None):
    return {
        "id": request.provider_id,
        "status": "paid",
        "payment_id": payment_id,
        "amount_kopecks": request.amount_kopecks if amount is None else amount,
    }


def test_a_signed_paid_callback_records_one_payment_even_when_replayed(
    client, sent, settings, django_capture_on_commit_callbacks
):
    settings.PRRO_URL = ""  # the receipt waits for the PRRO like any payment's
    client.handler.enforce_csrf_checks = True  # the callback needs no CSRF token
    with django_capture_on_commit_callbacks(execute=False):
        response = post_callback(client, paid(sent))
    assert response.status_code == 200
    assert response.json() == {"id": sent.provider_id, "status": "paid"}
    sent.refresh_from_db()
    payment = Payment.objects.get()
    assert sent.status == PaymentRequest.Status.PAID and sent.payment == payment
    assert (payment.method, payment.amount_kopecks, payment.patient) == (
        "online",
        PACKAGE,
        sent.patient,
    )
    assert FiscalReceipt.objects.get().payment == payment
    assert AuditEvent.objects.filter(action="billing.payment_request.paid").count() == 1
    # The same report delivered again is answered like the first and writes nothing.
    audit_rows, messages = AuditEvent.objects.count(), OutboxMessage.objects.count()
    again = post_callback(client, paid(sent))
    assert (again.status_code, again.content) == (200, response.content)
    assert Payment.objects.count() == 1 and FiscalReceipt.objects.count() == 1
    assert (AuditEvent.objects.count(), OutboxMessage.objects.count()) == (audit_rows, messages)
    # The same link under another outcome, payment or amount: refused, nothing changes.
    assert post_callback(client, {**paid(sent), "status": "failed"}).status_code == 400
    assert post_callback(client, paid(sent, payment_id="P-2")).status_code == 400
    assert post_callback(client, paid(sent, amount=100)).status_code == 400
    sent.refresh_from_db()
    assert (sent.status, sent.provider_payment_id) == (PaymentRequest.Status.PAID, "P-1")
    assert Payment.objects.count() == 1
    assert AuditEvent.objects.filter(action="billing.payment_request.paid").count() == 1
    assert (
        AuditEvent.objects.filter(
            action="billing.payment_request.callback_rejected", outcome="denied"
        ).count()
        == 3
    )


def test_a_replayed_callback_with_a_bad_signature_is_still_refused(client, sent):
    assert post_callback(client, paid(sent)).status_code == 200
    rows = AuditEvent.objects.exclude(action="billing.payment_request.callback_rejected").count()
    assert post_callback(client, paid(sent), signature="00ff").status_code == 400
    assert Payment.objects.count() == 1
    assert (
        AuditEvent.objects.exclude(action="billing.payment_request.callback_rejected").count()
        == rows
    )


@pytest.mark.parametrize(
    "secret, signature", [("", None), ("another-secret", None), (SECRET, "00ff")]
)
def test_an_unsigned_or_badly_signed_callback_changes_nothing(client, sent, secret, signature):
    response = post_callback(client, paid(sent), secret=secret, signature=signature)
    assert response.status_code == 400
    sent.refresh_from_db()
    assert sent.status == PaymentRequest.Status.SENT
    assert Payment.objects.count() == 0 and FiscalReceipt.objects.count() == 0


def test_without_a_secret_no_callback_is_believed(client, sent, settings):
    settings.PAYMENT_LINK_SECRET = ""
    assert post_callback(client, paid(sent), secret="").status_code == 400
    assert Payment.objects.count() == 0


def test_an_unknown_link_is_404_and_a_wrong_amount_400(client, sent):
    assert post_callback(client, {**paid(sent), "id": "L-999"}).status_code == 404
    assert post_callback(client, paid(sent, amount=100)).status_code == 400
    assert post_callback(client, paid(sent, amount=float(PACKAGE))).status_code == 400
    assert post_callback(client, {"id": sent.provider_id, "status": "gift"}).status_code == 400
    sent.refresh_from_db()
    assert sent.status == PaymentRequest.Status.SENT and Payment.objects.count() == 0


def test_one_provider_payment_pays_one_request_only(client, sent, owing, cashier, kyiv):
    second = services.request_online_payment(owing, site=kyiv, amount_kopecks=500, actor=cashier)
    assert post_callback(client, paid(sent, payment_id="P-7")).status_code == 200
    assert post_callback(client, paid(second, payment_id="P-7")).status_code == 400
    second.refresh_from_db()
    assert second.status == PaymentRequest.Status.SENT and Payment.objects.count() == 1


def test_a_failed_callback_closes_the_request_without_a_payment(client, sent):
    failed = {"id": sent.provider_id, "status": "failed"}
    assert post_callback(client, failed).status_code == 200
    sent.refresh_from_db()
    assert sent.status == PaymentRequest.Status.FAILED and Payment.objects.count() == 0
    settled_at = sent.settled_at
    assert post_callback(client, failed).json() == {"id": sent.provider_id, "status": "failed"}
    sent.refresh_from_db()
    assert sent.settled_at == settled_at
    assert post_callback(client, paid(sent)).status_code == 400
    assert Payment.objects.count() == 0


def test_online_takings_are_under_the_payment_service_in_the_cash_report(
    client, users, sent, kyiv, settings
):
    settings.PAYMENT_LINK_PROVIDER_NAME = "LiqPay"
    assert post_callback(client, paid(sent)).status_code == 200
    with translation.override("en"):
        report = selectors.cash_report(kyiv, timezone.localdate())
    (till,) = report["tills"]
    assert (till.name, till.cashier, dict(till.by_method)) == (
        "Online payment (LiqPay)",
        None,
        {"online": PACKAGE},
    )
    assert (till.expected, report["net"]) == (0, PACKAGE)  # nothing of it is in a drawer
    client.force_login(users[(Role.CASHIER, "kyiv")])
    page = client.get(reverse("billing:cash")).content.decode()
    assert "Онлайн-оплата (LiqPay)" in page and "System" not in page


def test_without_a_name_the_payment_service_is_known_by_its_host(settings):
    settings.PAYMENT_LINK_PROVIDER_NAME = ""
    settings.PAYMENT_LINK_URL = "https://pay.example.org/links"
    assert online.provider_name() == "pay.example.org"


def test_the_callback_answers_only_post(client, sent):
    assert client.get(reverse("billing:payment_request_callback")).status_code == 405


# --- The account page -------------------------------------------------------------------


def test_a_cashier_sends_a_link_from_the_account_page_and_sees_its_status(
    client, users, owing, provider, frozen
):
    provider()
    client.force_login(users[(Role.CASHIER, "kyiv")])
    response = client.post(
        reverse("billing:request_online_payment", args=[owing.public_id]), {"amount": "100"}
    )
    assert response.status_code == 302
    request = PaymentRequest.objects.get()
    assert request.amount_kopecks == 10000
    page = client.get(reverse("billing:account", args=[owing.public_id])).content.decode()
    assert 'id="payment-requests"' in page and "Надіслано" in page
    request.expires_at = request.created_at
    request.save()
    page = client.get(reverse("billing:account", args=[owing.public_id])).content.decode()
    assert "Термін минув" in page


def test_a_refused_link_from_the_page_writes_nothing_but_its_audit_row(
    client, users, owing, settings
):
    settings.PAYMENT_LINK_URL = ""
    client.force_login(users[(Role.RECEPTIONIST, "kyiv")])
    client.post(reverse("billing:request_online_payment", args=[owing.public_id]), {})
    assert nothing_written()
    assert AuditEvent.objects.filter(action="billing.refused", outcome="denied").exists()


def test_clinical_staff_cannot_send_a_link(client, users, owing, provider):
    provider()
    client.force_login(users[(Role.PHYSICIAN, "kyiv")])
    response = client.post(reverse("billing:request_online_payment", args=[owing.public_id]))
    assert response.status_code == 403 and nothing_written()
