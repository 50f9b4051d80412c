"""The SQLite profile (SECURITY REL-02): on a SQLite file with the project's settings
(IMMEDIATE transactions, WAL, a 20 s busy timeout: config/settings.py), 20 writers issuing
invoices and recording their payments through the services for SQLITE_PROFILE_SECONDS
(10 s in the normal suite, 60 s in `make audit`) never meet « database is locked ».

The test suite's own SQLite database is in memory, which hides file locking: the writers run
in a child process on a fresh file database (migrated there), as a single portal process
with 20 threads would. Skipped on PostgreSQL, whose profile this is not."""

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
import traceback
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection

from .figures import record

ROOT = Path(__file__).resolve().parents[2]
WRITERS = 20


def run_writers(seconds: float, writers: int) -> dict:
    """In the child process: ``writers`` threads write for ``seconds``; returns the counts."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import OperationalError, connections
    from django.utils import timezone

    from portail.billing.services import create_draft_invoice, create_regie, issue_invoices
    from portail.payments.models import PaymentMethod
    from portail.payments.services import record_payment
    from tests.factories import GuardianFactory, HouseholdFactory

    call_command("migrate", verbosity=0)  # already migrated: the test copied its database
    regie = create_regie(name="Régie Petite Enfance")
    kind = regie.kinds.first()
    payers = [GuardianFactory(household=HouseholdFactory()) for _ in range(writers)]
    counts = {"transactions": 0, "locked_errors": 0, "other_errors": 0, "examples": []}
    lock = threading.Lock()
    barrier = threading.Barrier(writers)
    started = time.monotonic()
    deadline = started + seconds

    def write(payer):
        barrier.wait()
        try:
            while time.monotonic() < deadline:
                done = 0
                try:
                    draft = create_draft_invoice(
                        regie=regie,
                        kind=kind,
                        household=payer.household,
                        payer=payer,
                        period_on=timezone.localdate().replace(day=1),
                        lines=[
                            {
                                "child": None,
                                "label": "Accueil",
                                "quantity": Decimal("4"),
                                "unit_price": Decimal("2.90"),
                            }
                        ],
                    )
                    done += 1
                    (invoice,) = issue_invoices(invoices=[draft])
                    done += 1
                    record_payment(
                        regie=regie,
                        payer=payer,
                        method=PaymentMethod.CASH,
                        amount=invoice.total,
                        invoices=[invoice],
                    )
                    done += 1
                except OperationalError as error:
                    with lock:
                        key = "locked_errors" if "locked" in str(error) else "other_errors"
                        counts[key] += 1
                        where = [
                            f"{frame.filename.split('/work/main/')[-1]}:{frame.lineno} {frame.name}"
                            for frame in traceback.extract_tb(error.__traceback__)
                            if "/portail/" in frame.filename
                        ]
                        example = (
                            f"{error!r} after {time.monotonic() - started:.0f} s in {where[-2:]}"
                        )
                        counts["examples"] = (counts["examples"] + [example])[:5]
                except Exception as error:  # counted: the profile must have none
                    with lock:
                        counts["other_errors"] += 1
                        counts["examples"] = (counts["examples"] + [repr(error)])[:5]
                with lock:
                    counts["transactions"] += done
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(payer,)) for payer in payers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {**counts, "writers": writers, "seconds": round(time.monotonic() - started, 1)}


# Outside a transaction, so that SQLite's backup API can copy the test database.
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite profile")
def test_twenty_writers_never_meet_database_is_locked(tmp_path):
    seconds = float(os.environ.get("SQLITE_PROFILE_SECONDS", "10"))
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "PYTEST_CURRENT_TEST"}
    }
    # The project's defaults: the database task queue (its rows are writes too).
    env.pop("TASKS_BACKEND", None)
    env["SQLITE_PATH"] = str(tmp_path / "profile.sqlite3")
    # The test database, migrated, copied to the file (SQLite's backup API): no migrations
    # to run again in the child.
    connection.ensure_connection()
    copy = sqlite3.connect(env["SQLITE_PATH"])
    try:
        connection.connection.backup(copy)
    finally:
        copy.close()
    result = subprocess.run(  # noqa: S603 (this file, run by the project's Python)
        [sys.executable, "-m", __name__, str(seconds), str(WRITERS)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=seconds + 600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    counts = json.loads(result.stdout.strip().splitlines()[-1])
    record(
        "sqlite_profile",
        writers=counts["writers"],
        seconds=counts["seconds"],
        transactions=counts["transactions"],
        locked_errors=counts["locked_errors"],
        other_errors=counts["other_errors"],
        examples=counts["examples"],
    )
    assert counts["examples"] == []
    assert (counts["locked_errors"], counts["other_errors"]) == (0, 0)
    # Every writer got through: three write transactions per invoice, several invoices each.
    assert counts["transactions"] >= 3 * WRITERS
    assert counts["seconds"] >= seconds


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    print(json.dumps(run_writers(float(sys.argv[1]), int(sys.argv[2]))))
