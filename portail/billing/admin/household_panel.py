"""The billing part of a household's page in the back office."""

from django.template.loader import render_to_string

from portail.billing.models import CreditNote, Invoice


def household_billing_panel(household) -> str:
    """The billing part of a household's page: balance, latest invoices, payments and credit
    notes, and the links to do something about them. Whoever may see the household may see
    all of these (invoices follow their household, as in ``invoices_for``)."""
    from portail.billing.balances import household_balance
    from portail.payments.models import Payment

    invoices = (
        Invoice.objects.for_household(household)
        .select_related("kind", "payer")
        .order_by("-period_on", "-pk")
    )
    payments = (
        Payment.objects.for_household(household)
        .select_related("payer")
        .order_by("-received_on", "-pk")
    )
    credit_notes = CreditNote.objects.filter(household=household).select_related("invoice")
    latest = 10
    balance = household_balance(household)
    return render_to_string(
        "admin/billing/household_billing.html",
        {
            "household": household,
            "balance": balance,
            "owed": abs(balance.net),
            "invoices": invoices[:latest],
            "invoice_count": invoices.count(),
            "payments": payments[:latest],
            "payment_count": payments.count(),
            "credit_notes": credit_notes.order_by("-issued_on", "-pk")[:latest],
        },
    )
