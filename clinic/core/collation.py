"""Sorting displayed names the way a reader of the page's language expects.

Python's `locale` depends on what the server has installed and is process-wide, so it cannot
follow the language of each request. This key follows the Ukrainian alphabet (Правопис 2019,
§ 1: а б в г ґ д е є ж з и і ї й к л м н о п р с т у ф х ц ч ш щ ь ю я) and, as in
dictionaries, ignores the apostrophe and hyphens at the first level. On Ukrainian pages
Cyrillic comes before Latin; on English pages Latin comes first. Case and accents only break
ties.
"""

import unicodedata
from collections.abc import Callable, Iterable

from django.utils.translation import get_language

UKRAINIAN_ALPHABET = "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя"
_CYRILLIC = {letter: index for index, letter in enumerate(UKRAINIAN_ALPHABET)}
# Letters of other Cyrillic alphabets a name may carry, placed next to their nearest letter.
_CYRILLIC.update(
    {"ё": _CYRILLIC["е"], "ы": _CYRILLIC["и"], "э": _CYRILLIC["е"], "ъ": _CYRILLIC["ь"]}
)
_IGNORED = {"'", "ʼ", "’", "‘", "`", "-", "‐", "‑", "–"}


def _letter(char: str, cyrillic_first: bool) -> tuple[int, int]:
    if char.isspace():
        return (0, 0)
    if char.isdigit():
        return (1, int(char) if char.isascii() else ord(char))
    if char in _CYRILLIC:
        return (2 if cyrillic_first else 3, _CYRILLIC[char])
    base = unicodedata.normalize("NFKD", char)[0]
    if "a" <= base <= "z":
        return (3 if cyrillic_first else 2, ord(base))
    return (4, ord(char))


def collation_key(text: str, language: str | None = None) -> tuple:
    """A sort key for `text` in `language` (the active language when not given)."""
    language = (language or get_language() or "uk").split("-")[0]
    folded = text.casefold()
    # "й" and "ї" are letters of their own: compose them back after casefold() may split them.
    folded = unicodedata.normalize("NFC", folded)
    primary = tuple(
        _letter(char, cyrillic_first=language == "uk") for char in folded if char not in _IGNORED
    )
    return (primary, folded, text)


def sorted_by_name[T](
    items: Iterable[T], name: Callable[[T], str] = str, language: str | None = None
) -> list[T]:
    """`items` in the reading order of `language` by their displayed name."""
    return sorted(items, key=lambda item: collation_key(name(item), language))
