"""Reading a person's full name, as typed on the contact form, into the parts of a record.

Ukrainian documents write the family name first ("Прохоренко Вікторія Олегівна"); people
often type the given name first ("Вікторія Прохоренко"). A patronymic has recognisable endings
(-ович/-евич/-йович, -івна/-ївна/-овна/-евна, and their Latin spellings), which is the only
reliable clue to the order. Anything the rules cannot read for certain is left for the
receptionist to fill in: a wrong split would put a wrong name on the record.
"""

import re
from dataclasses import dataclass

_PATRONYMIC = re.compile(
    r"(ович|евич|євич|йович|івна|ївна|овна|евна|ічна|інічна"
    r"|ovych|evych|yovych|ivna|yivna|ovna|ovich|evich|ovic|evna)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class NameParts:
    family_name: str = ""
    given_name: str = ""
    patronymic: str = ""
    # True when the parts were read from the name and the receptionist should check them;
    # False when the name could not be split and the fields are left empty.
    split: bool = False

    def initial(self) -> dict[str, str]:
        return {
            "family_name": self.family_name,
            "given_name": self.given_name,
            "patronymic": self.patronymic,
        }


def looks_like_patronymic(word: str) -> bool:
    return len(word) > 4 and bool(_PATRONYMIC.search(word))


def split_full_name(full_name: str) -> NameParts:
    """Family, given name and patronymic read from a full name, or nothing when unsure."""
    words = full_name.split()
    if len(words) == 3:
        first, middle, last = words
        if looks_like_patronymic(middle) and not looks_like_patronymic(last):
            # "Вікторія Олегівна Прохоренко": given, patronymic, family.
            return NameParts(last, first, middle, split=True)
        if looks_like_patronymic(first) or looks_like_patronymic(middle):
            return NameParts()
        # Ukrainian order: family, given, patronymic.
        return NameParts(first, middle, last, split=True)
    if len(words) == 2 and not any(looks_like_patronymic(w) for w in words):
        # Two words: family name first, as on Ukrainian documents; the receptionist checks.
        return NameParts(words[0], words[1], split=True)
    # One word, four or more: a surname, a given name or a double name; do not guess.
    return NameParts()
