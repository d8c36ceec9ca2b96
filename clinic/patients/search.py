"""Search terms for patients and the parsing of what staff type into the search box.

SQLite's lower() and LIKE do not fold Cyrillic (stack.md), so names are folded in Python:
NFC, casefold, every apostrophe variant made one, and kept as separate words in an indexed
table. Phones are kept as the national significant number (9 digits for Ukraine), so
"067 123 45 67", "+380671234567" and "671234567" all find the same person.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from clinic.patients.transliteration import APOSTROPHES, transliterate

_APOSTROPHE_RE = re.compile(f"[{re.escape(APOSTROPHES)}]")
_WORD_RE = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_DATE_RES = (
    re.compile(r"^(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})$"),
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$"),
)
MAX_TERM = 100


def fold(text: str) -> str:
    """The comparable form of a name: NFC, case-folded, one apostrophe."""
    text = unicodedata.normalize("NFC", text).casefold()
    # "ß".casefold() is "ss" and Cyrillic is unaffected; homoglyph Latin "i" stays distinct.
    return _APOSTROPHE_RE.sub("'", text)


def name_words(text: str) -> list[str]:
    return [w[:MAX_TERM] for w in _WORD_RE.findall(fold(text))]


def national_digits(phone: str) -> str:
    """Digits of a Ukrainian number without the country code or trunk zero."""
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("380"):
        digits = digits[3:]
    elif digits.startswith("0"):
        digits = digits[1:]
    return digits


def record_term(record_number: str) -> str:
    # Record numbers are Latin (K-0001); "К-0001" typed on a Ukrainian layout finds it too.
    return fold(transliterate(record_number)).replace(" ", "")


@dataclass(frozen=True)
class ParsedQuery:
    prefixes: tuple[str, ...] = ()
    birth_date: date | None = None


def parse_query(query: str) -> ParsedQuery:
    """What to look for: a date of birth, a phone number, a record number or name words."""
    query = (query or "").replace("\x00", "").strip()[:200]
    for pattern in _DATE_RES:
        match = pattern.match(query)
        if match:
            try:
                return ParsedQuery(
                    birth_date=date(int(match["y"]), int(match["m"]), int(match["d"]))
                )
            except ValueError:
                return ParsedQuery()
    digits = re.sub(r"\D", "", query)
    if re.fullmatch(r"[\d\s()+\-]+", query) and len(digits) >= 3:
        return ParsedQuery(prefixes=("tel:" + national_digits(query),))
    if re.fullmatch(r"[A-Za-zА-Яа-яІіЇїЄєҐґ]{1,3}-\d+", query):
        return ParsedQuery(prefixes=(record_term(query),))
    return ParsedQuery(prefixes=tuple(name_words(query))[:5])


def terms_for(patient) -> list[tuple[str, str]]:
    """(kind, term) rows for one patient."""
    terms = set()
    for text in (
        patient.family_name,
        patient.given_name,
        patient.patronymic,
        patient.family_name_latin,
        patient.given_name_latin,
    ):
        terms.update(("name", word) for word in name_words(text or ""))
    terms.add(("record", record_term(patient.record_number)))
    phone = str(patient.phone or "")
    if phone:
        terms.add(("phone", "tel:" + national_digits(phone)))
    return sorted(terms)
