"""French translations: extract, fill, compile, check.

    python scripts/translations.py update   # extract, fill from locale/fr/parts/*.json, compile
    python scripts/translations.py check    # fail on any untranslated, fuzzy or uncompiled string

The .mo file is committed, so running the portal needs no gettext tools; extracting does.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
PARTS = ROOT / "locale" / "fr" / "parts"


def makemessages() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "1"}
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "fr",
            "--no-obsolete",
            "--no-location",
            "--ignore=.venv/*",
            "--ignore=var/*",
            "--ignore=tests/*",
            "--ignore=bench/*",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def fill_from_parts(po: polib.POFile) -> int:
    known: dict[str, str] = {}
    for part in sorted(PARTS.glob("*.json")):
        known.update(json.loads(part.read_text(encoding="utf-8")))
    filled = 0
    for entry in po:
        if entry.msgid_plural:
            key = entry.msgid
            value = known.get(key)
            plural = known.get(entry.msgid_plural)
            if value and plural and (entry.fuzzy or not all(entry.msgstr_plural.values())):
                entry.msgstr_plural = {0: value, 1: plural}
                filled += 1
        elif entry.msgid in known and (not entry.msgstr or entry.fuzzy):
            entry.msgstr = known[entry.msgid]
            filled += 1
        if entry.msgid in known and entry.fuzzy:
            entry.flags.remove("fuzzy")
    return filled


def problems(po: polib.POFile) -> list[str]:
    found = []
    for entry in po:
        if entry.obsolete:
            continue
        if entry.fuzzy:
            found.append(f"fuzzy: {entry.msgid!r}")
        elif entry.msgid_plural:
            if not all(entry.msgstr_plural.values()):
                found.append(f"untranslated plural: {entry.msgid!r}")
        elif not entry.msgstr:
            found.append(f"untranslated: {entry.msgid!r}")
    return found


def compiled_matches(po: polib.POFile) -> bool:
    if not MO.exists():
        return False
    mo = polib.mofile(str(MO))
    expected = {
        (e.msgctxt, e.msgid): (e.msgstr or dict(sorted(e.msgstr_plural.items())))
        for e in po.translated_entries()
    }
    actual = {(e.msgctxt, e.msgid): (e.msgstr or dict(sorted(e.msgstr_plural.items()))) for e in mo}
    actual.pop((None, ""), None)
    return expected == actual


def main(command: str) -> int:
    makemessages()
    po = polib.pofile(str(PO))
    if command == "update":
        filled = fill_from_parts(po)
        po.save()
        po.save_as_mofile(str(MO))
        missing = problems(po)
        print(f"{filled} filled, {len(po.translated_entries())} translated, {len(missing)} missing")
        for line in missing:
            print("  " + line)
        return 0
    missing = problems(po)
    for line in missing:
        print(line)
    if missing:
        print(f"{len(missing)} French translation(s) missing.")
        return 1
    if not compiled_matches(po):
        print("django.mo is out of date: run `python scripts/translations.py update`.")
        return 1
    print(f"French translations complete and compiled ({len(po)} strings).")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "check"))
