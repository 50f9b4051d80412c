"""Invoices for the Durand family (tests/portal/conftest.py), made through the billing
services as staff make them: drafts with lines, then issued with a number."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile

from portail.billing.models import InvoiceLine
from portail.billing.services import create_draft_invoice, create_regie, issue_invoices

FEBRUARY = datetime.date(2022, 2, 1)
ISSUED_ON = datetime.date(2022, 2, 9)


@pytest.fixture
def regie():
    # 28 days to pay: issued on 09/02/2022, due on 09/03/2022, as in the seed.
    return create_regie(
        name="Régie Petite Enfance",
        address="1 place de la Mairie\n74000 Bourg-les-Crèches",
        email="regie@bourg.example.fr",
        phone="04 50 22 05 50",
        payment_delay_days=28,
        accepts_card_online=True,
        accepts_direct_debit=True,
        accepts_cheque=True,
        accepts_cash=True,
        accepts_cesu=False,
        accepts_transfer=False,
    )


def hours(child, quantity, unit_price="2.50", label="Heures d'accueil"):
    return {
        "child": child,
        "label": label,
        "quantity": Decimal(quantity),
        "unit": InvoiceLine.Unit.HOUR,
        "unit_price": Decimal(unit_price),
    }


def draft_invoice(regie, household, payer, *, lines, kind="FACTURE JEUNESSE", period_on=FEBRUARY):
    return create_draft_invoice(
        regie=regie,
        kind=regie.kinds.get(label=kind),
        household=household,
        payer=payer,
        period_on=period_on,
        lines=lines,
    )


def issue_invoice(
    regie,
    household,
    payer,
    *,
    number,
    lines,
    kind="FACTURE JEUNESSE",
    period_on=FEBRUARY,
    issued_on=ISSUED_ON,
):
    """An issued invoice with the given number (as an import gives them)."""
    invoice = draft_invoice(regie, household, payer, lines=lines, kind=kind, period_on=period_on)
    return issue_invoices(invoices=[invoice], issued_on=issued_on, numbers={invoice.pk: number})[0]


def store_pdf(obj, field_name, content: bytes, name="document.pdf"):
    """What the PDF task leaves behind: a stored file (real rendering is tested elsewhere)."""
    getattr(obj, field_name).save(name, ContentFile(content), save=False)
    obj.save(update_fields=[field_name])
    return obj
