from decimal import Decimal

from django.utils import translation

from clinic.core.numbers import quantity


def test_a_quantity_drops_trailing_zeros_and_rounds_to_three_places():
    with translation.override("uk"):
        assert quantity(Decimal("31.8000000000000")) == "31,8"
        assert quantity(Decimal("100.000")) == "100"
        assert quantity(Decimal("0.33333")) == "0,333"
        assert quantity(None) == ""
    with translation.override("en"):
        assert quantity(Decimal("1E+2")) == "100"
        assert quantity(Decimal("0.5")) == "0.5"
