"""Money in whole kopecks: the only amount type in billing.

Every amount is an `int` of kopecks in the database and in Python. Hryvnias typed by a person
are parsed here once (`parse`), shown here once (`format_uah`), and divided here once
(`percent_of`, `split`), so no float and no Decimal arithmetic reaches a total.
"""

import re

from django.utils.formats import number_format

_AMOUNT = re.compile(r"^(?P<whole>\d{1,9})(?:[.,](?P<part>\d{1,2}))?$")


class AmountError(ValueError):
    """The text is not an amount of hryvnias with at most two decimals."""


def parse(text: str) -> int:
    """'1 250,5' -> 125050 kopecks. Spaces (thousands) are ignored; at most two decimals."""
    cleaned = re.sub(r"[\s\u00a0\u202f]", "", str(text or ""))
    match = _AMOUNT.match(cleaned)
    if not match:
        raise AmountError(text)
    part = (match["part"] or "").ljust(2, "0")
    return int(match["whole"]) * 100 + int(part or 0)


def format_uah(kopecks: int) -> str:
    """125050 -> '1 250,50' in the page's locale (the sign kept)."""
    sign = "-" if kopecks < 0 else ""
    whole, part = divmod(abs(int(kopecks)), 100)
    return f"{sign}{number_format(whole, use_l10n=True, force_grouping=True)}" + (
        f"{_decimal_separator()}{part:02d}"
    )


def _decimal_separator() -> str:
    return number_format(0.5, decimal_pos=1, use_l10n=True)[1]


def percent_of(kopecks: int, percent: int) -> int:
    """`percent`% of an amount, rounded half up to the kopeck, in integers only."""
    if not 0 <= percent <= 100:
        raise AmountError(percent)
    return (kopecks * percent + 50) // 100


def split(total: int, parts: int) -> list[int]:
    """`total` in `parts` shares that differ by at most one kopeck and sum to `total` exactly
    (the first shares carry the remainder): a package's price over its units."""
    if parts < 1:
        raise AmountError(parts)
    share, remainder = divmod(total, parts)
    return [share + 1 if index < remainder else share for index in range(parts)]
