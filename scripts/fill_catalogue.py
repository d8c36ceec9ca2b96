"""Fill empty msgstr entries of a PO file from a Python dict of translations.

    python scripts/fill_catalogue.py clinic/locale/uk/LC_MESSAGES/django.po translations.py

`translations.py` defines `T = {msgid: msgstr}` with msgids written as in the PO file
(escapes such as \\n kept). The English catalogue is filled with `msgen` instead.
"""

import runpy
import sys
from pathlib import Path


def unquote_lines(lines):
    return "".join(line.strip()[1:-1] for line in lines)


def fill(po_path: Path, translations: dict) -> int:
    blocks = po_path.read_text(encoding="utf-8").split("\n\n")
    filled = 0
    for i, block in enumerate(blocks):
        lines = block.split("\n")
        lines = [line for line in lines if line != "#, fuzzy"] if i == 0 else lines
        try:
            start = next(n for n, line in enumerate(lines) if line.startswith("msgid "))
            end = next(n for n, line in enumerate(lines) if line.startswith("msgstr"))
        except StopIteration:
            blocks[i] = "\n".join(lines)
            continue
        msgid = lines[start][6:].strip()[1:-1] + unquote_lines(lines[start + 1 : end])
        msgstr = unquote_lines([lines[end][7:]] + lines[end + 1 :])
        if i > 0 and msgstr == "" and msgid in translations:
            text = translations[msgid].replace('"', '\\"')
            lines = lines[:end] + [f'msgstr "{text}"']
            filled += 1
        blocks[i] = "\n".join(lines)
    po_path.write_text("\n\n".join(blocks), encoding="utf-8")
    return filled


if __name__ == "__main__":
    path, table = Path(sys.argv[1]), runpy.run_path(sys.argv[2])["T"]
    print(f"filled {fill(path, table)} entries")
