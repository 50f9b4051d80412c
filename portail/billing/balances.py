"""What a household owes and has in credit: reads only."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Sum
from django.db.models.functions import Coalesce

from .models import ZERO, CreditNote, Invoice


@dataclass(frozen=True)
class Balance:
    total_due: Decimal
    unpaid_invoices: int
    available_credit: Decimal
    unallocated_payments: Decimal

    @property
    def net(self) -> Decimal:
        """Positive: the family owes; negative: the régie owes the family."""
        return self.total_due - self.available_credit - self.unallocated_payments


def household_balance(household) -> Balance:
    from portail.payments.models import Payment

    invoices = (
        Invoice.objects.for_household(household)
        .unpaid()
        .aggregate(
            due=Coalesce(Sum(F("total") - F("amount_paid") - F("amount_credited")), ZERO),
            count=Count("pk"),
        )
    )
    credit = CreditNote.objects.filter(household=household).aggregate(
        available=Coalesce(
            Sum(F("amount") - F("applied_amount") - F("used_amount") - F("refunded_amount")),
            ZERO,
        )
    )
    unallocated = Payment.objects.for_household(household).aggregate(
        left=Coalesce(Sum(F("amount") - F("allocated_amount")), ZERO)
    )
    return Balance(
        total_due=invoices["due"],
        unpaid_invoices=invoices["count"],
        available_credit=credit["available"],
        unallocated_payments=unallocated["left"],
    )
