"""Random sequences of movements keep the register's invariants (security.md §4, §7.1).

A model keeps its own arithmetic of every holding's balance and predicts which movements must
be refused (over-draws, a witness who is the actor, a second reversal). After every step the
database is checked against the model and against the invariants: no negative balance, each
balance equal to the sum of its movements, each witness different from the actor, at most one
reversal per entry, gap-free verified chains, no ampoule accounted for twice.
"""

import itertools
from decimal import Decimal

import pytest
from django.db.models import Count, F, Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from clinic.accounts.roles import Role
from clinic.conftest import make_patient, make_user
from clinic.controlled_drugs import services
from clinic.controlled_drugs.ledger import LedgerRefused, verify_holding
from clinic.controlled_drugs.models import WITNESSED_KINDS, Holding, Kind, LedgerEntry
from clinic.controlled_drugs.selectors import unaccounted_mg
from clinic.controlled_drugs.tests.factories import make_drug, make_safe, receive

pytestmark = pytest.mark.django_db
D = Decimal
EXAMPLES = itertools.count()
# Quantities in half milligrams, as a nurse might draw 35.5 mg, or whole 100 mg ampoules:
# the drug comes in single-use ampoules, so only whole ones may leave the safe.
half_mg = st.integers(min_value=1, max_value=300).map(lambda n: D(n) / 2)
amounts = st.one_of(half_mg, st.integers(min_value=1, max_value=3).map(lambda n: D(100 * n)))
AMPOULE = D("100")


class RegisterMachine(RuleBasedStateMachine):
    people: dict = {}
    site = None

    @initialize()
    def open_a_fresh_register(self):
        # Each example gets its own drug and safes, so its chains start empty although the
        # test's database keeps the rows of earlier examples (they cannot be deleted).
        n = next(EXAMPLES)
        self.drug = make_drug(code=f"sm-{n}", unit_content_mg=D("100"))
        self.safes = [make_safe(self.site, f"SM-{n}-A"), make_safe(self.site, f"SM-{n}-B")]
        self.patient = make_patient(self.site, f"SM-{n}")
        self.expected = {}  # holding pk -> balance the model computed
        self.entries = []  # entries the machine may act on later
        self.batches = 0

    def _holdings(self):
        return list(Holding.objects.filter(lot__drug=self.drug).order_by("pk"))

    def _count_entries(self):
        return LedgerEntry.objects.filter(drug=self.drug).count()

    def _attempt(self, must_succeed, action):
        """Run a service; a predicted refusal must be refused and write nothing."""
        before = self._count_entries()
        try:
            result = action()
        except LedgerRefused:
            assert not must_succeed, "a valid movement was refused"
            assert self._count_entries() == before, "a refused movement wrote entries"
            return None
        assert must_succeed is not False, "an invalid movement was accepted"
        return result

    @rule(units=st.integers(1, 5), safe_index=st.integers(0, 1), new_batch=st.booleans())
    def receive(self, units, safe_index, new_batch):
        if new_batch or self.batches == 0:
            self.batches += 1
        batch = f"B{self.batches}"
        entry = receive(self.people["officer"], self.safes[safe_index], self.drug, units, batch)
        self.expected[entry.holding_id] = self.expected.get(entry.holding_id, D(0)) + D(100 * units)
        self.entries.append(entry)

    @precondition(lambda self: self.expected)
    @rule(data=st.data(), drawn=amounts, given_share=st.integers(0, 4))
    def administer(self, data, drawn, given_share):
        holding = data.draw(st.sampled_from(self._holdings()))
        given = (drawn * given_share / 4).quantize(D("0.001"))
        fits = drawn <= self.expected[holding.pk] and drawn % AMPOULE == 0
        entry = self._attempt(
            fits,
            lambda: services.record_administration(
                lot=holding.lot,
                safe=holding.safe,
                patient=self.patient,
                drawn_mg=drawn,
                administered_mg=given,
                actor=self.people["nurse"],
            ),
        )
        if entry is not None:
            self.expected[holding.pk] -= drawn
            self.entries.append(entry)

    @precondition(lambda self: any(e.kind == Kind.ADMINISTRATION for e in self.entries))
    @rule(data=st.data(), share=st.integers(1, 4), witness=st.sampled_from(["doctor", "nurse"]))
    def destroy_residue(self, data, share, witness):
        administration = data.draw(
            st.sampled_from([e for e in self.entries if e.kind == Kind.ADMINISTRATION])
        )
        open_mg = unaccounted_mg(administration)
        quantity = max((open_mg * share / 4).quantize(D("0.001")), D("0.001"))
        valid = witness != "nurse" and quantity <= open_mg
        entry = self._attempt(
            valid,
            lambda: services.record_residue_destruction(
                administration=administration,
                quantity_mg=quantity,
                actor=self.people["nurse"],
                witness=self.people[witness],
            ),
        )
        if entry is not None:
            self.entries.append(entry)

    @precondition(lambda self: self.expected)
    @rule(data=st.data(), quantity=amounts)
    def transfer(self, data, quantity):
        holding = data.draw(st.sampled_from(self._holdings()))
        other = next(s for s in self.safes if s.pk != holding.safe_id)
        result = self._attempt(
            quantity <= self.expected[holding.pk] and quantity % AMPOULE == 0,
            lambda: services.transfer_stock(
                holding=holding, to_safe=other, quantity_mg=quantity, actor=self.people["officer"]
            ),
        )
        if result is not None:
            out, into = result
            self.expected[out.holding_id] -= quantity
            self.expected[into.holding_id] = self.expected.get(into.holding_id, D(0)) + quantity
            self.entries += [out, into]

    @precondition(lambda self: self.expected)
    @rule(safe_index=st.integers(0, 1), missing=st.integers(0, 3))
    def count(self, safe_index, missing):
        safe = self.safes[safe_index]
        holdings = [h for h in self._holdings() if h.safe_id == safe.pk]
        lines = []
        for i, holding in enumerate(holdings):
            # The first lot in the safe is short by `missing` ampoules, if it can be.
            short = AMPOULE * missing if i == 0 else D(0)
            counted = max(holding.balance_mg - short, D(0))
            lines.append(
                (
                    holding,
                    counted,
                    "spilt" if counted != holding.balance_mg else "",
                    holding.last_seq,
                )
            )
        services.record_count(
            safe=safe, lines=lines, actor=self.people["officer"], witness=self.people["doctor"]
        )
        for holding, counted, _explanation, _seen in lines:
            self.expected[holding.pk] = counted

    @precondition(lambda self: self.entries)
    @rule(data=st.data(), witness=st.sampled_from(["doctor", "officer"]))
    def reverse(self, data, witness):
        entry = LedgerEntry.objects.get(pk=data.draw(st.sampled_from(self.entries)).pk)
        pair = (
            list(LedgerEntry.objects.filter(transfer_id=entry.transfer_id))
            if entry.transfer_id
            else [entry]
        )
        already = LedgerEntry.objects.filter(reverses__in=pair).exists()
        open_residue = (
            entry.kind == Kind.ADMINISTRATION
            and entry.residue_entries.filter(reversed_by__isnull=True).exists()
        )
        stays_positive = all(self.expected[e.holding_id] - e.change_mg >= 0 for e in pair)
        valid = (
            witness != "officer"
            and not already
            and not open_residue
            and entry.kind not in (Kind.REVERSAL, Kind.COUNT_ADJUSTMENT)
            and stays_positive
        )
        reversals = self._attempt(
            valid,
            lambda: services.reverse_entry(
                entry, reason="error", actor=self.people["officer"], witness=self.people[witness]
            ),
        )
        for reversal in reversals or []:
            self.expected[reversal.holding_id] += reversal.change_mg
            self.entries.append(reversal)

    @invariant()
    def balances_match_the_model_and_the_movements(self):
        if not hasattr(self, "drug"):
            return
        for holding in self._holdings():
            movements = holding.entries.aggregate(total=Sum("change_mg"))["total"] or D(0)
            assert holding.balance_mg >= 0
            assert holding.balance_mg == movements == self.expected[holding.pk]
            assert verify_holding(holding) == []
            # Stock never shows a part of an opened single-use ampoule.
            assert holding.balance_mg % AMPOULE == 0
        assert not LedgerEntry.objects.filter(drug=self.drug, balance_after_mg__lt=0).exists()

    @invariant()
    def witnesses_differ_and_reversals_are_unique(self):
        if not hasattr(self, "drug"):
            return
        entries = LedgerEntry.objects.filter(drug=self.drug)
        witnessed = entries.filter(kind__in=WITNESSED_KINDS)
        assert not witnessed.filter(witness__isnull=True).exists()
        assert not witnessed.filter(witness=F("actor")).exists()
        assert not (
            entries.filter(reverses__isnull=False)
            .values("reverses")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
            .exists()
        )

    @invariant()
    def no_ampoule_is_over_accounted(self):
        if not hasattr(self, "drug"):
            return
        for administration in LedgerEntry.objects.filter(drug=self.drug, kind=Kind.ADMINISTRATION):
            assert unaccounted_mg(administration) >= 0


def test_random_movements_keep_the_register_invariants(kyiv):
    people = {
        "officer": make_user("sm-officer@test.clinic", roles=[Role.DRUG_OFFICER], sites=[kyiv]),
        "nurse": make_user("sm-nurse@test.clinic", roles=[Role.NURSE], sites=[kyiv]),
        "doctor": make_user("sm-doctor@test.clinic", roles=[Role.PHYSICIAN], sites=[kyiv]),
    }
    RegisterMachine.people = people
    RegisterMachine.site = kyiv
    run_state_machine_as_test(
        RegisterMachine,
        settings=settings(
            max_examples=30,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            database=None,
        ),
    )
