"""« MES FACTURES » costs the same number of queries whatever the number of invoices, lines,
payments and credit notes, in the household and in the table."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portail.billing.models import Invoice
from portail.billing.services import cancel_invoice, create_credit_note
from portail.households.models import RequestKind
from portail.households.services import refuse_request, submit_request
from portail.payments.models import Payment, PaymentMethod
from portail.payments.services import record_payment

from ..families import make_family
from ..test_query_counts import PAGE_QUERIES
from .conftest import hours, issue_invoice

# 5 for every family page (see tests/portal/test_query_counts.py), then the page's own.
LIST_QUERIES = (
    # + invoices counted, unpaid counted and credit left (one query), one page of invoices,
    # payments, the page's direct-debit dates (« sera prélevée le … »)
    9
)
DETAIL_QUERIES = (
    # + invoice with kind, régie and payer, lines, payments, credit notes, its direct-debit
    # date, the family's questions about it (one prefetch)
    11
)


def bulk_issued(regie, family, count, *, prefix):
    """``count`` issued invoices (no lines: only the list reads them) and one payment each."""
    kinds = list(regie.kinds.all())
    invoices = Invoice.objects.bulk_create(
        Invoice(
            regie=regie,
            kind=kinds[index % len(kinds)],
            number=f"{prefix}-{index:05d}",
            status=Invoice.Status.ISSUED,
            household=family.household,
            payer=family.guardian,
            payer_name=family.guardian.full_name,
            period_on=datetime.date(2000 + index // 12, index % 12 + 1, 1),
            issued_on=datetime.date(2000 + index // 12, index % 12 + 1, 9),
            due_on=datetime.date(2000 + index // 12, index % 12 + 1, 28),
            total=Decimal("29.00"),
        )
        for index in range(count)
    )
    Payment.objects.bulk_create(
        Payment(
            regie=regie,
            household=family.household,
            payer=family.guardian,
            method=PaymentMethod.CHEQUE,
            amount=Decimal("5.00"),
            received_on=datetime.date(2022, 1, 1),
            receipt_number=f"R{prefix}-{index:05d}",
        )
        for index in range(count)
    )
    return invoices


def count_queries(client, url) -> int:
    client.get(url)  # the first request of a session also records when it started
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("page", [None, "2"])
def test_invoices_page_query_count_does_not_grow_with_the_invoices(client, regie, page):
    url = reverse("portal:invoices") + (f"?page={page}" if page else "")
    small = make_family(name="Petit")
    issue_invoice(
        regie, small.household, small.guardian, number="1", lines=[hours(small.child, "1")]
    )
    if page:  # page 2 needs more than one page of invoices
        bulk_issued(regie, small, 30, prefix="P")
    client.force_login(small.user)
    small_count = count_queries(client, url)

    big = make_family(name="Grand")
    bulk_issued(regie, big, 60, prefix="G")
    paid = issue_invoice(
        regie, big.household, big.guardian, number="2", lines=[hours(big.child, "1")]
    )
    record_payment(
        regie=regie,
        payer=big.guardian,
        method=PaymentMethod.CASH,
        amount=Decimal("2.50"),
        invoices=[paid],
    )
    cancel_invoice(invoice=Invoice.objects.get(pk=paid.pk), reason="Erreur")
    for index in range(10):
        bulk_issued(regie, make_family(name=f"Autre{index}"), 100, prefix=f"A{index}")
    assert Invoice.objects.count() >= 1_000
    client.force_login(big.user)
    big_count = count_queries(client, url)

    assert small_count == big_count == LIST_QUERIES


def test_invoice_page_query_count_does_not_grow_with_the_lines(client, regie):
    small = make_family(name="Petit")
    one_line = issue_invoice(
        regie, small.household, small.guardian, number="1", lines=[hours(small.child, "1")]
    )
    client.force_login(small.user)
    small_count = count_queries(
        client, reverse("portal:invoice-detail", kwargs={"reference": one_line.reference})
    )

    big = make_family(name="Grand", children=3)
    children = list(big.household.children.all())
    thirty_lines = issue_invoice(
        regie,
        big.household,
        big.guardian,
        number="2",
        lines=[hours(children[index % 3], "1", label=f"Ligne {index}") for index in range(30)],
    )
    for _ in range(3):
        record_payment(
            regie=regie,
            payer=big.guardian,
            method=PaymentMethod.CHEQUE,
            amount=Decimal("5.00"),
            invoices=[thirty_lines],
        )
    # A partial credit note keeps the invoice payable, so both pages run the same queries.
    create_credit_note(
        invoice=Invoice.objects.get(pk=thirty_lines.pk), amount=Decimal("1.00"), reason="Erreur"
    )
    # Questions about the invoice, one answered: listed with their status and comment.
    for index in range(4):
        dispute = submit_request(
            household=big.household,
            kind=RequestKind.INVOICE,
            submitted_by=big.user,
            payload={"message": f"Erreur {index}"},
            invoice=thirty_lines,
        )
    refuse_request(request=dispute, staff=None, comment="Les heures sont justes.")
    client.force_login(big.user)
    big_count = count_queries(
        client, reverse("portal:invoice-detail", kwargs={"reference": thirty_lines.reference})
    )

    assert small_count == big_count == DETAIL_QUERIES
    assert thirty_lines.requests.count() == 4


def test_dashboard_counts_unpaid_invoices_in_one_query(client, regie):
    family = make_family(name="Petit")
    bulk_issued(regie, family, 60, prefix="D")
    client.force_login(family.user)

    # Whatever the number of invoices: what tests/portal/test_query_counts.py says.
    assert count_queries(client, reverse("portal:dashboard")) == PAGE_QUERIES["portal:dashboard"]
