"""Which invoices direct debit pays (reads only): those in a running debit, with its date,
and the unpaid ones of a payer whose active mandate covers them, which the next batch takes.
Two queries whatever the number of invoices, for the invoice list and its detail."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext

from .models import Debit, Mandate


@dataclass(frozen=True)
class Coverage:
    collection_on: date | None  # the date of the running debit; None: the next batch
    card_payment_allowed: bool

    @property
    def is_scheduled(self) -> bool:
        return self.collection_on is not None


def coverage_of(invoices) -> dict[int, Coverage]:
    """invoice pk → Coverage, for the invoices (issued ones) that direct debit pays. One
    query whatever the number of invoices."""
    from portail.billing.models import Invoice

    payable = [invoice.pk for invoice in invoices if invoice.is_payable]
    if not payable:
        return {}
    running = Debit.objects.filter(invoice=OuterRef("pk"), status__in=Debit.RUNNING)
    rejected = Debit.objects.filter(invoice=OuterRef("pk"), status=Debit.Status.REJECTED)
    mandate = Mandate.objects.filter(
        payer=OuterRef("payer"), regie=OuterRef("regie"), status=Mandate.Status.ACTIVE
    )
    rows = (
        Invoice.objects.filter(pk__in=payable)
        .annotate(
            debit_on=Subquery(running.values("collection_on")[:1]),
            covered_from=Subquery(mandate.values("effective_on")[:1]),
            card_allowed=Subquery(
                mandate.values("regie__creditor_settings__card_payment_for_covered_invoices")[:1]
            ),
            represent=Subquery(
                mandate.values("regie__creditor_settings__represent_rejected_once")[:1]
            ),
            rejects=Coalesce(
                Subquery(rejected.values("invoice").annotate(n=Count("pk")).values("n")[:1]),
                Value(0),
                output_field=IntegerField(),
            ),
        )
        .values_list(
            "pk", "issued_on", "debit_on", "covered_from", "card_allowed", "represent", "rejects"
        )
    )
    covered = {}
    for pk, issued_on, debit_on, covered_from, card_allowed, represent, rejects in rows:
        if debit_on is not None:
            # A debit on its way is never doubled by a card payment.
            covered[pk] = Coverage(debit_on, card_payment_allowed=False)
        elif rejects > (1 if represent else 0):
            # Rejected: the family pays it another way (as the reject e-mail says).
            continue
        elif covered_from is not None and issued_on and issued_on >= covered_from:
            covered[pk] = Coverage(None, card_payment_allowed=bool(card_allowed))
    return covered


def card_payment_refusal(invoice) -> str:
    """Why this invoice may not be paid by card now (it is paid by direct debit), or ""."""
    coverage = coverage_of([invoice]).get(invoice.pk)
    if coverage is None or coverage.card_payment_allowed:
        return ""
    if coverage.is_scheduled:
        return gettext(
            "This invoice will be paid by direct debit on {date}: there is nothing to pay online."
        ).format(date=coverage.collection_on.strftime("%d/%m/%Y"))
    return gettext(
        "This invoice will be paid by direct debit at the next collection: there is nothing to "
        "pay online."
    )
