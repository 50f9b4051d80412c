"""« MES FACTURES »: the invoices, credit notes and payments a guardian may see
(``visible_to``: their own as payer, their households' when the household shares them), the
stored PDFs, and « ADHÉSION À LA FACTURE/COMPTE EN LIGNE »."""

import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import F, Prefetch, Sum
from django.db.models.functions import Coalesce
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from portail.billing.models import ZERO, CreditNote, Invoice, family_scope_ids
from portail.households import services as household_services
from portail.households.models import Household, Request, RequestKind
from portail.payments.models import Payment

from ..decorators import family_required
from ..forms.billing import PaperlessInvoicesForm
from ..forms.requests import SLUGS

logger = logging.getLogger(__name__)

CENT = Decimal("0.01")
INVOICES_PER_PAGE = 24
RECENT_PAYMENTS = 10
DISPUTE_COLUMNS = [
    "reference",
    "invoice_id",
    "status",
    "submitted_at",
    "decided_at",
    "staff_comment",
]


def _visible_credit_notes(user):
    """Credit notes on the invoices the person may see, and only those."""
    return CreditNote.objects.filter(invoice__in=Invoice.objects.visible_to(user).values("pk"))


def placeholders(values) -> str:
    """``%s, %s, …`` for a list of parameters: the only text ever put into the portal's
    hand-written SQL (every value is a parameter)."""
    return ", ".join(["%s"] * len(values))


def visible_invoices_sql(user) -> tuple[str, list]:
    """``Invoice.objects.visible_to(user)`` as an SQL condition on billing_invoice, with its
    parameters, for the family pages' one-query summaries."""
    own, shared = family_scope_ids(user)  # never empty: family_required checked
    condition = f"payer_id IN ({placeholders(own)})"
    params = [Invoice.Status.DRAFT.value, *own]
    if shared:
        condition = f"({condition} OR household_id IN ({placeholders(shared)}))"
        params += shared
    return f"status <> %s AND {condition}", params


def _summary(user) -> dict:
    """What « MES FACTURES » counts, in one query (three small indexed subqueries): how many
    invoices (for the pages), how many unpaid, and the credit left on credit notes — as
    ``visible_to(user).count()``, ``.unpaid().count()`` and ``_available_credit(user)``
    would say, in a third of the queries and of their cost in building them."""
    visible, params = visible_invoices_sql(user)
    unpaid = [Invoice.Status.ISSUED.value, Invoice.Status.PARTIALLY_PAID.value]
    sql = (
        f"SELECT (SELECT COUNT(*) FROM billing_invoice WHERE {visible}),"  # noqa: S608  # nosec B608: fixed SQL, values as parameters
        f" (SELECT COUNT(*) FROM billing_invoice WHERE status IN (%s, %s) AND {visible}),"
        " (SELECT COALESCE(SUM(amount - applied_amount - used_amount - refunded_amount), 0)"
        f" FROM billing_creditnote WHERE invoice_id IN (SELECT id FROM billing_invoice"
        f" WHERE {visible}))"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *unpaid, *params, *params])
        count, unpaid_count, credit = cursor.fetchone()
    # SQLite sums decimals as floats; PostgreSQL as decimals.
    return {
        "count": count,
        "unpaid_count": unpaid_count,
        "available_credit": Decimal(str(credit)).quantize(CENT),
    }


def _available_credit(user) -> Decimal:
    return _visible_credit_notes(user).aggregate(
        available=Coalesce(
            Sum(F("amount") - F("applied_amount") - F("used_amount") - F("refunded_amount")),
            ZERO,
        )
    )["available"]


@family_required
def invoices(request):
    user = request.user
    visible = Invoice.objects.visible_to(user)
    # Sorted by kind first so that each page lists its invoices grouped by kind; pk last
    # keeps the pages stable.
    listed = visible.select_related("kind").order_by(
        "kind__position", "kind__label", "-period_on", "-issued_on", "-number", "-pk"
    )
    summary = _summary(user)
    paginator = Paginator(listed, INVOICES_PER_PAGE)
    paginator.count = summary["count"]  # counted with the rest: no query of its own
    context = {
        "page": paginator.get_page(request.GET.get("page")),
        "unpaid_count": summary["unpaid_count"],
        "available_credit": summary["available_credit"],
        # (payment, amount shown) pairs, as on an invoice (portal/billing/_payments_table.html).
        "payment_rows": [
            (payment, payment.amount)
            for payment in Payment.objects.visible_to(user).order_by("-received_on", "-pk")[
                :RECENT_PAYMENTS
            ]
        ],
    }
    return render(request, "portal/billing/invoices.html", context)


@dataclass
class ChildLines:
    """An invoice's lines for one child, with their subtotal."""

    child_name: str
    lines: list = field(default_factory=list)

    @property
    def subtotal(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)


def _lines_by_child(lines) -> list[ChildLines]:
    """Lines grouped by child, in the invoice's order; lines for no child come last."""
    groups: dict[str, ChildLines] = {}
    for line in lines:
        groups.setdefault(line.child_name, ChildLines(line.child_name)).lines.append(line)
    return sorted(groups.values(), key=lambda group: group.child_name == "")


@family_required
def invoice_detail(request, reference):
    invoice = get_object_or_404(
        Invoice.objects.visible_to(request.user)
        .select_related("kind", "regie", "payer")
        # The family's questions about this invoice and where they stand: one query, however
        # many; not their encrypted details, which the page does not show.
        .prefetch_related(
            Prefetch(
                "requests",
                queryset=Request.objects.only(*DISPUTE_COLUMNS).order_by("submitted_at", "pk"),
                to_attr="disputes",
            )
        ),
        reference=reference,
    )
    context = {
        "invoice": invoice,
        "regie": invoice.regie,
        "children": _lines_by_child(invoice.lines.all()),
        # What each payment brought to this invoice.
        "payment_rows": [
            (allocation.payment, allocation.amount)
            for allocation in invoice.allocations.select_related("payment").order_by(
                "payment__received_on", "payment__pk"
            )
        ],
        "credit_notes": invoice.credit_notes.order_by("issued_on", "pk"),
        "can_be_disputed": invoice.status != Invoice.Status.CANCELLED,
        "dispute_kind": SLUGS[RequestKind.INVOICE],
    }
    return render(request, "portal/billing/invoice_detail.html", context)


def _safe_filename(template: str, number: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in number)
    return template % {"number": safe}


def _stored_pdf(request, stored, *, filename, pending_message, back_url):
    """The PDF exactly as it was stored when the document was issued: never rendered here.
    Until the worker has stored it, the family reads that it is being prepared."""
    if stored:
        try:
            return FileResponse(
                stored.open("rb"),
                as_attachment=True,
                filename=filename,
                content_type="application/pdf",
            )
        except FileNotFoundError:
            # The row names a file the storage does not have: staff must look into it,
            # the family gets the same answer as for a PDF not stored yet.
            logger.error("Stored PDF missing from the storage: %s", stored.name)
    context = {"pending_message": pending_message, "back_url": back_url}
    return render(request, "portal/billing/pdf_pending.html", context)


@family_required
def invoice_pdf(request, reference):
    invoice = get_object_or_404(Invoice.objects.visible_to(request.user), reference=reference)
    return _stored_pdf(
        request,
        invoice.pdf,
        filename=_safe_filename(_("invoice-%(number)s.pdf"), invoice.number),
        pending_message=_("Your invoice is being prepared, please try again in a few moments."),
        back_url=reverse("portal:invoice-detail", kwargs={"reference": invoice.reference}),
    )


@family_required
def credit_note_pdf(request, reference):
    note = get_object_or_404(
        _visible_credit_notes(request.user).select_related("invoice"), reference=reference
    )
    return _stored_pdf(
        request,
        note.pdf,
        filename=_safe_filename(_("credit-note-%(number)s.pdf"), note.number),
        pending_message=_("Your credit note is being prepared, please try again in a few moments."),
        back_url=reverse("portal:invoice-detail", kwargs={"reference": note.invoice.reference}),
    )


@family_required
def receipt_pdf(request, reference):
    payment = get_object_or_404(Payment.objects.visible_to(request.user), reference=reference)
    return _stored_pdf(
        request,
        payment.receipt_pdf,
        filename=_safe_filename(_("receipt-%(number)s.pdf"), payment.receipt_number),
        pending_message=_("Your receipt is being prepared, please try again in a few moments."),
        back_url=reverse("portal:invoices"),
    )


@family_required
def paperless(request):
    user = request.user
    households = Household.objects.for_user(user).order_by("name", "pk")
    form = PaperlessInvoicesForm(
        request.POST if request.method == "POST" else None, households=households
    )
    if request.method == "POST" and form.is_valid():
        for household, enabled in form.choices():
            household_services.set_paperless_invoices(
                household=household, enabled=enabled, changed_by=user
            )
        messages.success(request, _("Your choice has been saved."))
        return redirect("portal:paperless")
    return render(request, "portal/billing/paperless.html", {"form": form})
