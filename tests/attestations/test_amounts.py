"""The amounts on the certificates, against sums done by hand (tests/attestations/conftest.py
has the Martin family's year)."""

from decimal import Decimal

from portail.billing.attestations import born_from, payment_certificate, tax_certificate
from portail.payments.models import Payment

from .conftest import D


def amounts(certificate) -> dict[str, Decimal]:
    return {child.child_name: child.amount for child in certificate.children}


def marie_tax_certificate(year, tax_year):
    payments = Payment.objects.visible_to(year.family.user)
    return tax_certificate(
        payments=payments, payer=year.family.guardian, regie=year.regie, year=tax_year
    )


def test_tax_certificate_counts_what_was_paid_in_the_year_per_child_under_six(year):
    certificate = marie_tax_certificate(year, 2025)

    # Léo: A 160 × 100/200 = 80 (not the meals), B 60 × 90/120 = 45, C 60, C refunded −10,
    #      D 10 in cash (the 20 by credit note is not money), E 10 × 10/30 = 3,333…
    # Emma: A 160 × 50/200 = 40, B 60 × 30/120 = 15, E 10 × 20/30 = 6,666…
    # Hugo: six on 1 January 2025, not counted. Paul's invoice F is on his own certificate.
    assert amounts(certificate) == {
        "Léo Martin": Decimal("188.33"),
        "Emma Martin": Decimal("61.67"),
    }
    assert certificate.total == Decimal("250.00")


def test_tax_certificate_of_the_previous_year_counts_what_was_paid_then(year):
    certificate = marie_tax_certificate(year, 2024)

    # A: 40 paid on 20/12/2024 over 200 of lines: Léo 20, Emma 10, Hugo 5 (under six on
    # 1 January 2024), the meals 5 not counted.
    assert amounts(certificate) == {
        "Hugo Martin": Decimal("5.00"),
        "Emma Martin": Decimal("10.00"),
        "Léo Martin": Decimal("20.00"),
    }
    assert [child.child_name for child in certificate.children] == [
        "Hugo Martin",
        "Emma Martin",
        "Léo Martin",
    ], "eldest first"


def test_payment_received_in_january_counts_for_the_new_year(year):
    certificate = marie_tax_certificate(year, 2026)

    # B's last 40 (Léo 30, Emma 10), paid on 15/01/2026. Emma (born 01/01/2019) is six on
    # 1 January 2026 → no longer counted; born_from(2026) is 01/01/2020.
    assert born_from(2026) == D(2020, 1, 1)
    assert amounts(certificate) == {"Léo Martin": Decimal("30.00")}


def test_each_payer_has_their_own_tax_certificate(year):
    payments = Payment.objects.visible_to(year.family.user)
    certificate = tax_certificate(
        payments=payments, payer=year.partner, regie=year.regie, year=2025
    )

    assert amounts(certificate) == {"Léo Martin": Decimal("50.00")}


def test_a_year_without_payments_gives_an_empty_certificate(year):
    certificate = marie_tax_certificate(year, 2023)

    assert certificate.children == []
    assert certificate.total == Decimal("0.00")


def test_payment_certificate_lists_the_money_received_in_the_period_per_invoice(year):
    payments = Payment.objects.visible_to(year.family.user)
    certificate = payment_certificate(
        payments=payments,
        household=year.family.household,
        regie=year.regie,
        start_on=D(2025, 1, 1),
        end_on=D(2025, 4, 30),
    )

    received = {
        paid.invoice.number: [(p.payment.received_on, p.amount) for p in paid.payments]
        for paid in certificate.invoices
    }
    inv = year.invoices
    assert received == {
        inv["A"].number: [(D(2025, 1, 10), Decimal("160.00"))],
        inv["F"].number: [(D(2025, 2, 15), Decimal("50.00"))],
        inv["B"].number: [(D(2025, 3, 1), Decimal("60.00"))],
        inv["C"].number: [(D(2025, 3, 20), Decimal("60.00"))],
        # D's 20,00 € by credit note is not a payment received.
        inv["D"].number: [(D(2025, 4, 20), Decimal("10.00"))],
    }
    assert certificate.total == Decimal("340.00")


def test_payment_certificate_period_includes_both_end_dates(year):
    payments = Payment.objects.visible_to(year.family.user)
    certificate = payment_certificate(
        payments=payments,
        household=year.family.household,
        regie=year.regie,
        start_on=D(2025, 1, 10),
        end_on=D(2025, 1, 10),
    )

    assert certificate.total == Decimal("160.00")
