"""Two staff members issuing at the same moment never get the same number (PostgreSQL:
SQLite serialises writers anyway, and ignores select_for_update)."""

import datetime
import os
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from portail.billing.models import Invoice
from portail.billing.services import create_draft_invoice, create_regie, issue_invoices
from tests.factories import GuardianFactory, HouseholdFactory
from tests.security.figures import record

pytestmark = pytest.mark.django_db(transaction=True)


RUNS = int(os.environ.get("BILLING_CONCURRENCY_RUNS", "1"))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_concurrent_issuing_gives_distinct_consecutive_numbers():
    violations = []
    for run in range(RUNS):
        regie = create_regie(name=f"Régie {run + 1}")
        household = HouseholdFactory()
        payer = GuardianFactory(household=household)
        drafts = [
            create_draft_invoice(
                regie=regie,
                kind=regie.kinds.first(),
                household=household,
                payer=payer,
                period_on=datetime.date(2024, 5, 1),
                lines=[
                    {"child": None, "label": "Forfait", "quantity": 1, "unit_price": Decimal("9")}
                ],
            )
            for _ in range(20)
        ]
        barrier = threading.Barrier(4)
        errors = []

        def issue(chunk, barrier=barrier, errors=errors):
            try:
                barrier.wait()
                issue_invoices(invoices=chunk, issued_on=datetime.date(2024, 5, 31))
            except Exception as exc:  # reported below
                errors.append(exc)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=issue, args=(drafts[i::4],)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        numbers = sorted(Invoice.objects.filter(regie=regie).values_list("number", flat=True))
        if errors or numbers != [f"2024-{n:05d}" for n in range(1, 21)]:
            violations.append((run, errors, numbers))
    record(
        "concurrency",
        invoice_numbering_runs=RUNS,
        invoice_numbering_invariants=2,
        invoice_numbering_violations=len(violations),
    )
    assert violations == []
