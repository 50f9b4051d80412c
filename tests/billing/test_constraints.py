"""The database itself refuses impossible money states, whatever the Python code does."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from portail.billing.models import CreditNote, Invoice, InvoiceLine
from portail.billing.services import create_draft_invoice, create_regie, issue_invoices
from portail.payments.models import Payment, PaymentMethod
from tests.factories import ChildFactory, GuardianFactory, HouseholdFactory


@pytest.fixture
def regie():
    return create_regie(name="Régie")


@pytest.fixture
def draft(regie):
    household = HouseholdFactory()
    payer = GuardianFactory(household=household)
    child = ChildFactory(household=household)
    return create_draft_invoice(
        regie=regie,
        kind=regie.kinds.first(),
        household=household,
        payer=payer,
        period_on=datetime.date(2024, 3, 1),
        lines=[
            {
                "child": child,
                "label": "Heures",
                "quantity": Decimal("10"),
                "unit_price": Decimal("3"),
            }
        ],
    )


@pytest.fixture
def invoice(draft):
    return issue_invoices(invoices=[draft], issued_on=datetime.date(2024, 4, 2))[0]


def refused(callable_):
    with pytest.raises(IntegrityError), transaction.atomic():
        callable_()


@pytest.mark.parametrize(
    "change",
    [
        {"total": Decimal("1.00")},
        {"number": "2024-99999"},
        {"due_on": datetime.date(2030, 1, 1)},
        {"payer_name": "Quelqu'un d'autre"},
        {"period_on": datetime.date(2024, 1, 1)},
        {"status": "draft", "number": "", "issued_on": None},
    ],
)
def test_an_issued_invoice_never_changes(invoice, change):
    refused(lambda: Invoice.objects.filter(pk=invoice.pk).update(**change))
    invoice.refresh_from_db()
    assert invoice.total == Decimal("30.00")


def test_the_lines_of_an_issued_invoice_never_change(invoice):
    line = invoice.lines.get()
    refused(lambda: InvoiceLine.objects.filter(pk=line.pk).update(amount=Decimal("1")))
    refused(lambda: InvoiceLine.objects.filter(pk=line.pk).delete())
    refused(
        lambda: InvoiceLine.objects.create(
            invoice=invoice, label="Ajout", quantity=1, unit_price=1, amount=1
        )
    )
    assert invoice.lines.count() == 1


def test_an_issued_invoice_is_never_deleted(invoice):
    refused(lambda: Invoice.objects.filter(pk=invoice.pk).delete())
    assert Invoice.objects.filter(pk=invoice.pk).exists()


def test_a_draft_can_change_and_be_deleted(draft):
    InvoiceLine.objects.filter(invoice=draft).update(label="Corrigé")
    Invoice.objects.filter(pk=draft.pk).update(total=Decimal("30.00"))
    draft.delete()
    assert not Invoice.objects.exists()


def test_an_invoice_is_issued_only_with_the_total_of_its_lines(draft):
    Invoice.objects.filter(pk=draft.pk).update(total=Decimal("12.00"))
    refused(
        lambda: Invoice.objects.filter(pk=draft.pk).update(
            status="issued", number="X-1", issued_on=datetime.date(2024, 4, 2)
        )
    )


def test_an_invoice_is_never_paid_beyond_its_total(invoice):
    # The settled amounts are the part that changes after issue, within the constraints.
    refused(lambda: Invoice.objects.filter(pk=invoice.pk).update(amount_paid=Decimal("30.01")))
    refused(
        lambda: Invoice.objects.filter(pk=invoice.pk).update(
            amount_paid=Decimal("20"), amount_credited=Decimal("10.01")
        )
    )
    refused(lambda: Invoice.objects.filter(pk=invoice.pk).update(amount_paid=Decimal("-1")))


def test_paid_means_settled(invoice):
    refused(lambda: Invoice.objects.filter(pk=invoice.pk).update(status="paid"))
    Invoice.objects.filter(pk=invoice.pk).update(status="paid", amount_paid=Decimal("30"))


def test_a_draft_has_no_number_and_an_issued_invoice_has_one(draft, invoice):
    refused(lambda: Invoice.objects.filter(pk=draft.pk).update(number="2024-00042"))
    assert Invoice.objects.get(pk=invoice.pk).number == f"2024-{1:05d}"


def test_numbers_are_unique_per_regie(regie, invoice, draft):
    other = create_draft_invoice(
        regie=regie,
        kind=invoice.kind,
        household=invoice.household,
        payer=invoice.payer,
        period_on=invoice.period_on,
        lines=[],
    )
    refused(lambda: issue_invoices(invoices=[other], numbers={other.pk: invoice.number}))


def test_a_payment_is_never_allocated_beyond_its_amount(invoice):
    payment = Payment.objects.create(
        regie=invoice.regie,
        household=invoice.household,
        payer=invoice.payer,
        method=PaymentMethod.CASH,
        amount=Decimal("10"),
        received_on=datetime.date(2024, 4, 3),
        receipt_number="R1",
    )
    refused(lambda: Payment.objects.filter(pk=payment.pk).update(allocated_amount=Decimal("10.01")))
    refused(lambda: Payment.objects.filter(pk=payment.pk).update(amount=Decimal("0")))


def test_a_credit_note_is_never_spent_beyond_its_amount(invoice):
    note = CreditNote.objects.create(
        regie=invoice.regie,
        number="AV-1",
        invoice=invoice,
        household=invoice.household,
        payer=invoice.payer,
        issued_on=datetime.date(2024, 4, 3),
        reason="Test",
        amount=Decimal("5"),
        applied_amount=Decimal("5"),
    )
    refused(lambda: CreditNote.objects.filter(pk=note.pk).update(used_amount=Decimal("0.01")))
