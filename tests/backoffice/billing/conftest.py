"""Invoices of the Martin family (Pic et Plume) and the Durand family (Loptiou), made through
the billing services as the back office makes them."""

import datetime
import re
from decimal import Decimal

import pytest

from portail.billing.models import InvoiceLine
from portail.billing.services import create_draft_invoice, create_regie, issue_invoices

FEBRUARY = datetime.date(2022, 2, 1)
ISSUED_ON = datetime.date(2022, 2, 9)


@pytest.fixture
def regie():
    return create_regie(
        name="Régie Petite Enfance",
        invoice_number_format="F{year}-{number:04d}",
        credit_note_number_format="AV{year}-{number:04d}",
        receipt_number_format="R{year}-{number:04d}",
    )


def hours(child, quantity, unit_price="2.50", label="Heures d'accueil"):
    return {
        "child": child,
        "label": label,
        "quantity": Decimal(quantity),
        "unit": InvoiceLine.Unit.HOUR,
        "unit_price": Decimal(unit_price),
    }


def make_draft(regie, household, *, quantity="11.6", period_on=FEBRUARY, payer=None):
    child = household.children.first()
    return create_draft_invoice(
        regie=regie,
        kind=regie.kinds.get(label="FACTURE JEUNESSE"),
        household=household,
        payer=payer or household.guardians.order_by("pk").first(),
        period_on=period_on,
        lines=[hours(child, quantity)],
    )


def make_issued(regie, household, **kwargs):
    return issue_invoices(invoices=[make_draft(regie, household, **kwargs)], issued_on=ISSUED_ON)[0]


@pytest.fixture
def martin_draft(regie, martin):
    return make_draft(regie, martin)


@pytest.fixture
def martin_invoice(regie, martin):
    """Issued: F2022-0001, 29,00 € (11,6 h × 2,50 €) to Camille Martin."""
    return make_issued(regie, martin)


@pytest.fixture
def durand_invoice(regie, durand):
    return make_issued(regie, durand)


def hidden_value(response, name) -> str:
    match = re.search(
        rf'<input type="hidden" name="{re.escape(name)}" value="([^"]*)"', response.content.decode()
    )
    assert match, f"no hidden field {name}"
    return match.group(1)


def said(response) -> list[str]:
    """The messages shown to staff, with no-break spaces as plain spaces."""
    return [" ".join(str(message).split()) for message in response.context["messages"]]
