"""Certificates a family generates from its own payments, on request, from the stored data
(nothing is stored: the same data gives the same certificate).

- The attestation de paiement lists the payments a régie received in a period for a
  household's invoices, invoice by invoice, with their total.
- The attestation fiscale (frais de garde) gives, for one calendar year and one payer, what
  the payer paid that year for the care of each child under six on 1 January of that year:
  what French income tax needs for the crédit d'impôt pour frais de garde des jeunes enfants
  (CGI art. 200 quater B). docs/glossary.md states the rule; in short:

  * money actually received in the year counts (the payment's date, not the invoice's);
    a credit note used to pay a later invoice is not money paid and is not counted (the
    money it came from was counted when it was paid); a refund of a credit note is deducted,
    in the year the credit note was issued (refunds carry no date of their own);
  * only care is counted: invoice lines for a child, by the hour, day or month; meals and
    other items are left out (the tax rule excludes food);
  * a child counts when born on or after 1 January of (year − 6), the administration's
    wording of « under six on 1 January »;
  * a payment settles an invoice as a whole: its share for each line is in proportion to the
    line's amount in the invoice total;
  * the CAF's CMG is paid to the family, not through the régie: it is not deducted here and
    the certificate says so.

Every function reads from the querysets the caller scoped to the family (``visible_to``)."""

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Prefetch
from django.db.models.functions import ExtractYear

from portail.payments.models import Payment, PaymentAllocation, PaymentMethod

from .models import ZERO, CreditNote, InvoiceLine, Regie

CENT = Decimal("0.01")
CHILDCARE_UNITS = frozenset({InvoiceLine.Unit.HOUR, InvoiceLine.Unit.DAY, InvoiceLine.Unit.MONTH})
AGE_LIMIT = 6


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def money_payments(payments):
    """Payments of real money: a credit note used as a payment is not one."""
    return payments.exclude(method=PaymentMethod.CREDIT_NOTE)


# --- What a family may ask for ----------------------------------------------------------------


@dataclass(frozen=True)
class TaxCertificateChoice:
    year: int
    payer_reference: str
    payer_name: str
    regie_id: int
    regie_name: str


@dataclass(frozen=True)
class PaymentCertificateChoice:
    household_reference: str
    household_name: str
    regie_id: int
    regie_name: str

    @property
    def key(self) -> str:
        return f"{self.household_reference}:{self.regie_id}"


@dataclass
class Choices:
    tax: list[TaxCertificateChoice]
    payment: list[PaymentCertificateChoice]


def certificate_choices(payments) -> Choices:
    """The certificates the family can ask for, from its visible ``payments``, in one
    query: a tax certificate per year, payer and régie with payments; a payment certificate
    per household and régie."""
    rows = (
        money_payments(payments)
        .annotate(year=ExtractYear("received_on"))
        .values_list(
            "year",
            "payer__reference",
            "payer__first_name",
            "payer__last_name",
            "regie_id",
            "regie__name",
            "household__reference",
            "household__name",
        )
        .order_by()
        .distinct()
    )
    tax, payment = set(), set()
    for year, payer_ref, first, last, regie_id, regie_name, household_ref, household in rows:
        name = f"{first} {last}".strip()
        tax.add(TaxCertificateChoice(year, str(payer_ref), name, regie_id, regie_name))
        payment.add(PaymentCertificateChoice(str(household_ref), household, regie_id, regie_name))
    return Choices(
        tax=sorted(tax, key=lambda c: (-c.year, c.payer_name, c.regie_name)),
        payment=sorted(payment, key=lambda c: (c.household_name, c.regie_name)),
    )


# --- Attestation de paiement ------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedPayment:
    payment: Payment
    amount: Decimal  # the part of the payment that went to this invoice


@dataclass
class PaidInvoice:
    invoice: object
    payments: list[ReceivedPayment] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((p.amount for p in self.payments), ZERO)


@dataclass
class PaymentCertificate:
    regie: Regie
    household: object
    start_on: date
    end_on: date
    invoices: list[PaidInvoice]

    @property
    def total(self) -> Decimal:
        return sum((invoice.total for invoice in self.invoices), ZERO)


def payment_certificate(*, payments, household, regie, start_on, end_on) -> PaymentCertificate:
    """The money ``regie`` received between ``start_on`` and ``end_on`` (included) for the
    invoices of ``household``, from the family's visible ``payments``: one query."""
    allocations = (
        PaymentAllocation.objects.filter(
            payment__in=money_payments(payments).filter(
                household=household, regie=regie, received_on__range=(start_on, end_on)
            ),
            invoice__household=household,
        )
        .select_related("payment", "invoice__kind")
        .order_by("invoice__period_on", "invoice__number", "payment__received_on", "pk")
    )
    invoices: dict[int, PaidInvoice] = {}
    for allocation in allocations:
        paid = invoices.setdefault(allocation.invoice_id, PaidInvoice(allocation.invoice))
        paid.payments.append(ReceivedPayment(allocation.payment, allocation.amount))
    return PaymentCertificate(regie, household, start_on, end_on, list(invoices.values()))


# --- Attestation fiscale (frais de garde) -----------------------------------------------------


@dataclass
class ChildcareAmount:
    child_name: str
    birth_date: date
    paid: Decimal = ZERO
    refunded: Decimal = ZERO

    @property
    def amount(self) -> Decimal:
        return max(_cents(self.paid) - _cents(self.refunded), ZERO)


@dataclass
class TaxCertificate:
    regie: Regie
    payer: object
    year: int
    children: list[ChildcareAmount]

    @property
    def total(self) -> Decimal:
        return sum((child.amount for child in self.children), ZERO)

    @property
    def born_from(self) -> date:
        return born_from(self.year)


def born_from(year: int) -> date:
    """Children born on or after this date were under six on 1 January of ``year``, in the
    tax administration's wording (« nés à partir du 1er janvier »)."""
    return date(year - AGE_LIMIT, 1, 1)


def is_childcare(line, year: int) -> bool:
    return (
        line.child_id is not None
        and line.unit in CHILDCARE_UNITS
        and line.child.birth_date >= born_from(year)
    )


def _shares(invoice, amount: Decimal, year: int):
    """``amount`` paid on ``invoice`` split over its lines in proportion to their amounts:
    ``(line, share)`` for its childcare lines."""
    lines = list(invoice.lines.all())
    total = sum((line.amount for line in lines), ZERO)
    if total <= 0:
        return
    for line in lines:
        if line.amount > 0 and is_childcare(line, year):
            yield line, amount * line.amount / total


def _lines_with_children():
    return Prefetch("invoice__lines", queryset=InvoiceLine.objects.select_related("child"))


def tax_certificate(*, payments, payer, regie, year: int) -> TaxCertificate:
    """What ``payer`` paid ``regie`` in ``year`` for the care of each child under six, from
    the family's visible ``payments``: four queries whatever the number of payments."""
    allocations = PaymentAllocation.objects.filter(
        payment__in=money_payments(payments).filter(
            payer=payer, regie=regie, received_on__year=year
        )
    ).prefetch_related(_lines_with_children())
    refunds = CreditNote.objects.filter(
        payer=payer, regie=regie, issued_on__year=year, refunded_amount__gt=0
    ).prefetch_related(_lines_with_children())
    children: dict[int, ChildcareAmount] = {}

    def child_of(line) -> ChildcareAmount:
        if line.child_id not in children:
            name = line.child_name or f"{line.child.first_name} {line.child.last_name}"
            children[line.child_id] = ChildcareAmount(name, line.child.birth_date)
        return children[line.child_id]

    for allocation in allocations.select_related("invoice"):
        for line, share in _shares(allocation.invoice, allocation.amount, year):
            child_of(line).paid += share
    for credit_note in refunds.select_related("invoice"):
        for line, share in _shares(credit_note.invoice, credit_note.refunded_amount, year):
            child_of(line).refunded += share
    ordered = sorted(children.values(), key=lambda child: (child.birth_date, child.child_name))
    return TaxCertificate(regie, payer, year, ordered)
