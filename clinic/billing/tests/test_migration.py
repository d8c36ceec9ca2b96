"""Registrations through the outbox keep every receipt: those waiting or failed in the old
shape (retry columns on the receipt) arrive as outbox deliveries, a failed one dead-lettered."""

from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("billing", "0003_fee_labels_without_percent_sign")]
AFTER = [("billing", "0005_fiscal_receipts_retry_columns_removed")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def test_unregistered_receipts_become_outbox_deliveries():
    old = _migrate(BEFORE)
    try:
        site = old.get_model("locations", "Site").objects.create(code="m", name="М")
        user = old.get_model("accounts", "User").objects.create(email="till@test.clinic")
        patient = old.get_model("patients", "Patient").objects.create(
            record_number="M-0001", home_site=site, family_name="Коваленко",
            given_name="Олена", birth_date=date(1990, 1, 1), created_by=user,
        )  # fmt: skip
        payment_model = old.get_model("billing", "Payment")
        receipt_model = old.get_model("billing", "FiscalReceipt")
        receipts = {}
        for status, extra in (
            ("pending", {"attempts": 2, "last_error": "PRRO: 500"}),
            ("failed", {"attempts": 5, "last_error": "PRRO: timed out"}),
            ("registered", {"fiscal_number": "FN-1", "attempts": 1}),
        ):
            payment = payment_model.objects.create(
                patient=patient, site=site, method="cash", amount_kopecks=5000, cashier=user
            )
            receipts[status] = receipt_model.objects.create(payment=payment, status=status, **extra)
        new = _migrate(AFTER)
        receipt_model = new.get_model("billing", "FiscalReceipt")
        waiting = receipt_model.objects.select_related("delivery").get(key=receipts["pending"].key)
        failed = receipt_model.objects.select_related("delivery").get(key=receipts["failed"].key)
        registered = receipt_model.objects.get(key=receipts["registered"].key)
        assert (waiting.status, waiting.delivery.status, waiting.delivery.attempts) == (
            "pending",
            "pending",
            2,
        )
        assert (failed.status, failed.delivery.status, failed.delivery.last_error) == (
            "pending",
            "dead",
            "PRRO: timed out",
        )
        assert {waiting.delivery.channel, failed.delivery.channel} == {"fiscal"}
        assert failed.delivery.site_id == site.pk
        assert (registered.status, registered.fiscal_number) == ("registered", "FN-1")
        assert registered.delivery_id is None
    finally:
        _migrate(_latest())
