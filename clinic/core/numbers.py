"""Quantities for people: the page's decimal separator and no tail of zeros.

A Decimal keeps the scale of its column or of a sum (31.8 mg summed over sessions prints as
"31,8000000000000"); Django's `floatformat:-3` still pads to three places ("31,800").
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.formats import number_format


def quantity(value, places: int = 3) -> str:
    """`value` rounded to at most `places` decimals, trailing zeros dropped, localised."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP).normalize()
    if number == number.to_integral_value():
        number = number.quantize(Decimal(1))  # 1E+2 -> 100
    return number_format(number, use_l10n=True)
