"""Ledger integrity at database level (SECURITY PAY-11): every invariant of the money tables
(the models' Meta.constraints, unique fields, PROTECT foreign keys and the billing triggers
of migration 0002) is tried with a write that breaks it, straight against the database
(the ORM's update()/create()/delete(), no service in between). The database refuses them
all, on SQLite and on PostgreSQL."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError

from portail.billing.models import CreditNote, Invoice, InvoiceLine
from portail.direct_debits.models import Debit, DebitBatch, Mandate
from portail.payments.models import OnlinePayment, Payment, PaymentAllocation, PaymentMethod
from tests.direct_debits.factories import CreditorSettingsFactory, MandateFactory
from tests.factories import CreditNoteFactory, InvoiceFactory, PaymentFactory

from .figures import record


def copy_of(instance, **changes):
    """A new row of the same model with ``instance``'s values, ``changes`` applied, and new
    unique references (so only the invariant under test can refuse it)."""
    values = {
        field.attname: getattr(instance, field.attname)
        for field in instance._meta.concrete_fields
        if not field.primary_key
    }
    for field in instance._meta.concrete_fields:
        if field.name == "reference":
            values["reference"] = uuid.uuid4()
    values.update(changes)
    return type(instance).objects.create(**values)


@pytest.fixture
def ledger():
    """An issued invoice of 29,00 € paid 10,00 € by cheque, a second issued invoice with a
    credit note, a draft, a running online payment, an active mandate and a scheduled debit."""
    creditor = CreditorSettingsFactory()
    regie = creditor.regie
    invoice = InvoiceFactory(regie=regie, number="F2022-00001")
    Invoice.objects.filter(pk=invoice.pk).update(amount_paid=Decimal("10.00"))
    household, payer = invoice.household, invoice.payer
    other = InvoiceFactory(
        regie=regie,
        household=household,
        payer=payer,
        number="F2022-00002",
        external_reference="EXT-1",
    )
    Invoice.objects.filter(pk=other.pk).update(amount_credited=Decimal("10.00"))
    note = CreditNoteFactory(invoice=other, number="AV2022-00001")
    draft = InvoiceFactory(regie=regie, household=household, payer=payer, status="draft")
    payment = PaymentFactory(
        regie=regie,
        household=household,
        payer=payer,
        amount=Decimal("10.00"),
        allocated_amount=Decimal("10.00"),
        receipt_number="R2022-00001",
        allocations=[(invoice, Decimal("10.00"))],
    )
    third = InvoiceFactory(regie=regie, household=household, payer=payer, number="F2022-00003")
    attempt = OnlinePayment.objects.create(
        invoice=third,
        regie=regie,
        amount=third.total,
        email="famille@example.fr",
        refdet="F202200003",
        exer="2022",
        mode="T",
        idop="idop-1",
        status=OnlinePayment.Status.WAITING,
    )
    mandate = MandateFactory(regie=regie, payer=payer, household=household)
    batch = DebitBatch.objects.create(
        regie=regie, collection_on=datetime.date(2022, 2, 9), message_id="MSG-1"
    )
    debit = Debit.objects.create(
        batch=batch,
        invoice=third,
        mandate=mandate,
        amount=third.total,
        sequence="FRST",
        collection_on=batch.collection_on,
        end_to_end_id="E2E-1",
    )
    return {
        "invoice": invoice,
        "other": other,
        "note": note,
        "draft": draft,
        "payment": payment,
        "allocation": payment.allocations.get(),
        "line": invoice.lines.get(),
        "attempt": attempt,
        "mandate": mandate,
        "debit": debit,
    }


def violating_writes(w):
    """(invariant, write that breaks it)."""
    invoice, other, note, draft = w["invoice"], w["other"], w["note"], w["draft"]
    payment, allocation, line = w["payment"], w["allocation"], w["line"]
    attempt, mandate, debit = w["attempt"], w["mandate"], w["debit"]
    invoices = Invoice.objects.filter(pk=invoice.pk)
    drafts = Invoice.objects.filter(pk=draft.pk)
    payments = Payment.objects.filter(pk=payment.pk)
    notes = CreditNote.objects.filter(pk=note.pk)
    attempts = OnlinePayment.objects.filter(pk=attempt.pk)
    mandates = Mandate.objects.filter(pk=mandate.pk)
    debits = Debit.objects.filter(pk=debit.pk)
    return [
        # Invoices (billing.Invoice.Meta.constraints)
        ("invoice paid above its total", lambda: invoices.update(amount_paid=Decimal("29.01"))),
        (
            "invoice paid + credited above its total",
            lambda: invoices.update(amount_credited=Decimal("19.01")),
        ),
        ("invoice negative amount paid", lambda: invoices.update(amount_paid=Decimal("-1"))),
        ("invoice negative total (draft)", lambda: drafts.update(total=Decimal("-1"))),
        ("invoice « paid » but not settled", lambda: invoices.update(status="paid")),
        ("draft invoice with a number", lambda: drafts.update(number="F2022-09999")),
        (
            "issued invoice without a number",
            lambda: Invoice.objects.filter(pk=other.pk).update(number=""),
        ),
        ("duplicate invoice number in a régie", lambda: copy_of(invoice, amount_paid=0)),
        (
            "duplicate external reference in a régie",
            lambda: copy_of(other, number="F2022-08888", amount_credited=0),
        ),
        # Issued invoices never change (triggers of billing migration 0002)
        ("issued invoice: total edited", lambda: invoices.update(total=Decimal("1.00"))),
        ("issued invoice: number edited", lambda: invoices.update(number="F2022-07777")),
        ("issued invoice: payer edited", lambda: invoices.update(payer_name="Quelqu'un")),
        (
            "issued invoice: due date edited",
            lambda: invoices.update(due_on=datetime.date(2030, 1, 1)),
        ),
        (
            "issued invoice: back to draft",
            lambda: invoices.update(status="draft", number="", issued_on=None),
        ),
        ("issued invoice deleted", lambda: Invoice.objects.filter(pk=other.pk).delete()),
        (
            "issued invoice line edited",
            lambda: InvoiceLine.objects.filter(pk=line.pk).update(amount=Decimal("1")),
        ),
        ("issued invoice line deleted", lambda: InvoiceLine.objects.filter(pk=line.pk).delete()),
        ("issued invoice line added", lambda: copy_of(line, position=9)),
        (
            "draft issued with a total other than its lines'",
            lambda: (
                drafts.update(total=Decimal("12.00")),
                drafts.update(
                    status="issued", number="F2022-06666", issued_on=datetime.date(2022, 1, 10)
                ),
            ),
        ),
        # Payments and allocations (payments.Payment, PaymentAllocation)
        ("payment of 0 €", lambda: payments.update(amount=Decimal("0"))),
        (
            "payment allocated beyond its amount",
            lambda: payments.update(allocated_amount=Decimal("10.01")),
        ),
        ("payment negative allocation", lambda: payments.update(allocated_amount=Decimal("-1"))),
        ("duplicate receipt number in a régie", lambda: copy_of(payment)),
        (
            "payment by credit note without a credit note",
            lambda: payments.update(method=PaymentMethod.CREDIT_NOTE),
        ),
        ("second allocation of a payment to an invoice", lambda: copy_of(allocation)),
        (
            "allocation of 0 €",
            lambda: PaymentAllocation.objects.filter(pk=allocation.pk).update(amount=0),
        ),
        (
            "invoice with payments deleted (PROTECT)",
            lambda: Invoice.objects.filter(pk=invoice.pk).delete(),
        ),
        ("payment with allocations deleted (PROTECT)", lambda: payments.delete()),
        # Credit notes
        ("credit note spent beyond its amount", lambda: notes.update(used_amount=Decimal("0.01"))),
        ("credit note of 0 €", lambda: notes.update(amount=Decimal("0"), applied_amount=0)),
        ("duplicate credit note number", lambda: copy_of(note)),
        # Online payments (PayFiP)
        (
            "second running online payment for an invoice",
            lambda: copy_of(attempt, idop="idop-2"),
        ),
        (
            "duplicate PayFiP idop",
            lambda: copy_of(attempt, status=OnlinePayment.Status.EXPIRED, holds_invoice=False),
        ),
        ("online payment of 0 €", lambda: attempts.update(amount=Decimal("0"))),
        ("online payment « paid » without a payment", lambda: attempts.update(status="paid")),
        # Mandates and debits (direct_debits)
        ("second active mandate for a payer", lambda: copy_of(mandate, rum="BOURG-X-2")),
        (
            "duplicate mandate reference (RUM)",
            lambda: copy_of(mandate, status=Mandate.Status.REVOKED, ended_at=mandate.signed_at),
        ),
        ("mandate without a reference (RUM)", lambda: mandates.update(rum="")),
        ("mandate ended without an end date", lambda: mandates.update(status="revoked")),
        ("second running debit for an invoice", lambda: copy_of(debit, end_to_end_id="E2E-2")),
        ("debit of 0 €", lambda: debits.update(amount=Decimal("0"))),
        ("debit settled without a payment", lambda: debits.update(status="settled")),
        ("debit rejected without a reason", lambda: debits.update(status="rejected")),
        ("debit with an unknown sequence type", lambda: debits.update(sequence="XXXX")),
    ]


def test_the_database_refuses_every_write_that_breaks_a_ledger_invariant(ledger):
    accepted = []
    writes = violating_writes(ledger)
    for invariant, write in writes:
        try:
            with transaction.atomic():
                write()
        except (DatabaseError, ProtectedError):
            continue
        accepted.append(invariant)
    record(
        "ledger_constraints",
        attempted=len(writes),
        accepted=len(accepted),
        accepted_writes=accepted,
        backend=connection.vendor,
    )
    assert accepted == []
    # The refused writes left the ledger as it was.
    ledger["invoice"].refresh_from_db()
    assert (ledger["invoice"].total, ledger["invoice"].amount_paid) == (
        Decimal("29.00"),
        Decimal("10.00"),
    )


def test_each_write_is_accepted_once_its_invariant_holds(ledger):
    """The writes fail for their invariant, not for another reason: the same kind of writes
    within the rules go through."""
    invoice, draft = ledger["invoice"], ledger["draft"]
    with transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(amount_paid=Decimal("29.00"), status="paid")
        Invoice.objects.filter(pk=draft.pk).update(total=Decimal("0"))
        copy_of(ledger["payment"], receipt_number="R2022-00002", allocated_amount=0)
        copy_of(ledger["note"], number="AV2022-00002")
        copy_of(
            ledger["attempt"],
            idop="idop-3",
            status=OnlinePayment.Status.EXPIRED,
            holds_invoice=False,
        )
        copy_of(
            ledger["mandate"],
            rum="BOURG-X-3",
            status=Mandate.Status.REVOKED,
            ended_at=ledger["mandate"].signed_at,
        )
        copy_of(ledger["debit"], end_to_end_id="E2E-3", status=Debit.Status.WITHDRAWN)
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.PAID
