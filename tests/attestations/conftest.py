"""The Martin family's year 2025 at the crèche, built through the billing and payment
services as staff record it, with amounts chosen so that every certificate can be checked
by hand (tests/attestations/test_amounts.py spells the arithmetic out)."""

import datetime
import io
from dataclasses import dataclass
from decimal import Decimal

import pytest
from pypdf import PdfReader

from portail.billing.models import Invoice, InvoiceLine
from portail.billing.services import create_credit_note, create_draft_invoice, create_regie
from portail.billing.services import issue_invoices as issue
from portail.households.models import Child, Guardian
from portail.payments.models import PaymentMethod
from portail.payments.services import record_payment, refund_credit_note, use_credit_note
from tests.factories import ChildFactory, GuardianFactory, UserFactory
from tests.portal.families import Family, make_family

D = datetime.date


def hours(child, quantity, price):
    return {
        "child": child,
        "label": "Heures d'accueil",
        "quantity": Decimal(quantity),
        "unit": InvoiceLine.Unit.HOUR,
        "unit_price": Decimal(price),
    }


def meals(child, quantity, price):
    return {**hours(child, quantity, price), "label": "Repas", "unit": InvoiceLine.Unit.MEAL}


def invoice(regie, payer, period_on, issued_on, *lines) -> Invoice:
    draft = create_draft_invoice(
        regie=regie,
        kind=regie.kinds.get(label="FACTURE JEUNESSE"),
        household=payer.household,
        payer=payer,
        period_on=period_on,
        lines=list(lines),
    )
    return issue(invoices=[draft], issued_on=issued_on)[0]


def pay(regie, payer, invoice, amount, on, method=PaymentMethod.CHEQUE):
    return record_payment(
        regie=regie,
        payer=payer,
        method=method,
        amount=Decimal(amount),
        received_on=on,
        invoices=[invoice],
    )


@dataclass
class Year:
    family: Family
    partner: Guardian
    leo: Child
    emma: Child
    hugo: Child
    regie: object
    invoices: dict


@pytest.fixture
def regie():
    return create_regie(
        name="Régie Petite Enfance",
        address="1 place de la Mairie\n74000 Bourg-les-Crèches",
        invoice_number_format="F{year}-{number:04d}",
    )


@pytest.fixture
def year(regie, django_capture_on_commit_callbacks) -> Year:
    family = make_family(name="Martin", children=0, contacts=0)
    marie = family.guardian
    partner = GuardianFactory(
        household=family.household,
        user=UserFactory(username="paul.martin"),
        first_name="Paul",
        last_name="Martin",
    )

    def child(first_name, birth_date):
        return ChildFactory(
            household=family.household,
            nursery=family.nursery,
            first_name=first_name,
            last_name="Martin",
            birth_date=birth_date,
        )

    leo = child("Léo", D(2021, 3, 10))
    emma = child("Emma", D(2019, 1, 1))  # born on the limit date of 2025: counted
    hugo = child("Hugo", D(2018, 12, 31))  # six on 1 January 2025: not counted in 2025

    invoices = {}
    # A: November 2024, 200,00 € (meals 25,00 €), paid 40,00 € in 2024 and 160,00 € in 2025.
    invoices["A"] = a = invoice(
        regie,
        marie,
        D(2024, 11, 1),
        D(2024, 12, 5),
        hours(leo, "40", "2.50"),
        hours(emma, "20", "2.50"),
        hours(hugo, "10", "2.50"),
        meals(leo, "10", "2.50"),
    )
    pay(regie, marie, a, "40.00", D(2024, 12, 20))
    pay(regie, marie, a, "160.00", D(2025, 1, 10), PaymentMethod.CARD_ONLINE)
    # B: January 2025, 120,00 €: 60,00 € paid, a credit note of 20,00 € reduces what is due,
    # the last 40,00 € paid in 2026.
    invoices["B"] = b = invoice(
        regie,
        marie,
        D(2025, 1, 1),
        D(2025, 2, 5),
        hours(leo, "30", "3.00"),
        hours(emma, "10", "3.00"),
    )
    pay(regie, marie, b, "60.00", D(2025, 3, 1))
    create_credit_note(
        invoice=b, amount=Decimal("20.00"), reason="Fermeture", issued_on=D(2025, 3, 10)
    )
    pay(regie, marie, b, "40.00", D(2026, 1, 15))
    # C: February 2025, 60,00 € paid, then a credit note of 30,00 €: 10,00 € refunded, 20,00 €
    # used on D.
    invoices["C"] = c = invoice(
        regie, marie, D(2025, 2, 1), D(2025, 3, 5), hours(leo, "20", "3.00")
    )
    pay(regie, marie, c, "60.00", D(2025, 3, 20), PaymentMethod.TRANSFER)
    note = create_credit_note(
        invoice=c, amount=Decimal("30.00"), reason="Absence maladie", issued_on=D(2025, 4, 1)
    )
    refund_credit_note(credit_note=note, amount=Decimal("10.00"))
    # D: March 2025, 30,00 €: 20,00 € by the credit note, 10,00 € in cash.
    invoices["D"] = d = invoice(
        regie, marie, D(2025, 3, 1), D(2025, 4, 5), hours(leo, "10", "3.00")
    )
    use_credit_note(credit_note=note, invoice=d, amount=Decimal("20.00"))
    pay(regie, marie, d, "10.00", D(2025, 4, 20), PaymentMethod.CASH)
    # E: April 2025, 30,00 € (Léo 10,00 €, Emma 20,00 €), 10,00 € paid: thirds to round.
    invoices["E"] = e = invoice(
        regie,
        marie,
        D(2025, 4, 1),
        D(2025, 5, 5),
        hours(leo, "4", "2.50"),
        hours(emma, "8", "2.50"),
    )
    pay(regie, marie, e, "10.00", D(2025, 5, 1))
    # F: Paul is the payer: 50,00 € for Léo, paid in 2025.
    invoices["F"] = f = invoice(
        regie, partner, D(2025, 1, 1), D(2025, 2, 1), hours(leo, "20", "2.50")
    )
    pay(regie, partner, f, "50.00", D(2025, 2, 15))
    return Year(family, partner, leo, emma, hugo, regie, invoices)


def pdf_text(content: bytes) -> str:
    pages = PdfReader(io.BytesIO(content)).pages
    return " ".join(" ".join(page.extract_text().split()) for page in pages)
