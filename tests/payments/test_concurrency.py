"""Ten notifications for one payment at the same moment record one payment and send one
e-mail, for PayFiP and for SystemPay (PostgreSQL: SQLite serialises writers anyway, and
ignores select_for_update)."""

import os
import threading

import pytest
from django.db import connection, connections

from portail.notifications.models import OutgoingEmail
from portail.payments.models import OnlinePayment, Payment
from portail.payments.services import (
    handle_payfip_notification,
    handle_provider_response,
    start_online_payment,
)
from tests.factories import InvoiceFactory
from tests.security.figures import record

from .test_other_providers import systempay_answer, systempay_regie  # noqa: F401

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]

RUNS = int(os.environ.get("PAYFIP_CONCURRENCY_RUNS", "20"))
THREADS = 10


def _all_at_once(count, work):
    barrier = threading.Barrier(count)
    errors = []

    def run(index):
        try:
            barrier.wait()
            work(index)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_ten_concurrent_notifications_record_one_payment_and_one_email(
    family, payfip_regie, payfip_service
):
    # Per run: (errors, payments of the invoice, e-mails sent, attempt's status).
    violations = []
    for run in range(RUNS):
        invoice = InvoiceFactory(
            regie=payfip_regie,
            kind=payfip_regie.kinds.first(),
            household=family.household,
            payer=family.guardian,
            number=f"F2022-{run + 1:05d}",
        )
        attempt = start_online_payment(invoice=invoice, user=family.user)
        payfip_service.pay(attempt.idop, "P")
        emails_before = OutgoingEmail.objects.filter(kind="payment_received").count()

        def notify(_index, attempt=attempt):
            handle_payfip_notification(reference=attempt.reference, idop=attempt.idop)

        errors = _all_at_once(THREADS, notify)
        attempt.refresh_from_db()
        outcome = (
            errors,
            Payment.objects.filter(allocations__invoice=invoice).count(),
            OutgoingEmail.objects.filter(kind="payment_received").count() - emails_before,
            attempt.status,
        )
        if outcome != ([], 1, 1, "paid"):
            violations.append((run, outcome))
    record(
        "payfip_notifications",
        concurrent_runs=RUNS,
        concurrent_deliveries=THREADS,
        concurrent_wrong_transitions=sum(abs(o[1] - 1) + (o[3] != "paid") for _, o in violations),
        duplicate_emails=sum(max(o[2] - 1, 0) for _, o in violations),
    )
    record(
        "concurrency",
        payfip_notifications_runs=RUNS,
        payfip_notifications_invariants=4,
        payfip_notifications_violations=len(violations),
    )
    assert violations == []
    assert Payment.objects.count() == RUNS
    assert OutgoingEmail.objects.filter(kind="payment_received").count() == RUNS
    assert OnlinePayment.objects.filter(status="paid").count() == RUNS


def test_two_concurrent_clicks_on_pay_open_one_attempt(family, invoice, payfip_service):
    outcomes = []

    def click(_index):
        try:
            start_online_payment(invoice=invoice, user=family.user)
            outcomes.append("started")
        except Exception as error:
            outcomes.append(type(error).__name__)

    errors = _all_at_once(5, click)
    correct = (
        errors == []
        and sorted(outcomes) == ["OnlinePaymentInProgress"] * 4 + ["started"]
        and len(payfip_service.created) == 1
    )
    record(
        "concurrency",
        pay_clicks_runs=1,
        pay_clicks_invariants=3,
        pay_clicks_violations=int(not correct),
    )
    assert errors == []
    assert sorted(outcomes) == ["OnlinePaymentInProgress"] * 4 + ["started"]
    assert len(payfip_service.created) == 1


def test_ten_concurrent_signed_systempay_notifications_record_one_payment(
    family,
    systempay_regie,  # noqa: F811
):
    """The same for a redirect-form service: its signed answer arriving ten times at once
    (SystemPay's notification, its retries and the family's return)."""
    runs = max(RUNS // 4, 3)
    violations = []
    for run in range(runs):
        invoice = InvoiceFactory(
            regie=systempay_regie,
            kind=systempay_regie.kinds.first(),
            household=family.household,
            payer=family.guardian,
            number=f"S2022-{run + 1:05d}",
        )
        attempt = start_online_payment(invoice=invoice, user=family.user)
        body = systempay_answer(dict(attempt.payment_form.fields))

        def notify(_index, attempt=attempt, body=body):
            handle_provider_response(reference=attempt.reference, query_string=body)

        errors = _all_at_once(THREADS, notify)
        payments = Payment.objects.filter(allocations__invoice=invoice).count()
        if errors or payments != 1:
            violations.append((run, errors, payments))
    record(
        "concurrency",
        systempay_notifications_runs=runs,
        systempay_notifications_invariants=2,
        systempay_notifications_violations=len(violations),
    )
    assert violations == []
    assert OnlinePayment.objects.filter(status="paid", provider="systempayv2").count() == run + 1
    assert Payment.objects.count() == run + 1
