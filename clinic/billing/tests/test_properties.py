"""Property tests: kopeck arithmetic and the ledger's sums always reconcile with balances."""

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinic.billing import money, selectors, services
from clinic.billing.models import Charge, Payment

amounts = st.integers(min_value=0, max_value=10**9)


@given(total=amounts, parts=st.integers(min_value=1, max_value=100))
def test_a_package_split_sums_to_its_price_and_shares_differ_by_at_most_a_kopeck(total, parts):
    shares = money.split(total, parts)
    assert len(shares) == parts and sum(shares) == total
    assert max(shares) - min(shares) <= 1
    assert all(isinstance(share, int) for share in shares)


@given(amount=amounts, percent=st.integers(min_value=0, max_value=100))
def test_a_percentage_is_a_whole_kopeck_within_the_amount(amount, percent):
    share = money.percent_of(amount, percent)
    assert isinstance(share, int) and 0 <= share <= amount
    assert abs(share * 100 - amount * percent) <= 50  # rounded to the nearest kopeck


@given(kopecks=st.integers(min_value=0, max_value=10**11 - 1))
def test_an_amount_survives_being_shown_and_typed_again(kopecks):
    from django.utils import translation

    for language in ("uk", "en"):
        with translation.override(language):
            shown = money.format_uah(kopecks).replace(",", "" if language == "en" else ",")
            typed = shown.replace(".", ",") if language == "en" else shown
            assert money.parse(typed) == kopecks


operations = st.lists(
    st.one_of(
        st.tuples(st.just("sell"), st.integers(1, 500000), st.integers(0, 100)),
        st.tuples(st.just("invoice")),
        st.tuples(st.just("credit"), st.integers(0, 9), st.integers(1, 600000)),
        st.tuples(st.just("pay"), st.integers(1, 600000), st.booleans()),
        st.tuples(st.just("refund"), st.integers(0, 9), st.integers(1, 600000)),
    ),
    max_size=12,
)


@pytest.mark.django_db
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=operations)
def test_charges_credit_notes_payments_and_refunds_always_reconcile_with_the_balance(
    steps, priced, patient, cashier, kyiv
):
    with transaction.atomic():
        expected = 0
        package = services.define_package(
            kyiv, name="p", visit_type=priced["follow_up"], units=3, price_kopecks=1,
            valid_days=30, vat="exempt", actor=cashier,
        )  # fmt: skip
        for step in steps:
            try:
                with transaction.atomic():
                    expected += apply(step, package, patient, cashier, kyiv)
            except services.BillingRefused:
                pass  # a refusal changes nothing, which the sums below check as well
        assert selectors.balance(patient) == expected
        invoiced = sum(selectors.invoice_due(invoice) for invoice in patient.invoices.all())
        open_charges = Charge.objects.filter(patient=patient, invoice__isnull=True)
        loose = Payment.objects.filter(patient=patient, invoice__isnull=True)
        assert expected == (
            invoiced
            + sum(c.net_kopecks - services.credited(c) for c in open_charges)
            - sum(p.signed_kopecks for p in loose)
        )
        for charge in Charge.objects.filter(patient=patient):
            assert 0 <= services.credited(charge) <= charge.net_kopecks
        for payment in Payment.objects.filter(patient=patient, kind="payment"):
            assert 0 <= services.refunded(payment) <= payment.amount_kopecks
        transaction.set_rollback(True)


def apply(step, package, patient, cashier, kyiv) -> int:
    """Do one step; return how it moves the balance."""
    kind = step[0]
    if kind == "sell":
        _, price, percent = step
        package.price_kopecks = price
        package.save()
        discount = money.percent_of(price, percent)
        services.sell_package(
            patient, package, discount_kopecks=discount, discount_reason="r", actor=cashier
        )
        return price - discount
    if kind == "invoice":
        services.issue_invoice(patient, site=kyiv, actor=cashier)
        return 0
    if kind == "credit":
        charges = list(Charge.objects.filter(patient=patient).order_by("pk"))
        if not charges:
            return 0
        charge = charges[step[1] % len(charges)]
        services.issue_credit_note(charge, amount_kopecks=step[2], reason="r", actor=cashier)
        return -step[2]
    if kind == "pay":
        invoice = patient.invoices.order_by("-pk").first() if step[2] else None
        services.take_payment(
            patient, site=kyiv, method="cash", amount_kopecks=step[1], invoice=invoice,
            actor=cashier,
        )  # fmt: skip
        return -step[1]
    payments = list(Payment.objects.filter(patient=patient, kind="payment").order_by("pk"))
    if not payments:
        return 0
    payment = payments[step[1] % len(payments)]
    services.refund_payment(payment, amount_kopecks=step[2], reason="r", actor=cashier)
    return step[2]
