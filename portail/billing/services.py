"""Every write about invoices and credit notes. Issued invoices never change: a credit note
corrects them."""

import hashlib
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from .models import ZERO, CreditNote, Invoice, InvoiceKind, InvoiceLine, NumberSequence, Regie

CENT = Decimal("0.01")
DEFAULT_KINDS = ["FACTURE JEUNESSE", "FACTURE PÉRISCOLAIRE"]


class BillingError(Exception):
    """A billing operation that cannot be done; the message is shown to staff as is."""


def line_amount(quantity: Decimal, unit_price: Decimal) -> Decimal:
    return (Decimal(quantity) * Decimal(unit_price)).quantize(CENT, rounding=ROUND_HALF_UP)


@transaction.atomic
def create_regie(*, name: str, **fields) -> Regie:
    regie = Regie.objects.create(name=name, **fields)
    InvoiceKind.objects.bulk_create(
        InvoiceKind(regie=regie, label=label, position=position)
        for position, label in enumerate(DEFAULT_KINDS)
    )
    return regie


def _build_lines(invoice: Invoice, lines: Iterable[dict]) -> list[InvoiceLine]:
    built = []
    for position, line in enumerate(lines):
        child = line.get("child")
        quantity = Decimal(line["quantity"])
        unit_price = Decimal(line["unit_price"])
        built.append(
            InvoiceLine(
                invoice=invoice,
                child=child,
                child_name=str(child) if child is not None else line.get("child_name", ""),
                label=line["label"],
                quantity=quantity,
                unit=line.get("unit", InvoiceLine.Unit.HOUR),
                unit_price=unit_price,
                amount=line_amount(quantity, unit_price),
                position=position,
            )
        )
    return built


def _set_lines(invoice: Invoice, lines: Iterable[dict]) -> Invoice:
    built = _build_lines(invoice, lines)
    total = sum((line.amount for line in built), ZERO)
    if total < 0:
        raise BillingError("Le total d'une facture ne peut pas être négatif.")
    InvoiceLine.objects.bulk_create(built)
    invoice.total = total
    invoice.save(update_fields=["total"])
    return invoice


@transaction.atomic
def create_draft_invoice(
    *,
    regie: Regie,
    kind: InvoiceKind,
    household,
    payer,
    period_on: date,
    lines: Iterable[dict],
    created_by=None,
    external_reference: str = "",
    due_on: date | None = None,
) -> Invoice:
    if kind.regie_id != regie.pk:
        raise BillingError(f"Le type « {kind} » n'appartient pas à la régie « {regie} ».")
    if payer.household_id != household.pk:
        raise BillingError(f"{payer} n'est pas représentant légal du foyer « {household} ».")
    invoice = Invoice.objects.create(
        regie=regie,
        kind=kind,
        household=household,
        payer=payer,
        period_on=period_on.replace(day=1),
        created_by=created_by,
        external_reference=external_reference,
        due_on=due_on,
    )
    return _set_lines(invoice, lines)


@transaction.atomic
def replace_draft_lines(*, invoice: Invoice, lines: Iterable[dict]) -> Invoice:
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status != Invoice.Status.DRAFT:
        raise BillingError(f"La facture {invoice.number} est émise : elle ne change plus.")
    invoice.lines.all().delete()
    return _set_lines(invoice, lines)


# What staff may change on a draft besides its lines; the rest comes with the issue.
DRAFT_FIELDS = ("kind", "household", "payer", "period_on", "due_on", "external_reference")


@transaction.atomic
def update_draft_invoice(
    *, invoice: Invoice, lines: Iterable[dict] | None = None, **changes
) -> Invoice:
    """Change a draft: any of ``DRAFT_FIELDS``, and its lines when ``lines`` is given (they
    replace the old ones and the total follows). An issued invoice never changes: a credit
    note corrects it."""
    unknown = set(changes) - set(DRAFT_FIELDS)
    if unknown:
        raise BillingError(f"Champ(s) non modifiable(s) : {', '.join(sorted(unknown))}.")
    invoice = (
        Invoice.objects.select_for_update(of=("self",)).select_related("regie").get(pk=invoice.pk)
    )
    if invoice.status != Invoice.Status.DRAFT:
        raise BillingError(
            f"La facture {invoice.number} est émise : elle ne change plus, un avoir la corrige."
        )
    for name, value in changes.items():
        setattr(invoice, name, value)
    if "period_on" in changes:
        invoice.period_on = invoice.period_on.replace(day=1)
    if invoice.kind.regie_id != invoice.regie_id:
        raise BillingError(
            f"Le type « {invoice.kind} » n'appartient pas à la régie « {invoice.regie} »."
        )
    if invoice.payer.household_id != invoice.household_id:
        raise BillingError(
            f"{invoice.payer} n'est pas représentant légal du foyer « {invoice.household} »."
        )
    if changes:
        invoice.save(update_fields=list(changes))
    if lines is not None:
        invoice.lines.all().delete()
        _set_lines(invoice, lines)
    return invoice


# Invoices per worker task after issue (one commit for the batch's PDFs, one for its e-mails).
PDF_BATCH_SIZE = 50


def take_numbers(*, regie: Regie, series: str, year: int, count: int) -> list[int]:
    """Reserve ``count`` consecutive numbers; the sequence row stays locked until commit."""
    NumberSequence.objects.get_or_create(regie=regie, series=series, year=year)
    sequence = NumberSequence.objects.select_for_update().get(regie=regie, series=series, year=year)
    first = sequence.last_number + 1
    sequence.last_number += count
    sequence.save(update_fields=["last_number"])
    return list(range(first, first + count))


def format_number(template: str, *, year: int, number: int) -> str:
    return template.format(year=year, number=number)


def _payer_address(payer) -> str:
    return "\n".join(payer.address_lines)


@transaction.atomic
def issue_invoices(
    *,
    invoices: Iterable[Invoice],
    issued_on: date | None = None,
    issued_by=None,
    numbers: dict[int, str] | None = None,
) -> list[Invoice]:
    """Give drafts their number, date and payer snapshot. Numbers come from the régie's
    yearly sequence, in the order given, unless ``numbers`` (invoice pk → number, from an
    import) says otherwise. The PDF and the e-mails follow on commit, in the worker."""
    from .tasks import render_invoice_pdfs

    issued_on = issued_on or timezone.localdate()
    numbers = numbers or {}
    pks = [invoice.pk for invoice in invoices]
    locked = {
        invoice.pk: invoice
        for invoice in Invoice.objects.select_for_update(of=("self",))
        .select_related("regie", "payer__household")
        .filter(pk__in=pks)
    }
    drafts = [locked[pk] for pk in pks]
    not_drafts = [invoice for invoice in drafts if invoice.status != Invoice.Status.DRAFT]
    if not_drafts:
        raise BillingError(
            "Seules les factures en brouillon peuvent être émises : "
            + ", ".join(invoice.number for invoice in not_drafts)
            + "."
        )
    to_number: dict[int, list[Invoice]] = {}
    for invoice in drafts:
        if invoice.pk not in numbers:
            to_number.setdefault(invoice.regie_id, []).append(invoice)
    for regie_invoices in to_number.values():
        regie = regie_invoices[0].regie
        taken = take_numbers(
            regie=regie,
            series=NumberSequence.Series.INVOICE,
            year=issued_on.year,
            count=len(regie_invoices),
        )
        for invoice, number in zip(regie_invoices, taken, strict=True):
            numbers[invoice.pk] = format_number(
                regie.invoice_number_format, year=issued_on.year, number=number
            )
    for invoice in drafts:
        invoice.number = numbers[invoice.pk]
        invoice.issued_on = issued_on
        invoice.due_on = invoice.due_on or issued_on + timedelta(
            days=invoice.regie.payment_delay_days
        )
        invoice.status = Invoice.Status.PAID if invoice.total == ZERO else Invoice.Status.ISSUED
        invoice.payer_name = invoice.payer.full_name
        invoice.payer_address = _payer_address(invoice.payer)
    Invoice.objects.bulk_update(
        drafts, ["number", "issued_on", "due_on", "status", "payer_name", "payer_address"]
    )
    # The worker renders and notifies by batches: one commit per batch, not per invoice.
    ids = [invoice.pk for invoice in drafts]
    for start in range(0, len(ids), PDF_BATCH_SIZE):
        batch = ids[start : start + PDF_BATCH_SIZE]
        transaction.on_commit(lambda batch=batch: render_invoice_pdfs.enqueue(batch))
    return drafts


def issue_invoice(*, invoice: Invoice, issued_on: date | None = None, issued_by=None) -> Invoice:
    return issue_invoices(invoices=[invoice], issued_on=issued_on, issued_by=issued_by)[0]


def _store_pdf(obj, field: str, hash_field: str, name: str, content: bytes) -> None:
    getattr(obj, field).save(name, ContentFile(content), save=False)
    setattr(obj, hash_field, hashlib.sha256(content).hexdigest())
    obj.save(update_fields=[field, hash_field])


def store_invoice_pdf(*, invoice_id: int) -> Invoice:
    """Render the PDF once and keep it with its SHA-256. A stored PDF is never re-rendered:
    the family downloads exactly what was issued."""
    from . import pdf

    with transaction.atomic():
        invoice = (
            Invoice.objects.select_for_update(of=("self",))
            .select_related("regie", "kind", "household", "payer__user")
            .get(pk=invoice_id)
        )
        if invoice.pdf or invoice.status == Invoice.Status.DRAFT:
            return invoice
        content = pdf.render_invoice(invoice)
        _store_pdf(invoice, "pdf", "pdf_sha256", f"facture-{_safe(invoice.number)}.pdf", content)
        return invoice


def _safe(number: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in number)


def set_invoice_status(invoice: Invoice) -> None:
    """The status that the amounts say (the invoice row must be locked by the caller)."""
    if invoice.status in (Invoice.Status.DRAFT, Invoice.Status.CANCELLED):
        return
    settled = invoice.amount_paid + invoice.amount_credited
    if settled >= invoice.total:
        invoice.status = Invoice.Status.PAID
    elif invoice.amount_paid > 0:
        invoice.status = Invoice.Status.PARTIALLY_PAID
    else:
        invoice.status = Invoice.Status.ISSUED


@transaction.atomic
def create_credit_note(
    *,
    invoice: Invoice,
    amount: Decimal,
    reason: str,
    created_by=None,
    issued_on: date | None = None,
    cancels: bool = False,
) -> CreditNote:
    """An avoir on an issued invoice: what is still due is reduced first; the rest (the
    invoice was paid already) is a credit for a later invoice or a refund."""
    from .tasks import render_credit_note_pdf

    amount = Decimal(amount).quantize(CENT)
    if amount <= 0:
        raise BillingError("Le montant d'un avoir doit être positif.")
    if not reason.strip():
        raise BillingError("Indiquez le motif de l'avoir.")
    invoice = (
        Invoice.objects.select_for_update(of=("self",)).select_related("regie").get(pk=invoice.pk)
    )
    if invoice.status in (Invoice.Status.DRAFT, Invoice.Status.CANCELLED):
        raise BillingError(
            "Un avoir ne peut corriger qu'une facture émise et non annulée "
            f"(facture {invoice.number or 'brouillon'})."
        )
    already = sum((note.amount for note in invoice.credit_notes.all()), ZERO)
    if amount + already > invoice.total:
        raise BillingError(
            f"Les avoirs dépasseraient le total de la facture {invoice.number} "
            f"({invoice.total} €, déjà {already} € d'avoirs)."
        )
    issued_on = issued_on or timezone.localdate()
    applied = min(amount, invoice.amount_due)
    number = take_numbers(
        regie=invoice.regie,
        series=NumberSequence.Series.CREDIT_NOTE,
        year=issued_on.year,
        count=1,
    )[0]
    note = CreditNote.objects.create(
        regie=invoice.regie,
        number=format_number(
            invoice.regie.credit_note_number_format, year=issued_on.year, number=number
        ),
        invoice=invoice,
        household_id=invoice.household_id,
        payer_id=invoice.payer_id,
        issued_on=issued_on,
        reason=reason.strip(),
        amount=amount,
        applied_amount=applied,
        created_by=created_by,
    )
    invoice.amount_credited += applied
    if cancels:
        invoice.status = Invoice.Status.CANCELLED
    else:
        set_invoice_status(invoice)
    invoice.save(update_fields=["amount_credited", "status"])
    transaction.on_commit(lambda: render_credit_note_pdf.enqueue(note.pk))
    return note


def cancel_invoice(*, invoice: Invoice, reason: str, created_by=None) -> CreditNote:
    """Cancel with a credit note of what the invoice still has uncorrected: what was paid
    becomes a credit for the family."""
    credited = sum((note.amount for note in invoice.credit_notes.all()), ZERO)
    return create_credit_note(
        invoice=invoice,
        amount=invoice.total - credited,
        reason=reason,
        created_by=created_by,
        cancels=True,
    )


def store_credit_note_pdf(*, credit_note_id: int) -> CreditNote:
    from . import pdf

    with transaction.atomic():
        note = (
            CreditNote.objects.select_for_update(of=("self",))
            .select_related("regie", "invoice__kind", "household", "payer__user")
            .get(pk=credit_note_id)
        )
        if note.pdf:
            return note
        content = pdf.render_credit_note(note)
        _store_pdf(note, "pdf", "pdf_sha256", f"avoir-{_safe(note.number)}.pdf", content)
        return note
