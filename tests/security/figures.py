"""The figures of SECURITY.md part 4 measured by the security and audit suites.

Tests call ``record(area, **values)``; at the end of the run the conftest writes them to
``SECURITY_FIGURES_PATH`` (default var/security_figures.json), which ``scripts/audit.py``
prints as the table. Values add up when a test records the same figure several times
(parametrised tests)."""

import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIGURES: dict[str, dict] = {}


def record(area: str, **values) -> None:
    current = FIGURES.setdefault(area, {})
    for key, value in values.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool) and key in current:
            current[key] += value
        else:
            current[key] = value


def write() -> Path | None:
    if not FIGURES:
        return None
    path = Path(os.environ.get("SECURITY_FIGURES_PATH", ROOT / "var" / "security_figures.json"))
    path.parent.mkdir(parents=True, exist_ok=True)
    existing = {}
    if path.exists():
        try:
            existing = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            existing = {}
    existing.update(FIGURES)
    path.write_text(json.dumps(existing, indent=2, sort_keys=True), encoding="utf-8")
    return path
