"""make audit's « Load » row (scripts/audit.py ``load_row``) reads bench/scenario.py's figures:
REL-04's run only, each budget checked, a missing memory figure shown as such."""

import importlib.util
import json
import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def load_audit():
    spec = importlib.util.spec_from_file_location("audit", SCRIPTS / "audit.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("audit", module)
    spec.loader.exec_module(module)
    return module


audit = load_audit()


def scenario(**changes):
    figures = {
        "date": "2026-11-27T13:31:00+01:00",
        "load_average": 0.5,
        "parents": 200,
        "staff": 20,
        "duration": 600,
        "scale": 1.0,
        "think_seconds": [5.0, 15.0],
        "peak_rss_mb": 702.0,
        "rows": {"households.Household": 100000},
        "server_errors_logged": {},
        "simulator_faults": 200,
        "pages": {
            "Aggregated": {
                "requests": 2852,
                "per_second": 5.3,
                "p50_ms": 110.0,
                "p95_ms": 420.0,
                "p99_ms": 600.0,
            }
        },
        "verdicts": {
            "slowest_page": "Back office: household search",
            "slowest_p95_ms": 690.0,
            "p95_met": True,
            "error_rate": 0.035,
            "errors_met": True,
            "rss_growth_percent": 9.1,
            "memory_met": True,
        },
    }
    for key, value in changes.items():
        if key in figures["verdicts"]:
            figures["verdicts"][key] = value
        else:
            figures[key] = value
    return figures


def row_for(tmp_path, monkeypatch, figures):
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(figures), encoding="utf-8")
    monkeypatch.setattr(audit, "SCENARIO", path)
    monkeypatch.setattr(audit, "LOAD", tmp_path / "no-load.json")
    return audit.load_row()


def test_rel04_run_within_budget_is_met(tmp_path, monkeypatch):
    row = row_for(tmp_path, monkeypatch, scenario())
    assert row.met is True
    assert "200 parents + 20 agents for 600 s" in row.measured
    assert "slowest page Back office: household search p95 690" in row.measured
    assert "portal 5xx 0 (PayFiP simulator's SOAP faults apart: 200)" in row.measured
    assert "+9.1 % after warm-up" in row.measured


def test_a_budget_missed_is_not_met(tmp_path, monkeypatch):
    assert row_for(tmp_path, monkeypatch, scenario(errors_met=False)).met is False
    assert row_for(tmp_path, monkeypatch, scenario(p95_met=False)).met is False


def test_a_shorter_or_smaller_run_does_not_count(tmp_path, monkeypatch):
    row = row_for(tmp_path, monkeypatch, scenario(duration=120, parents=3))
    assert row.met is None
    assert "not REL-04's run" in row.measured
    assert "duration 120 (REL-04: 600)" in row.measured
    assert "parents 3 (REL-04: 200)" in row.measured


def test_memory_not_measured_is_said_and_not_met(tmp_path, monkeypatch):
    row = row_for(
        tmp_path, monkeypatch, scenario(rss_growth_percent=None, memory_met=False, peak_rss_mb=None)
    )
    assert row.met is False
    assert "not measured" in row.measured.lower()
