"""Billing: a patient's account, the cash of the day, the failed receipts and the reports
pages, taking a payment and the payment service's "paid" callback, at a short and a long
money history."""

import json
import time
import uuid
from datetime import date, timedelta

from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from clinic.accounts.models import User
from clinic.billing import online
from clinic.billing.models import Charge, FiscalReceipt, Payment, PaymentRequest
from clinic.locations.models import Site
from clinic.patients.models import Patient


def _timed(fn, repeat=10):
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


def _add_history(patient, site, user, count):
    Charge.objects.bulk_create(
        Charge(patient=patient, site=site, kind="visit", description="bench",
               amount_kopecks=120000, created_by=user)
        for _ in range(count)
    )  # fmt: skip
    payments = Payment.objects.bulk_create(
        Payment(patient=patient, site=site, method="cash", amount_kopecks=120000, cashier=user)
        for _ in range(count)
    )
    FiscalReceipt.objects.bulk_create(
        FiscalReceipt(payment=p, status="registered", fiscal_number=f"B{p.pk}") for p in payments
    )


SECRET = "bench-secret"


def _paid_callback(client, patient, site, user):
    """A signed "paid" report for a fresh link (a replay would change nothing)."""
    link = PaymentRequest.objects.create(
        patient=patient, site=site, amount_kopecks=1000, provider_id=str(uuid.uuid4()),
        url="https://pay.example.org/x", channel="sms",
        expires_at=timezone.now() + timedelta(hours=1), created_by=user,
    )  # fmt: skip
    body = json.dumps(
        {"id": link.provider_id, "status": "paid", "payment_id": link.provider_id,
         "amount_kopecks": 1000}
    ).encode()  # fmt: skip
    return client.post(
        "/staff/billing/online/callback/", body, content_type="application/json",
        HTTP_X_SIGNATURE=online.sign(body, SECRET),
    )  # fmt: skip


@override_settings(PAYMENT_LINK_SECRET=SECRET)
def run():
    site = Site.objects.create(
        code="bench-money", name="Бенч", name_uk="Бенч", name_en="Bench", phone="+380737308088"
    )
    user = User.objects.create_user(email="bench-money@test.clinic", full_name="B", password="x")
    user.groups.set([Group.objects.get(name="cashier"), Group.objects.get(name="administrator")])
    user.sites.set([site])
    TOTP.activate(user, generate_totp_secret())
    client = Client()
    client.force_login(user)
    patient = Patient.objects.create(
        record_number="BM-1", family_name="Бенч", given_name="П", birth_date=date(1990, 1, 1),
        home_site=site, created_by=user,
    )  # fmt: skip
    account = f"/staff/billing/patients/{patient.public_id}/"
    pay = f"/staff/billing/patients/{patient.public_id}/pay/"
    for label, method, url in (
        ("billing account page", "get", account),
        ("billing cash of the day", "get", "/staff/billing/cash/"),
        ("billing failed receipts", "get", "/staff/billing/receipts/"),
        ("billing reports", "get", "/staff/billing/reports/"),
        ("billing take a payment (write)", "post", pay),
        ("billing online payment paid callback (write)", "callback", ""),
    ):
        results = {}
        for size in (5, 500):
            _add_history(patient, site, user, size - Charge.objects.filter(patient=patient).count())
            if method == "callback":
                call = lambda: _paid_callback(Client(), patient, site, user)  # noqa: E731
            elif method == "post":
                call = lambda u=url: client.post(u, {"method": "card", "amount": "10"})  # noqa: E731
            else:
                call = lambda u=url: client.get(u)  # noqa: E731
            with CaptureQueriesContext(connection) as queries:
                call()
            results[size] = (len(queries), _timed(call))
        small, large = results[5], results[500]
        print(
            f"{label:44} queries {small[0]} -> {large[0]}; "
            f"{small[1] * 1000:.1f} ms -> {large[1] * 1000:.1f} ms ({large[1] / small[1]:.2f}x)"
        )
