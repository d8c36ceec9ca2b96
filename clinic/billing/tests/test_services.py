"""Prices, charges from visits, packages, invoices, credit notes, payments and refunds."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import models

from clinic.accounts.roles import Role
from clinic.billing import selectors, services
from clinic.billing.models import Charge, CreditNote, Invoice, Payment, Price
from clinic.billing.tests.conftest import CONSULTATION, INFUSION, PACKAGE, attend, book
from clinic.core.models import AuditEvent
from clinic.scheduling import services as scheduling
from clinic.scheduling.tests.conftest import at as at_
from clinic.treatment.models import TesSession


def test_no_amount_field_in_billing_is_a_float_or_decimal():
    from django.apps import apps

    for model in apps.get_app_config("billing").get_models():
        for field in model._meta.get_fields():
            assert not isinstance(field, models.FloatField | models.DecimalField), (model, field)


def test_a_new_price_ends_the_one_in_force_and_both_are_audited(priced, kyiv, admin):
    services.set_price(
        kyiv, priced["follow_up"], amount_kopecks=130000, vat="exempt",
        valid_from=date(2026, 4, 1), actor=admin,
    )  # fmt: skip
    old, new = Price.objects.filter(visit_type=priced["follow_up"]).order_by("valid_from")
    assert old.valid_until == date(2026, 3, 31) and new.valid_until is None
    assert services.price_for(kyiv, priced["follow_up"], date(2026, 3, 31)) == old
    assert services.price_for(kyiv, priced["follow_up"], date(2026, 4, 1)) == new
    assert AuditEvent.objects.filter(action="billing.price.set").count() == 3


def test_it_refuses_a_price_that_rewrites_history_and_writes_nothing(priced, kyiv, admin):
    before = list(Price.objects.values_list("pk", "valid_until"))
    with pytest.raises(services.BillingRefused):
        services.set_price(
            kyiv, priced["follow_up"], amount_kopecks=1, vat="exempt",
            valid_from=date(2026, 2, 1), actor=admin,
        )  # fmt: skip
    assert list(Price.objects.values_list("pk", "valid_until")) == before


def test_a_completed_visit_is_charged_once_at_the_price_in_force(
    priced, patient, users, clinic, reception, frozen
):
    appointment = book(patient, priced["follow_up"], at_(3, 10), users, clinic, reception)
    attend(appointment, frozen, reception)
    charge = Charge.objects.get(appointment=appointment)
    assert (charge.kind, charge.amount_kopecks) == (Charge.Kind.VISIT, CONSULTATION)
    assert services.charge_completed_visit(appointment, actor=reception) is None
    assert Charge.objects.filter(appointment=appointment).count() == 1
    assert selectors.balance(patient) == CONSULTATION


def test_a_visit_without_a_price_is_not_charged(priced, patient, users, clinic, reception, frozen):
    appointment = book(patient, priced["first_consultation"], at_(3, 10), users, clinic, reception)
    attend(appointment, frozen, reception)
    assert not Charge.objects.exists()


def test_six_infusions_consume_the_package_and_the_seventh_is_charged(
    infusions, patient, users, clinic, reception, cashier, frozen
):
    sold = services.sell_package(patient, infusions, actor=cashier)
    for day in (3, 4, 5, 6, 9, 10, 11):
        appointment = book(patient, infusions.visit_type, at_(day, 10), users, clinic, reception)
        attend(appointment, frozen, reception)
    visits = Charge.objects.filter(kind=Charge.Kind.VISIT).order_by("pk")
    assert [c.patient_package_id for c in visits] == [sold.pk] * 6 + [None]
    assert [c.amount_kopecks for c in visits] == [0] * 6 + [INFUSION]
    assert selectors.balance(patient) == PACKAGE + INFUSION


def test_a_late_cancellation_is_charged_per_policy_and_an_early_one_is_not(
    priced, patient, users, clinic, reception, frozen
):
    early = book(patient, priced["follow_up"], at_(5, 10), users, clinic, reception)
    late = book(patient, priced["follow_up"], at_(2, 18), users, clinic, reception)
    scheduling.cancel_appointment(early, reason="feels better", actor=reception)
    scheduling.cancel_appointment(late, reason="stuck in traffic", actor=reception)
    assert not Charge.objects.filter(appointment=early).exists()
    fee = Charge.objects.get(appointment=late)
    assert (fee.kind, fee.amount_kopecks) == (Charge.Kind.LATE_CANCEL, CONSULTATION // 2)


def test_a_missed_visit_is_charged_per_policy(priced, patient, users, clinic, reception, frozen):
    appointment = book(patient, priced["follow_up"], at_(2, 10), users, clinic, reception)
    frozen.move_to(at_(2, 11))
    scheduling.mark_no_show(appointment, actor=reception)
    assert Charge.objects.get(appointment=appointment).kind == Charge.Kind.NO_SHOW


def test_an_invoice_lists_open_charges_and_a_credit_note_corrects_without_editing(
    priced, patient, users, clinic, reception, cashier, kyiv, frozen
):
    attend(
        book(patient, priced["follow_up"], at_(3, 10), users, clinic, reception), frozen, reception
    )
    invoice = services.issue_invoice(patient, site=kyiv, actor=cashier)
    assert invoice.number == "INV-KYIV-2026-00001" and invoice.total_kopecks == CONSULTATION
    charge = invoice.charges.get()
    note = services.issue_credit_note(
        charge, amount_kopecks=20000, reason="waiting time", actor=cashier
    )
    charge.refresh_from_db()
    assert charge.amount_kopecks == CONSULTATION and note.number == "CN-KYIV-2026-00001"
    assert selectors.invoice_due(invoice) == CONSULTATION - 20000
    with pytest.raises(services.BillingRefused):
        services.issue_credit_note(charge, amount_kopecks=CONSULTATION, reason="x", actor=cashier)
    assert CreditNote.objects.count() == 1
    with pytest.raises(services.BillingRefused):
        services.issue_invoice(patient, site=kyiv, actor=cashier)
    assert Invoice.objects.count() == 1


def test_a_discount_needs_a_reason_and_names_who_gave_it(infusions, patient, cashier):
    with pytest.raises(services.BillingRefused):
        services.sell_package(patient, infusions, discount_kopecks=100, actor=cashier)
    assert not Charge.objects.exists()
    services.sell_package(
        patient, infusions, discount_kopecks=360000, discount_reason="loyalty", actor=cashier
    )
    charge = Charge.objects.get()
    assert (charge.discount_by, charge.net_kopecks) == (cashier, PACKAGE - 360000)


def test_payment_and_refund_move_the_balance_and_each_waits_for_its_receipt(
    infusions, patient, cashier, kyiv
):
    services.sell_package(patient, infusions, actor=cashier)
    payment = services.take_payment(
        patient, site=kyiv, method="card", amount_kopecks=PACKAGE, actor=cashier
    )
    assert selectors.balance(patient) == 0
    refund = services.refund_payment(
        payment, amount_kopecks=50000, reason="overcharged", actor=cashier
    )
    assert selectors.balance(patient) == 50000
    assert refund.method == "card" and refund.receipt.status == "pending"
    assert payment.receipt.key != refund.receipt.key
    with pytest.raises(services.BillingRefused):
        services.refund_payment(payment, amount_kopecks=PACKAGE, reason="again", actor=cashier)
    assert Payment.objects.count() == 2


def test_the_cash_report_balances_the_till(priced, patient, cashier, kyiv, frozen):
    today = date(2026, 3, 2)
    till = services.open_till(kyiv, day=today, opening_kopecks=100000, actor=cashier)
    cash = services.take_payment(
        patient, site=kyiv, method="cash", amount_kopecks=120000, actor=cashier
    )
    services.take_payment(patient, site=kyiv, method="card", amount_kopecks=50000, actor=cashier)
    services.refund_payment(cash, amount_kopecks=20000, reason="change", actor=cashier)
    services.close_till(till, counted_kopecks=200000, actor=cashier)
    report = selectors.cash_report(kyiv, today)
    (row,) = report["tills"]
    assert (row.name, row.cashier) == (cashier.full_name, cashier)
    assert (row.opening, row.cash_in, row.expected, row.difference) == (100000, 100000, 200000, 0)
    assert report["totals"] == {"cash": 100000, "card": 50000} and report["net"] == 150000


def test_refusals_write_nothing(priced, patient, cashier, kyiv):
    for call in (
        lambda: services.take_payment(
            patient, site=kyiv, method="cash", amount_kopecks=0, actor=cashier
        ),
        lambda: services.take_payment(
            patient, site=kyiv, method="cheque", amount_kopecks=5, actor=cashier
        ),
    ):
        with pytest.raises(services.BillingRefused):
            call()
    assert not Payment.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="billing.payment").exists()


TES = 90000
TACS = 110000


def tes_visit(patient, visit, users, clinic, reception, starts_at, stimulation=None):
    """A TES visit, with its TES session of that stimulation when one is given."""
    nurse = users[(Role.NURSE, "kyiv")]
    appointment = scheduling.book_appointment(
        patient, visit_type=visit["tes_session"], site=patient.home_site, starts_at=starts_at,
        practitioner=nurse, room=clinic["kyiv"]["tes"], actor=reception,
    )  # fmt: skip
    if stimulation:
        TesSession.objects.create(
            patient=patient, site=patient.home_site, room=clinic["kyiv"]["tes"],
            appointment=appointment, device="Sooma", serial_number="S-1",
            stimulation=stimulation, anode="F3", cathode="F4",
            electrode_area_cm2=Decimal("25.0"), current_ma=Decimal("2.0"), minutes=20,
            ramp_up_seconds=30, ramp_down_seconds=30, charge_c=Decimal("2.400"),
            current_density_ma_cm2=Decimal("0.0800"), skin_before="intact",
            performed_by=nurse,
        )  # fmt: skip
    return appointment


def test_a_visit_is_charged_its_session_kinds_price_when_one_is_in_force(
    priced, patient, users, clinic, reception, admin, kyiv, frozen
):
    for kind, amount in (("", TES), ("tacs", TACS)):
        services.set_price(
            kyiv, priced["tes_session"], amount_kopecks=amount, vat="exempt",
            valid_from=date(2026, 3, 1), session_kind=kind, actor=admin,
        )  # fmt: skip
    # A tDCS price from next month is not in force yet.
    services.set_price(
        kyiv, priced["tes_session"], amount_kopecks=1, vat="exempt",
        valid_from=date(2026, 4, 1), session_kind="tdcs", actor=admin,
    )  # fmt: skip
    tacs = tes_visit(patient, priced, users, clinic, reception, at_(3, 10), "tacs")
    tdcs = tes_visit(patient, priced, users, clinic, reception, at_(3, 11), "tdcs")
    bare = tes_visit(patient, priced, users, clinic, reception, at_(3, 12))
    for appointment in (tacs, tdcs, bare):
        attend(appointment, frozen, reception)
    charged = {c.appointment_id: c for c in Charge.objects.filter(kind=Charge.Kind.VISIT)}
    assert [charged[a.pk].amount_kopecks for a in (tacs, tdcs, bare)] == [TACS, TES, TES]
    assert all(type(c.amount_kopecks) is int for c in charged.values())
    assert charged[tacs.pk].price.session_kind == "tacs"
    assert charged[tacs.pk].description.endswith("(tACS)")
    assert charged[tdcs.pk].price.session_kind == "" and charged[bare.pk].price.session_kind == ""
    assert selectors.balance(patient) == TACS + 2 * TES


def test_a_price_for_an_unknown_session_kind_is_refused(priced, kyiv, admin):
    with pytest.raises(services.BillingRefused):
        services.set_price(
            kyiv, priced["tes_session"], amount_kopecks=5, vat="exempt",
            valid_from=date(2026, 3, 1), session_kind="reiki", actor=admin,
        )  # fmt: skip
    assert not Price.objects.filter(visit_type=priced["tes_session"]).exists()
    assert not AuditEvent.objects.filter(
        action="billing.price.set", reason__contains="reiki"
    ).exists()
