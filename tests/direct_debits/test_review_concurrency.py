"""A counter payment and the settlement of the debit of the same invoice at the same moment
(PostgreSQL: SQLite ignores row locks): the invoice is paid once, by the debit."""

import datetime
import threading
from decimal import Decimal

import pytest
import time_machine
from django.db import connection, connections

from portail.billing.services import BillingError
from portail.direct_debits import services
from portail.direct_debits.models import Debit
from portail.payments import services as payments
from portail.payments.models import PaymentAllocation, PaymentMethod

from .factories import CreditorSettingsFactory, MandateFactory, due_invoice

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]

THREADS = 6


def test_counter_payments_racing_the_settlement_never_pay_the_invoice_twice():
    regie = CreditorSettingsFactory().regie
    mandate = MandateFactory(regie=regie)
    invoice = due_invoice(mandate)
    with time_machine.travel(datetime.datetime(2022, 1, 20, 9, 0, tzinfo=datetime.UTC)):
        batch = services.queue_debit_batch(
            regie=regie, collection_on=datetime.date(2022, 2, 10), created_by=None
        )
        batch.refresh_from_db()
        services.mark_batch_sent(batch=batch)
    barrier = threading.Barrier(THREADS)
    errors = []

    def run(index):
        try:
            barrier.wait()
            if index == 0:
                services.confirm_settlement(batch=batch)
            else:
                payments.record_payment(
                    regie=regie,
                    payer=mandate.payer,
                    method=PaymentMethod.CHEQUE,
                    amount=Decimal("29.00"),
                    invoices=[invoice],
                )
        except BillingError:
            pass  # refused: the debit pays it
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    with time_machine.travel(datetime.datetime(2022, 2, 11, 9, 0, tzinfo=datetime.UTC)):
        threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert errors == []
    invoice.refresh_from_db()
    assert invoice.amount_paid == Decimal("29.00")
    assert Debit.objects.get().status == Debit.Status.SETTLED
    allocations = PaymentAllocation.objects.filter(invoice=invoice)
    assert [a.payment.method for a in allocations] == [PaymentMethod.DIRECT_DEBIT]
