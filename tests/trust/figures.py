"""Figures of the trust matrices: each matrix writes ``var/figures/<name>.json`` (keys in
README.md) for ``scripts/audit.py`` to print. ``TRUST_FIGURES_DIR`` moves the folder."""

import datetime
import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def figures_dir() -> Path:
    return Path(os.environ.get("TRUST_FIGURES_DIR", ROOT / "var" / "figures"))


def write_figures(name: str, figures: dict) -> Path:
    """Write (replace) one matrix's figures, with when they were measured."""
    path = figures_dir() / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "matrix": name,
        "measured_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        **figures,
    }
    path.write_text(
        json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False, default=str),
        encoding="utf-8",
    )
    return path
