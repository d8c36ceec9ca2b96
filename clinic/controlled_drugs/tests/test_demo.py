from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import translation

from clinic.controlled_drugs.ledger import verify_ledger
from clinic.controlled_drugs.models import (
    DiscrepancyResolution,
    Kind,
    LedgerEntry,
    StockCountLine,
)
from clinic.controlled_drugs.selectors import unaccounted_mg

pytestmark = pytest.mark.django_db


def test_the_demo_register_is_complete_balanced_and_loaded_once(settings):
    settings.DEBUG = True
    translation.activate("uk")  # as the command runs from a shell
    call_command("load_demo", "--quiet-logins", stdout=StringIO())
    kinds = dict.fromkeys(Kind.values, 0)
    for kind in LedgerEntry.objects.values_list("kind", flat=True):
        kinds[kind] += 1
    before = LedgerEntry.objects.count()
    call_command("load_demo", "--quiet-logins", stdout=StringIO())
    assert LedgerEntry.objects.count() == before
    assert kinds[Kind.RECEIPT] == 2
    assert kinds[Kind.ADMINISTRATION] >= 30  # a month of two infusions a week per patient
    assert kinds[Kind.RESIDUE_DESTRUCTION] == kinds[Kind.ADMINISTRATION]
    assert kinds[Kind.DESTRUCTION] == 1
    assert kinds[Kind.COUNT_ADJUSTMENT] == 1
    assert StockCountLine.objects.filter(adjustment__isnull=False).count() == 1
    assert DiscrepancyResolution.objects.count() == 1
    assert all(unaccounted_mg(a) == 0 for a in LedgerEntry.objects.filter(kind=Kind.ADMINISTRATION))
    dates = list(LedgerEntry.objects.order_by("recorded_at").values_list("recorded_at", flat=True))
    assert (dates[-1] - dates[0]).days >= 25
    assert verify_ledger() == []
    # The month of administrations is for the patients on the demo infusion boards, at the
    # dose their sessions carry.
    given = set(
        LedgerEntry.objects.filter(kind=Kind.ADMINISTRATION).values_list(
            "patient__record_number", "administered_mg"
        )
    )
    assert given == {
        ("K-0001", Decimal("32.3")),  # 64.5 kg x 0.5 mg/kg
        ("K-0002", Decimal("41.2")),
        ("K-0003", Decimal("29.0")),
        ("L-0002", Decimal("30.5")),
    }
