"""Fiscal registration against a local PRRO stub that fails, times out and recovers.

Registrations are outbox deliveries: the tests run the outbox worker's delivery
(`outbox.deliver_due`) where the worker would."""

import time as wall_time
from datetime import date, timedelta

import pytest
from django.db import transaction

from clinic.billing import selectors, services
from clinic.billing.models import FiscalReceipt
from clinic.core import outbox
from clinic.core.models import AuditEvent, OutboxMessage
from clinic.core.tests.gateway_stub import GatewayStub


class Prro(GatewayStub):
    """A PRRO that registers each key once and answers a repeated key with the first number.

    `script` steps: "fail" answers 500 and registers nothing; "lost" registers and then
    answers too late (the answer is lost on the way back); "accept" registers and answers.
    """

    path = "/receipts"

    def __init__(self, script):
        self.script = list(script)
        self.requests = []
        self.registered = {}
        self.registrations = 0
        super().__init__()

    def answer(self, headers, body):
        step = self.script.pop(0) if self.script else "accept"
        key = headers["Idempotency-Key"]
        self.requests.append((step, key, body))
        if step == "fail":
            return 500, None
        if key not in self.registered:
            self.registrations += 1
            self.registered[key] = f"FN-{self.registrations:04d}"
        if step == "lost":
            wall_time.sleep(1.2)
        return 200, {"fiscal_number": self.registered[key]}


@pytest.fixture
def prro(settings):
    def start(script):
        stub = Prro(script)
        settings.PRRO_URL = stub.url
        settings.PRRO_TOKEN = "test-token"
        settings.MESSAGE_GATEWAY_ALLOW_LOOPBACK_HTTP = True
        settings.PRRO_TIMEOUT_SECONDS = 0.5
        started.append(stub)
        return stub

    started = []
    yield start
    for stub in started:
        stub.stop()


def test_the_prro_fails_times_out_and_recovers_and_every_payment_is_registered_once(
    priced, patient, cashier, kyiv, prro, frozen
):
    patient.email = "olena@example.org"
    patient.preferred_channel = patient.Channel.EMAIL
    patient.save()
    stub = prro(["fail", "lost", "fail", "lost", "accept"])
    payment = services.take_payment(
        patient, site=kyiv, method="card", amount_kopecks=120000, actor=cashier
    )
    refund = services.refund_payment(payment, amount_kopecks=20000, reason="late", actor=cashier)
    cash = services.take_payment(
        patient, site=kyiv, method="cash", amount_kopecks=5000, actor=cashier
    )
    # Taking the money asked the PRRO nothing: the registrations wait for the worker.
    assert stub.requests == []
    assert {r.status for r in FiscalReceipt.objects.all()} == {FiscalReceipt.Status.PENDING}
    for _ in range(6):
        outbox.deliver_due()
        frozen.shift(timedelta(hours=1))
    receipts = FiscalReceipt.objects.filter(payment__in=[payment, refund, cash])
    assert {r.status for r in receipts} == {FiscalReceipt.Status.REGISTERED}
    assert stub.registrations == 3
    assert {r.fiscal_number for r in receipts} == set(stub.registered.values())
    assert {str(r.key) for r in receipts} == set(stub.registered)
    # Every attempt of one receipt carried its one key.
    assert {key for _, key, body in stub.requests if body["kind"] == "refund"} == {
        str(refund.receipt.key)
    }
    assert OutboxMessage.objects.filter(recipient="olena@example.org").count() == 3
    assert AuditEvent.objects.filter(action="billing.receipt.registered").count() == 3
    assert selectors.cash_report(kyiv, date(2026, 3, 2))["unregistered"] == 0
    # The deliveries are sent, with the fiscal number as their reference; nothing is due.
    deliveries = OutboxMessage.objects.filter(channel=OutboxMessage.Channel.FISCAL)
    assert {(m.status, m.provider_ref) for m in deliveries} == {
        (OutboxMessage.Status.SENT, r.fiscal_number) for r in receipts
    }
    assert not OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).exists()


def every_attempt(frozen, settings):
    """The worker's delivery runs as often as the outbox tries a message, each after its wait."""
    for _ in range(settings.OUTBOX_MAX_ATTEMPTS):
        outbox.deliver_due()
        frozen.shift(timedelta(hours=2))


def test_a_registration_that_keeps_failing_goes_to_the_worklist_and_can_be_retried(
    priced, patient, cashier, kyiv, prro, frozen, settings
):
    stub = prro(["fail"] * settings.OUTBOX_MAX_ATTEMPTS)
    payment = services.take_payment(
        patient, site=kyiv, method="cash", amount_kopecks=5000, actor=cashier
    )
    every_attempt(frozen, settings)
    receipt = FiscalReceipt.objects.get(payment=payment)
    assert receipt.failed and receipt.fiscal_number == ""
    assert receipt.delivery.status == OutboxMessage.Status.DEAD
    assert "500" in receipt.delivery.last_error
    assert list(selectors.failed_receipts(kyiv)) == [receipt]
    outbox.deliver_due()
    assert len(stub.requests) == settings.OUTBOX_MAX_ATTEMPTS  # a dead one waits for a person
    services.retry_receipt(receipt, actor=cashier)
    assert AuditEvent.objects.filter(action="billing.receipt.retried").count() == 1
    outbox.deliver_due()
    receipt.refresh_from_db()
    assert receipt.status == FiscalReceipt.Status.REGISTERED and stub.registrations == 1
    assert list(selectors.failed_receipts(kyiv)) == []


def test_the_administrator_sends_a_dead_registration_again_from_the_outbox(
    priced, patient, cashier, admin, kyiv, prro, frozen, settings
):
    stub = prro(["fail"] * settings.OUTBOX_MAX_ATTEMPTS)
    payment = services.take_payment(
        patient, site=kyiv, method="card", amount_kopecks=5000, actor=cashier
    )
    every_attempt(frozen, settings)
    delivery = FiscalReceipt.objects.get(payment=payment).delivery
    assert delivery.status == OutboxMessage.Status.DEAD and delivery.site == kyiv
    outbox.retry_message(delivery, actor=admin)
    outbox.deliver_due()
    payment.receipt.refresh_from_db()
    assert payment.receipt.status == FiscalReceipt.Status.REGISTERED
    assert stub.registrations == 1


def test_only_a_failed_registration_can_be_retried(priced, patient, cashier, kyiv):
    payment = services.take_payment(
        patient, site=kyiv, method="cash", amount_kopecks=5000, actor=cashier
    )
    with pytest.raises(services.BillingRefused):
        services.retry_receipt(payment.receipt, actor=cashier)
    assert not AuditEvent.objects.filter(action__endswith=".retried").exists()
    assert payment.receipt.delivery.attempts == 0


def test_without_a_prro_nothing_is_shown_as_registered(priced, patient, cashier, kyiv, settings):
    settings.PRRO_URL, settings.DEBUG = "", False
    payment = services.take_payment(
        patient, site=kyiv, method="cash", amount_kopecks=5000, actor=cashier
    )
    outbox.deliver_due()
    payment.receipt.refresh_from_db()
    payment.receipt.delivery.refresh_from_db()
    assert payment.receipt.status == FiscalReceipt.Status.PENDING
    assert "no PRRO" in payment.receipt.delivery.last_error


def test_a_rolled_back_payment_queues_no_registration(priced, patient, cashier, kyiv):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.take_payment(patient, site=kyiv, method="cash", amount_kopecks=5, actor=cashier)
        raise RuntimeError
    assert not OutboxMessage.objects.filter(channel=OutboxMessage.Channel.FISCAL).exists()


def test_the_receipt_reaches_the_payer_by_their_chosen_channel_in_their_language(
    priced, patient, cashier, kyiv, prro
):
    patient.email = ""
    patient.phone = "+380671112233"
    patient.preferred_channel = patient.Channel.SMS
    patient.preferred_language = "en"
    patient.save()
    prro(["accept"])
    payment = services.take_payment(
        patient, site=kyiv, method="cash", amount_kopecks=5000, actor=cashier
    )
    outbox.deliver_due()
    payment.receipt.refresh_from_db()
    assert payment.receipt.status == FiscalReceipt.Status.REGISTERED
    message = OutboxMessage.objects.get(dedupe_key=f"fiscal-receipt-{payment.receipt.key}")
    assert (message.channel, message.recipient) == ("sms", "+380671112233")
    assert message.body.startswith("Fiscal receipt ")
