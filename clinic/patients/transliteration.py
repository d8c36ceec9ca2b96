"""Ukrainian to Latin, by the official table (Cabinet of Ministers Resolution No. 55 of
27.01.2010), the one used for passports.

Rules of the table: є, ї, й, ю, я are written Ye, Yi, Y, Yu, Ya at the start of a word and
ie, i, i, iu, ia elsewhere; "зг" is "zgh" (to keep it apart from "ж" = "zh"); the soft sign and
the apostrophe are not written.
"""

import unicodedata

_LETTERS = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ie",
    "ж": "zh", "з": "z", "и": "y", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l",
    "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
    "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ь": "", "ю": "iu",
    "я": "ia",
}  # fmt: skip
_WORD_START = {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}
APOSTROPHES = "'\u2019\u02bc\u2018`\u00b4"


def _word(word: str) -> str:
    out = []
    lower = word.lower()
    for i, char in enumerate(lower):
        if char in APOSTROPHES:
            continue
        if char == "г" and i > 0 and lower[i - 1] == "з":
            latin = "gh"
        elif i == 0 and char in _WORD_START:
            latin = _WORD_START[char]
        else:
            latin = _LETTERS.get(char, char)
        if word[i].isupper() and latin:
            # Capital letter: capitalise the first Latin letter, or all of them when the
            # whole word is written in capitals.
            latin = latin.upper() if word.isupper() and len(word) > 1 else latin.capitalize()
        out.append(latin)
    return "".join(out)


def transliterate(text: str) -> str:
    """'Щербак-Їжакевич Юлія' -> 'Shcherbak-Yizhakevych Yuliia'."""
    text = unicodedata.normalize("NFC", text)
    words, current = [], []
    for char in text:
        if char.isalpha() or char in APOSTROPHES:
            current.append(char)
        else:
            if current:
                words.append(_word("".join(current)))
                current = []
            words.append(char)
    if current:
        words.append(_word("".join(current)))
    return "".join(words)
