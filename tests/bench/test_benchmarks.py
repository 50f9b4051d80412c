"""The benchmarks still run: each one at a tiny scale, so that they do not rot between the
runs whose figures go to docs/benchmarks.md."""

import json
import os
import subprocess
import sys

import pytest

from bench import invoices_page, issue_invoices
from bench._setup import RESULTS_FILE, ROOT, percentile


def test_issuing_benchmark_times_every_stage_and_leaves_pdfs_and_emails():
    stages = issue_invoices.run(households=3, processes=1)

    assert [stage.name.split(" ")[0] for stage in stages] == ["Drafts", "Issue", "PDFs", "E-mails"]
    assert all(stage.count == 3 for stage in stages)
    report = issue_invoices.report(stages)
    assert "| **Whole run** | 3 |" in report
    assert "Target: the whole run in 60 s or less" in report


def test_invoices_page_benchmark_measures_the_page_for_1_and_many_invoices():
    result = invoices_page.run(invoices=60, requests=3, household_invoices=8)

    assert result["invoices"] == 60
    for family in ("one", "many"):
        page = result[family]
        assert page["queries"] > 0
        assert 0 < page["p50"] <= page["p95"] <= page["max"]
    assert "| 8 invoices |" in invoices_page.report(result)


def test_percentile_is_the_nearest_rank():
    values = [float(value) for value in range(1, 101)]

    assert percentile(values, 0.50) == 50
    assert percentile(values, 0.95) == 95
    assert percentile([7.0], 0.95) == 7


@pytest.mark.parametrize(
    ("script", "arguments", "expected"),
    [
        ("issue_invoices.py", ["--households", "2"], "| **Whole run** | 2 |"),
        (
            "invoices_page.py",
            ["--invoices", "20", "--requests", "2", "--household-invoices", "4"],
            "| 4 invoices |",
        ),
    ],
)
def test_script_runs_on_a_throwaway_database_and_leaves_the_docs_alone(script, arguments, expected):
    before = RESULTS_FILE.read_text(encoding="utf-8")

    finished = subprocess.run(  # noqa: S603 (our own script)
        [sys.executable, f"bench/{script}", *arguments, "--no-append"],
        cwd=ROOT,
        # SQLite whatever the suite runs on: a PostgreSQL database to create and migrate
        # would double the time; the in-process tests above run on the suite's database.
        env={key: value for key, value in os.environ.items() if key != "DATABASE_URL"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert finished.returncode == 0, finished.stderr
    assert expected in finished.stdout
    assert RESULTS_FILE.read_text(encoding="utf-8") == before


def test_peak_hour_scenario_walks_every_page_of_the_journey(tmp_path):
    """bench/scenario.py (REL-04) on a small throwaway city: Locust's parents go through
    every page of their journey — the login with their password, the payment's start at the
    PayFiP simulator — and the agent through the back office, without a failure."""
    before = RESULTS_FILE.read_text(encoding="utf-8")
    figures_file = tmp_path / "scenario.json"

    finished = subprocess.run(  # noqa: S603 (our own script)
        [
            sys.executable,
            "bench/scenario.py",
            *("--scale", "0.002", "--parents", "3", "--staff", "1", "--duration", "30"),
            *("--think", "0.5-1", "--warm-up-families", "2", "--workers", "2"),
            *("--no-append", "--json", str(figures_file)),
        ],
        cwd=ROOT,
        env={key: value for key, value in os.environ.items() if key != "DATABASE_URL"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert finished.returncode == 0, finished.stderr[-3000:]
    figures = json.loads(figures_file.read_text(encoding="utf-8"))
    journey = {
        "connexion (page)",
        "connexion (POST)",
        "MON TABLEAU DE BORD",
        "MES FACTURES",
        "une facture",
        "PDF de la facture",
        "payer : confirmation",
        "payer : départ vers PayFiP",
        "déconnexion",
    }
    walked = {name for name, page in figures["pages"].items() if page["requests"]}
    assert journey <= walked, journey - walked
    assert any(name.startswith("Back office: ") for name in walked)
    assert figures["failures"] == [] and figures["exceptions"] == []
    assert figures["pages"]["Aggregated"]["failures"] == 0
    assert figures["server_errors_logged"] == {}
    assert figures["simulator_faults"] == 0  # a new city: no earlier attempt to check
    assert figures["peak_rss_mb"] > 0
    assert "| **All requests** |" in finished.stdout
    assert RESULTS_FILE.read_text(encoding="utf-8") == before


def test_peak_hour_counts_the_portals_5xx_by_route_and_the_simulators_faults_apart():
    """REL-04's error rate is the portal's: a SOAP fault of the PayFiP simulator (HTTP 500 is
    how PayFiP answers « P5 ») is counted apart, and django.request's own line for an answer
    already in the request log is not counted twice."""
    from bench import scenario

    def line(logger, status, route):
        return json.dumps({"logger": logger, "status": status, "route": route})

    log = [
        line("portail.requests", 200, "family:dashboard"),
        line("portail.requests", 500, "billing:invoice_pdf"),
        line("django.request", 500, "billing:invoice_pdf"),
        line("portail.requests", 502, "billing:invoice_pdf"),
        line("portail.requests", 503, "payments:start"),
        line("portail.requests", 500, "payfip_simulator:soap"),
        line("django.request", 500, "payfip_simulator:soap"),
        "[2026-11-27 15:00:00 +0100] [42] [INFO] Booting worker with pid: 42",
    ]

    errors, simulator_faults = scenario.server_errors(log)

    assert errors == {"billing:invoice_pdf": 2, "payments:start": 1}
    assert simulator_faults == 1
    assert scenario.by_route(errors) == " (billing:invoice_pdf: 2, payments:start: 1)"
    assert scenario.by_route({}) == ""
