"""Two staff members issuing at the same moment never get the same number (PostgreSQL:
SQLite serialises writers anyway, and ignores select_for_update)."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from portail.billing.models import Invoice
from portail.billing.services import create_draft_invoice, create_regie, issue_invoices
from tests.factories import GuardianFactory, HouseholdFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_concurrent_issuing_gives_distinct_consecutive_numbers():
    regie = create_regie(name="Régie")
    household = HouseholdFactory()
    payer = GuardianFactory(household=household)
    drafts = [
        create_draft_invoice(
            regie=regie,
            kind=regie.kinds.first(),
            household=household,
            payer=payer,
            period_on=datetime.date(2024, 5, 1),
            lines=[{"child": None, "label": "Forfait", "quantity": 1, "unit_price": Decimal("9")}],
        )
        for _ in range(20)
    ]
    barrier = threading.Barrier(4)
    errors = []

    def issue(chunk):
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

    assert errors == []
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"2024-{n:05d}" for n in range(1, 21)]
