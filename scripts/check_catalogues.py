"""Fail when a translation catalogue is incomplete or out of date.

- every entry of the uk and en catalogues is translated and none is fuzzy;
- the catalogues contain every string the code marks for translation (makemessages is run on
  a scratch copy and must find nothing new).
Run from the project root with the project's Python (`make lint`).
"""

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "clinic" / "locale"
LANGUAGES = ("uk", "en")
DOMAINS = ("django", "djangojs")


def parse(path: Path) -> list[dict]:
    """A small PO reader: entries with msgctxt, msgid, msgstr values and flags."""
    entries, entry, key = [], None, None
    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line:
            if entry is not None:
                entries.append(entry)
            entry, key = None, None
            continue
        if line.startswith("#~"):
            continue  # obsolete
        entry = entry if entry is not None else {"flags": set(), "msgstr": {}}
        if line.startswith("#,"):
            entry["flags"].update(f.strip() for f in line[2:].split(","))
        elif line.startswith("#"):
            continue
        else:
            match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+"(.*)"$', line)
            if match:
                key, text = match.group(1), match.group(2)
                if key.startswith("msgstr"):
                    entry["msgstr"][key] = text
                else:
                    entry[key] = text
            elif line.startswith('"') and key:
                text = line[1:-1]
                if key.startswith("msgstr"):
                    entry["msgstr"][key] += text
                else:
                    entry[key] += text
    return [e for e in entries if e.get("msgid") or e.get("msgid_plural")]


def problems_in(path: Path) -> list[str]:
    found = []
    for entry in parse(path):
        label = entry.get("msgid", "")[:60]
        if "fuzzy" in entry["flags"]:
            found.append(f"{path.relative_to(ROOT)}: fuzzy: {label!r}")
        if not entry["msgstr"] or any(v == "" for v in entry["msgstr"].values()):
            found.append(f"{path.relative_to(ROOT)}: untranslated: {label!r}")
    return found


def keys_of(path: Path) -> set[tuple[str, str]]:
    return (
        {(e.get("msgctxt", ""), e.get("msgid", "")) for e in parse(path)}
        if path.exists()
        else set()
    )


def missing_strings() -> list[str]:
    """Run makemessages on a scratch copy of the locale dir and report strings it adds."""
    found = []
    with tempfile.TemporaryDirectory() as scratch:
        backup = Path(scratch) / "locale"
        shutil.copytree(LOCALE, backup)
        try:
            for domain in DOMAINS:
                args = [
                    sys.executable,
                    "manage.py",
                    "makemessages",
                    "-d",
                    domain,
                    "-v",
                    "0",
                    "--no-obsolete",
                    "--ignore=.venv/*",
                    "--ignore=.tools/*",
                    "--ignore=var/*",
                ]
                for lang in LANGUAGES:
                    args += ["-l", lang]
                subprocess.run(args, cwd=ROOT, check=True)
            for lang in LANGUAGES:
                for domain in DOMAINS:
                    rel = Path(lang) / "LC_MESSAGES" / f"{domain}.po"
                    new = keys_of(LOCALE / rel) - keys_of(backup / rel)
                    found += [f"{rel}: not in the catalogue: {msgid[:60]!r}" for _, msgid in new]
        finally:
            shutil.rmtree(LOCALE)
            shutil.copytree(backup, LOCALE)
    return found


def main() -> int:
    problems = []
    for lang in LANGUAGES:
        for domain in DOMAINS:
            path = LOCALE / lang / "LC_MESSAGES" / f"{domain}.po"
            if path.exists():
                problems += problems_in(path)
            elif domain == "django":
                problems.append(f"{path.relative_to(ROOT)} is missing")
    problems += missing_strings()
    for problem in problems:
        print(problem)
    print(f"catalogues: {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
