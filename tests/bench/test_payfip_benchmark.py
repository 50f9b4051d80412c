"""The PayFiP benchmark still runs: a few notifications and a small reconciliation pass
against the simulator served by a real server process, on a throwaway SQLite database."""

import os
import subprocess
import sys

from bench._setup import RESULTS_FILE, ROOT


def test_payfip_benchmark_records_one_payment_per_paid_attempt_and_leaves_the_docs_alone():
    before = RESULTS_FILE.read_text(encoding="utf-8")

    finished = subprocess.run(
        [
            sys.executable,
            "bench/payfip_notifications.py",
            "--notifications",
            "4",
            "--threads",
            "2",
            "--attempts",
            "12",
            "--no-append",
        ],
        cwd=ROOT,
        # SQLite whatever the suite runs on: creating and migrating a PostgreSQL database
        # would double the time.
        env={key: value for key, value in os.environ.items() if key != "DATABASE_URL"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert finished.returncode == 0, finished.stderr[-3000:]
    assert "| 4 | 2 |" in finished.stdout
    assert "exactly 4 payments exist, one per attempt" in finished.stdout
    assert "| `reconcile_payments` (one process) | 12 |" in finished.stdout
    assert "Every attempt paid at the simulator got exactly one payment" in finished.stdout
    assert RESULTS_FILE.read_text(encoding="utf-8") == before
