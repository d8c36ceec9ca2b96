from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError, transaction

from clinic.accounts.roles import Role
from clinic.conftest import make_patient, make_user
from clinic.controlled_drugs import services
from clinic.controlled_drugs.ledger import GENESIS_HASH, LedgerRefused, verify_ledger
from clinic.controlled_drugs.models import (
    Holding,
    Kind,
    LedgerEntry,
    StockCount,
    StockCountLine,
)
from clinic.controlled_drugs.selectors import unaccounted_mg
from clinic.controlled_drugs.tests.factories import make_safe, receive
from clinic.core.models import AuditEvent, OutboxMessage

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def patient(kyiv):
    return make_patient(kyiv, "K-1")


def administer(nurse, lot, patient, drawn="100", given="35", **extra):
    return services.record_administration(
        lot=lot, patient=patient, drawn_mg=D(drawn), administered_mg=D(given), actor=nurse, **extra
    )


def test_a_receipt_opens_the_chain_with_the_received_milligrams(receipt):
    assert receipt.kind == Kind.RECEIPT
    assert (receipt.seq, receipt.prev_hash) == (1, GENESIS_HASH)
    assert receipt.quantity_mg == receipt.change_mg == D("500.000")
    assert receipt.balance_after_mg == D("500.000")
    holding = Holding.objects.get(pk=receipt.holding_id)
    assert (holding.balance_mg, holding.last_seq, holding.last_hash) == (
        D("500.000"),
        1,
        receipt.row_hash,
    )
    assert AuditEvent.objects.filter(action="drugs.stock.received").count() == 1


def test_a_second_delivery_of_the_same_lot_continues_its_chain(officer, safe, drug, receipt):
    again = receive(officer, safe, drug, units=2)
    assert again.lot == receipt.lot
    assert (again.seq, again.prev_hash, again.balance_after_mg) == (2, receipt.row_hash, D("700"))


def test_it_refuses_a_known_lot_with_another_expiry_date(officer, safe, drug, receipt):
    with pytest.raises(LedgerRefused, match="expiry"):
        receive(officer, safe, drug, units=2, expires_on=date(2029, 1, 1))
    assert LedgerEntry.objects.count() == 1


def test_it_refuses_an_expired_lot(officer, safe, drug):
    with pytest.raises(LedgerRefused):
        receive(officer, safe, drug, expires_on=date(2020, 1, 1))
    assert LedgerEntry.objects.count() == 0


def test_only_a_drug_officer_of_the_site_receives_stock(users, safe, drug):
    for user in (users[(Role.NURSE, "kyiv")], users[(Role.DRUG_OFFICER, "lviv")]):
        with pytest.raises(LedgerRefused):
            receive(user, safe, drug)
    assert LedgerEntry.objects.count() == 0


def test_an_administration_takes_the_drawn_amount_out_of_the_safe(nurse, lot, patient):
    entry = administer(nurse, lot, patient, drawn="100", given="35")
    assert entry.change_mg == D("-100.000")
    assert entry.balance_after_mg == D("400.000")
    assert entry.residue_mg == D("65.000")
    assert unaccounted_mg(entry) == D("65.000")
    assert AuditEvent.objects.get(action="drugs.administration.recorded").patient_id == patient.pk


def test_it_refuses_an_administration_beyond_the_balance(nurse, lot, patient):
    with pytest.raises(LedgerRefused, match="Only 500"):
        administer(nurse, lot, patient, drawn="600", given="35")
    assert LedgerEntry.objects.count() == 1
    assert Holding.objects.get().balance_mg == D("500")


def test_it_refuses_more_administered_than_drawn(nurse, lot, patient):
    with pytest.raises(LedgerRefused):
        administer(nurse, lot, patient, drawn="50", given="51")
    assert LedgerEntry.objects.count() == 1


def test_it_refuses_a_patient_of_another_site(nurse, lot, lviv):
    stranger = make_patient(lviv, "L-1")
    with pytest.raises(LedgerRefused):
        administer(nurse, lot, stranger)
    assert LedgerEntry.objects.count() == 1


def test_it_refuses_an_administration_from_an_expired_lot(nurse, lot, patient):
    with time_machine.travel(date(2028, 7, 1)), pytest.raises(LedgerRefused, match="expired"):
        administer(nurse, lot, patient)
    assert LedgerEntry.objects.count() == 1


def test_residue_destruction_accounts_for_the_ampoule(nurse, physician, lot, patient):
    administration = administer(nurse, lot, patient, drawn="100", given="35")
    destruction = services.record_residue_destruction(
        administration=administration, quantity_mg=D("65"), actor=nurse, witness=physician
    )
    assert destruction.change_mg == 0
    assert destruction.balance_after_mg == D("400")
    assert destruction.witness == physician
    assert unaccounted_mg(administration) == 0


def test_it_rejects_waste_without_witness(nurse, lot, patient):
    administration = administer(nurse, lot, patient)
    with pytest.raises(LedgerRefused, match="witness"):
        services.record_residue_destruction(
            administration=administration, quantity_mg=D("65"), actor=nurse, witness=None
        )
    assert LedgerEntry.objects.filter(kind=Kind.RESIDUE_DESTRUCTION).count() == 0


def test_it_rejects_the_actor_as_their_own_witness(nurse, lot, patient):
    administration = administer(nurse, lot, patient)
    with pytest.raises(LedgerRefused, match="different person"):
        services.record_residue_destruction(
            administration=administration, quantity_mg=D("65"), actor=nurse, witness=nurse
        )
    assert unaccounted_mg(administration) == D("65")


def test_it_rejects_a_witness_from_another_site_or_role(users, nurse, lot, patient):
    administration = administer(nurse, lot, patient)
    for witness in (users[(Role.PHYSICIAN, "lviv")], users[(Role.CONTENT_EDITOR, "kyiv")]):
        with pytest.raises(LedgerRefused):
            services.record_residue_destruction(
                administration=administration, quantity_mg=D("65"), actor=nurse, witness=witness
            )
    assert unaccounted_mg(administration) == D("65")


def test_the_database_refuses_a_witnessed_kind_without_a_second_person(nurse, holding):
    # Should a caller skip the service, the CHECK constraint still holds.
    entry = LedgerEntry.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(
            holding=holding,
            site=entry.site,
            drug=entry.drug,
            lot=entry.lot,
            safe=entry.safe,
            seq=2,
            kind=Kind.DESTRUCTION,
            quantity_mg=D("1"),
            change_mg=D("-1"),
            balance_after_mg=D("499"),
            recorded_at=entry.recorded_at,
            actor=nurse,
            witness=nurse,
            prev_hash=entry.row_hash,
            row_hash="x",
        )


def test_it_refuses_destroying_more_than_the_residue(nurse, physician, lot, patient):
    administration = administer(nurse, lot, patient, drawn="100", given="35")
    with pytest.raises(LedgerRefused, match="65"):
        services.record_residue_destruction(
            administration=administration, quantity_mg=D("66"), actor=nurse, witness=physician
        )
    assert unaccounted_mg(administration) == D("65")


def test_administration_with_residue_writes_both_or_neither(nurse, lot, patient):
    with pytest.raises(LedgerRefused):
        services.record_administration_with_residue(
            lot=lot, patient=patient, drawn_mg=D("100"), administered_mg=D("35"), actor=nurse
        )
    assert LedgerEntry.objects.count() == 1  # the receipt only
    assert Holding.objects.get().balance_mg == D("500")


def test_a_transfer_moves_stock_between_safes_of_the_site(officer, kyiv, holding):
    second = make_safe(kyiv, "Сейф 2")
    out, into = services.transfer_stock(
        holding=holding, to_safe=second, quantity_mg=D("200"), actor=officer
    )
    assert out.transfer_id == into.transfer_id
    assert (out.balance_after_mg, into.balance_after_mg) == (D("300"), D("200"))
    assert into.seq == 1 and into.holding.safe == second


def test_it_refuses_a_transfer_to_another_site(officer, lviv, holding):
    with pytest.raises(LedgerRefused):
        services.transfer_stock(
            holding=holding, to_safe=make_safe(lviv), quantity_mg=D("1"), actor=officer
        )
    assert LedgerEntry.objects.count() == 1


def test_a_reversal_cancels_an_entry_once_and_keeps_it_visible(
    officer, nurse, physician, lot, patient
):
    administration = administer(nurse, lot, patient, drawn="100", given="100")
    (reversal,) = services.reverse_entry(
        administration, reason="wrong patient", actor=officer, witness=physician
    )
    assert reversal.change_mg == D("100")
    assert reversal.balance_after_mg == D("500")
    assert LedgerEntry.objects.filter(pk=administration.pk).exists()
    with pytest.raises(LedgerRefused, match="already"):
        services.reverse_entry(administration, reason="again", actor=officer, witness=physician)
    assert LedgerEntry.objects.filter(kind=Kind.REVERSAL).count() == 1


def test_a_reversal_needs_a_reason_and_a_witness(officer, physician, receipt):
    with pytest.raises(LedgerRefused):
        services.reverse_entry(receipt, reason="  ", actor=officer, witness=physician)
    with pytest.raises(LedgerRefused):
        services.reverse_entry(receipt, reason="typo", actor=officer, witness=officer)
    assert LedgerEntry.objects.count() == 1


def test_a_reversal_that_would_go_negative_is_refused(officer, nurse, physician, lot, patient):
    receipt = LedgerEntry.objects.get()
    administer(nurse, lot, patient, drawn="100", given="100")
    with pytest.raises(LedgerRefused, match="negative"):
        services.reverse_entry(receipt, reason="typo", actor=officer, witness=physician)
    assert Holding.objects.get().balance_mg == D("400")


def test_the_database_allows_only_one_reversal_per_entry(officer, physician, receipt):
    (first,) = services.reverse_entry(receipt, reason="typo", actor=officer, witness=physician)
    holding = Holding.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(
            holding=holding,
            site=first.site,
            drug=first.drug,
            lot=first.lot,
            safe=first.safe,
            seq=3,
            kind=Kind.REVERSAL,
            quantity_mg=D("500"),
            change_mg=D("-500"),
            balance_after_mg=D("0"),
            recorded_at=first.recorded_at,
            actor=officer,
            witness=physician,
            reverses=receipt,
            prev_hash=first.row_hash,
            row_hash="x",
        )


def test_reversing_a_transfer_reverses_both_halves(officer, physician, kyiv, holding):
    second = make_safe(kyiv, "Сейф 2")
    out, into = services.transfer_stock(
        holding=holding, to_safe=second, quantity_mg=D("200"), actor=officer
    )
    reversals = services.reverse_entry(out, reason="wrong safe", actor=officer, witness=physician)
    assert {r.reverses_id for r in reversals} == {out.pk, into.pk}
    assert {h.safe.name: h.balance_mg for h in Holding.objects.select_related("safe")} == {
        "Сейф 1": D("500"),
        "Сейф 2": D("0"),
    }


def test_a_count_without_difference_writes_no_adjustment(officer, safe, holding):
    count = services.record_count(
        safe=safe, lines=[(holding, D("500"), "", holding.last_seq)], actor=officer
    )
    line = count.lines.get()
    assert (line.expected_mg, line.counted_mg, line.adjustment) == (D("500"), D("500"), None)
    assert LedgerEntry.objects.filter(kind=Kind.COUNT_ADJUSTMENT).count() == 0
    assert OutboxMessage.objects.count() == 0


def test_a_discrepancy_is_adjusted_witnessed_and_announced(
    users, officer, physician, safe, holding
):
    count = services.record_count(
        safe=safe,
        lines=[(holding, D("400"), "one ampoule broken in the safe", holding.last_seq)],
        actor=officer,
        witness=physician,
    )
    line = count.lines.get()
    assert line.difference_mg == D("-100")
    assert line.adjustment.change_mg == D("-100")
    assert line.adjustment.witness == physician
    assert Holding.objects.get().balance_mg == D("400")
    recipients = set(OutboxMessage.objects.values_list("recipient", flat=True))
    assert recipients == {
        users[(Role.ADMINISTRATOR, "kyiv")].email,
        users[(Role.DRUG_OFFICER, "kyiv")].email,
    }
    assert StockCountLine.objects.open_discrepancies({safe.site_id}).count() == 1
    services.resolve_discrepancy(line, text="Act of damage no. 4 drawn up", actor=officer)
    assert StockCountLine.objects.open_discrepancies({safe.site_id}).count() == 0


def test_a_discrepancy_needs_an_explanation_and_a_witness(officer, physician, safe, holding):
    with pytest.raises(LedgerRefused, match="Explain"):
        services.record_count(
            safe=safe,
            lines=[(holding, D("400"), "", holding.last_seq)],
            actor=officer,
            witness=physician,
        )
    with pytest.raises(LedgerRefused, match="witness"):
        services.record_count(
            safe=safe, lines=[(holding, D("400"), "broken", holding.last_seq)], actor=officer
        )
    assert StockCount.objects.count() == 0
    assert Holding.objects.get().balance_mg == D("500")


def test_a_count_is_refused_when_the_safe_changed_meanwhile(
    officer, nurse, safe, lot, holding, patient
):
    seen = holding.last_seq
    administer(nurse, lot, patient)
    with pytest.raises(LedgerRefused, match="changed"):
        services.record_count(safe=safe, lines=[(holding, D("500"), "", seen)], actor=officer)
    assert StockCount.objects.count() == 0


def test_the_chain_verifies_after_every_kind_of_movement(
    officer, nurse, physician, kyiv, safe, lot, holding, patient
):
    administration = administer(nurse, lot, patient)
    services.record_residue_destruction(
        administration=administration, quantity_mg=D("65"), actor=nurse, witness=physician
    )
    services.transfer_stock(
        holding=holding, to_safe=make_safe(kyiv, "Сейф 2"), quantity_mg=D("100"), actor=officer
    )
    services.record_stock_destruction(
        holding=holding,
        quantity_mg=D("100"),
        reason="ampoule cracked",
        actor=officer,
        witness=physician,
    )
    holding.refresh_from_db()
    services.record_count(
        safe=safe,
        lines=[(holding, D("100"), "one ampoule missing", holding.last_seq)],
        actor=officer,
        witness=nurse,
    )
    assert verify_ledger() == []


def test_the_witness_role_list_allows_drug_officers(nurse, officer, lot, patient, kyiv):
    administration = administer(nurse, lot, patient)
    other = make_user("officer2@test.clinic", roles=[Role.DRUG_OFFICER], sites=[kyiv])
    services.record_residue_destruction(
        administration=administration, quantity_mg=D("65"), actor=nurse, witness=other
    )
    assert unaccounted_mg(administration) == 0


def test_a_reversed_administration_leaves_nothing_to_account_for(
    officer, nurse, physician, lot, patient
):
    administration = administer(nurse, lot, patient, drawn="100", given="35")
    services.reverse_entry(administration, reason="wrong lot", actor=officer, witness=physician)
    assert unaccounted_mg(administration) == 0


def test_an_administration_with_destroyed_residue_is_reversed_after_its_residue(
    officer, nurse, physician, lot, patient
):
    administration = administer(nurse, lot, patient, drawn="100", given="35")
    residue = services.record_residue_destruction(
        administration=administration, quantity_mg=D("65"), actor=nurse, witness=physician
    )
    with pytest.raises(LedgerRefused, match="residue first"):
        services.reverse_entry(administration, reason="wrong", actor=officer, witness=physician)
    services.reverse_entry(residue, reason="wrong", actor=officer, witness=physician)
    assert unaccounted_mg(administration) == D("65")
    services.reverse_entry(administration, reason="wrong", actor=officer, witness=physician)
    assert Holding.objects.get().balance_mg == D("500")


def test_a_session_is_accounted_for_across_its_administrations(nurse, physician, lot, patient):
    import uuid

    from clinic.controlled_drugs.selectors import unaccounted_for_session

    session = uuid.uuid4()
    first = administer(nurse, lot, patient, drawn="100", given="60", clinical_reference=session)
    administer(nurse, lot, patient, drawn="100", given="100", clinical_reference=session)
    assert unaccounted_for_session(session) == D("40")
    services.record_residue_destruction(
        administration=first, quantity_mg=D("40"), actor=nurse, witness=physician
    )
    assert unaccounted_for_session(session) == 0


def test_the_prescriber_must_be_a_physician_of_the_site(users, nurse, lot, patient):
    with pytest.raises(LedgerRefused, match="prescriber"):
        administer(nurse, lot, patient, prescribed_by=users[(Role.PHYSICIAN, "lviv")])
    entry = administer(nurse, lot, patient, prescribed_by=users[(Role.PHYSICIAN, "kyiv")])
    assert entry.prescribed_by == users[(Role.PHYSICIAN, "kyiv")]
