"""Every write about money received: counter payments, credit used, refunds."""

import hashlib
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from portail.billing.models import ZERO, CreditNote, Invoice, NumberSequence
from portail.billing.services import (
    CENT,
    BillingError,
    format_number,
    set_invoice_status,
    take_numbers,
)

from .models import Payment, PaymentAllocation, PaymentMethod


def _allocate(payment: Payment, invoices: list[Invoice]) -> None:
    """Spread the payment over the (locked) invoices in order, never beyond what each owes."""
    remaining = payment.amount - payment.allocated_amount
    allocations = []
    for invoice in invoices:
        if remaining <= 0:
            break
        if not invoice.is_payable:
            continue
        share = min(remaining, invoice.amount_due)
        if share <= 0:
            continue
        allocations.append(PaymentAllocation(payment=payment, invoice=invoice, amount=share))
        invoice.amount_paid += share
        set_invoice_status(invoice)
        invoice.save(update_fields=["amount_paid", "status"])
        remaining -= share
    PaymentAllocation.objects.bulk_create(allocations)
    payment.allocated_amount = payment.amount - remaining
    payment.save(update_fields=["allocated_amount"])


def _locked_invoices(*, regie, payer, invoices: Iterable[Invoice] | None) -> list[Invoice]:
    queryset = Invoice.objects.select_for_update().filter(regie=regie, payer=payer)
    if invoices is None:
        queryset = queryset.unpaid()
        return list(queryset.order_by("due_on", "issued_on", "pk"))
    wanted = [invoice.pk for invoice in invoices]
    found = {invoice.pk: invoice for invoice in queryset.filter(pk__in=wanted)}
    missing = [pk for pk in wanted if pk not in found]
    if missing:
        raise BillingError("Un paiement ne règle que des factures de ce payeur dans cette régie.")
    return [found[pk] for pk in wanted]


def _receipt_number(regie, received_on: date) -> str:
    number = take_numbers(
        regie=regie, series=NumberSequence.Series.RECEIPT, year=received_on.year, count=1
    )[0]
    return format_number(regie.receipt_number_format, year=received_on.year, number=number)


@transaction.atomic
def record_payment(
    *,
    regie,
    payer,
    method: str,
    amount: Decimal,
    received_on: date | None = None,
    invoices: Iterable[Invoice] | None = None,
    bank_reference: str = "",
    recorded_by=None,
    credit_note: CreditNote | None = None,
) -> Payment:
    """Record money received and settle invoices with it: the given ones in order, else
    the payer's unpaid invoices of the régie, oldest due first. What is left over stays on
    the payment as an overpayment staff can see."""
    from .tasks import render_receipt_pdf

    amount = Decimal(amount).quantize(CENT)
    if amount <= 0:
        raise BillingError("Le montant d'un paiement doit être positif.")
    if method not in PaymentMethod.values:
        raise BillingError(f"Moyen de paiement inconnu : {method}.")
    received_on = received_on or timezone.localdate()
    locked = _locked_invoices(regie=regie, payer=payer, invoices=invoices)
    payment = Payment.objects.create(
        regie=regie,
        household_id=payer.household_id,
        payer=payer,
        method=method,
        amount=amount,
        received_on=received_on,
        bank_reference=bank_reference.strip(),
        receipt_number=_receipt_number(regie, received_on),
        credit_note=credit_note,
        recorded_by=recorded_by,
    )
    _allocate(payment, locked)
    transaction.on_commit(lambda: render_receipt_pdf.enqueue(payment.pk))
    return payment


@transaction.atomic
def use_credit_note(
    *, credit_note: CreditNote, invoice: Invoice, amount: Decimal | None = None, recorded_by=None
) -> Payment:
    """Settle a later invoice of the same payer with the credit an avoir left."""
    note = CreditNote.objects.select_for_update().get(pk=credit_note.pk)
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.payer_id != note.payer_id or invoice.regie_id != note.regie_id:
        raise BillingError("Un avoir ne règle que des factures du même payeur et de la même régie.")
    amount = min(
        Decimal(amount).quantize(CENT) if amount is not None else note.available_credit,
        note.available_credit,
        invoice.amount_due,
    )
    if amount <= ZERO:
        raise BillingError(
            f"Rien à imputer : l'avoir {note.number} n'a plus de crédit "
            f"ou la facture {invoice.number} est déjà réglée."
        )
    CreditNote.objects.filter(pk=note.pk).update(used_amount=F("used_amount") + amount)
    return record_payment(
        regie=invoice.regie,
        payer=invoice.payer,
        method=PaymentMethod.CREDIT_NOTE,
        amount=amount,
        invoices=[invoice],
        bank_reference=note.number,
        recorded_by=recorded_by,
        credit_note=note,
    )


@transaction.atomic
def refund_credit_note(*, credit_note: CreditNote, amount: Decimal, recorded_by=None) -> CreditNote:
    """Record that the régie paid back (part of) a credit to the family."""
    note = CreditNote.objects.select_for_update().get(pk=credit_note.pk)
    amount = Decimal(amount).quantize(CENT)
    if amount <= 0 or amount > note.available_credit:
        raise BillingError(
            f"Le remboursement doit être compris entre 0,01 € et le crédit restant "
            f"({note.available_credit} €)."
        )
    note.refunded_amount += amount
    note.save(update_fields=["refunded_amount"])
    return note


def store_receipt_pdf(*, payment_id: int) -> Payment:
    from portail.billing import pdf

    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update(of=("self",))
            .select_related("regie", "household", "payer__user")
            .get(pk=payment_id)
        )
        if payment.receipt_pdf:
            return payment
        content = pdf.render_receipt(payment)
        name = "recu-" + "".join(
            c if c.isalnum() or c in "-_" else "-" for c in payment.receipt_number
        )
        payment.receipt_pdf.save(f"{name}.pdf", ContentFile(content), save=False)
        payment.receipt_sha256 = hashlib.sha256(content).hexdigest()
        payment.save(update_fields=["receipt_pdf", "receipt_sha256"])
        return payment
