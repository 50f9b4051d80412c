"""The stored PDFs (invoice, credit note, receipt) exactly as issued, for their family only:
anything else is the same 404 as a reference that does not exist."""

import datetime
import re
import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from portail.billing.services import create_credit_note
from portail.payments.models import PaymentMethod
from portail.payments.services import record_payment

from ..families import make_family
from ..pages import text_of
from .conftest import hours, issue_invoice, store_pdf

INVOICE_PDF = b"%PDF-1.4\n% facture 764 stockee\n%%EOF\n"
CREDIT_NOTE_PDF = b"%PDF-1.4\n% avoir stocke\n%%EOF\n"
RECEIPT_PDF = b"%PDF-1.4\n% recu stocke\n%%EOF\n"


def documents_of(family, regie, number):
    """An invoice of the family with a payment and a credit note."""
    invoice = issue_invoice(
        regie, family.household, family.guardian, number=number, lines=[hours(family.child, "20")]
    )
    payment = record_payment(
        regie=regie,
        payer=family.guardian,
        method=PaymentMethod.CHEQUE,
        amount=Decimal("10.00"),
        received_on=datetime.date(2022, 2, 20),
        invoices=[invoice],
    )
    note = create_credit_note(invoice=invoice, amount=Decimal("5.00"), reason="Absence")
    return {
        "portal:invoice-detail": invoice,
        "portal:invoice-pdf": invoice,
        "portal:credit-note-pdf": note,
        "portal:receipt-pdf": payment,
    }


def without_tokens(response) -> str:
    html = response.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r'name="next"( type="hidden")? value="[^"]+"', "", html)


def download(client, name, reference):
    return client.get(reverse(name, kwargs={"reference": reference}))


def test_invoice_download_returns_the_stored_pdf(family_client, family, regie):
    invoice = issue_invoice(
        regie, family.household, family.guardian, number="764", lines=[hours(family.child, "1")]
    )
    store_pdf(invoice, "pdf", INVOICE_PDF)

    response = download(family_client, "portal:invoice-pdf", invoice.reference)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="facture-764.pdf"'
    assert b"".join(response.streaming_content) == INVOICE_PDF


def test_credit_note_and_receipt_downloads_return_the_stored_pdfs(family_client, family, regie):
    documents = documents_of(family, regie, "764")
    note = store_pdf(documents["portal:credit-note-pdf"], "pdf", CREDIT_NOTE_PDF)
    payment = store_pdf(documents["portal:receipt-pdf"], "receipt_pdf", RECEIPT_PDF)

    note_response = download(family_client, "portal:credit-note-pdf", note.reference)
    receipt_response = download(family_client, "portal:receipt-pdf", payment.reference)

    assert note_response["Content-Type"] == "application/pdf"
    assert note_response["Content-Disposition"] == (
        f'attachment; filename="avoir-{note.number}.pdf"'
    )
    assert b"".join(note_response.streaming_content) == CREDIT_NOTE_PDF
    assert receipt_response["Content-Disposition"] == (
        f'attachment; filename="recu-{payment.receipt_number}.pdf"'
    )
    assert b"".join(receipt_response.streaming_content) == RECEIPT_PDF


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("portal:invoice-pdf", "Votre facture est en cours de préparation"),
        ("portal:credit-note-pdf", "Votre avoir est en cours de préparation"),
        ("portal:receipt-pdf", "Votre reçu est en cours de préparation"),
    ],
)
def test_a_pdf_not_stored_yet_is_announced_as_being_prepared(
    family_client, family, regie, name, message
):
    document = documents_of(family, regie, "764")[name]

    response = download(family_client, name, document.reference)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert f"{message}, réessayez dans quelques instants." in text_of(response)


def test_a_pdf_missing_from_the_storage_is_announced_as_being_prepared(
    family_client, family, regie
):
    invoice = issue_invoice(
        regie, family.household, family.guardian, number="764", lines=[hours(family.child, "1")]
    )
    store_pdf(invoice, "pdf", INVOICE_PDF)
    invoice.pdf.storage.delete(invoice.pdf.name)

    response = download(family_client, "portal:invoice-pdf", invoice.reference)

    assert response.status_code == 200
    assert "Votre facture est en cours de préparation" in text_of(response)


@pytest.mark.parametrize(
    "name",
    ["portal:invoice-detail", "portal:invoice-pdf", "portal:credit-note-pdf", "portal:receipt-pdf"],
)
def test_family_cannot_open_another_households_documents(family_client, family, regie, name):
    other = make_family(name="Bertin")
    theirs = documents_of(other, regie, "999")[name]
    for field in ["pdf", "receipt_pdf"]:
        if hasattr(theirs, field):
            store_pdf(theirs, field, b"%PDF-1.4 secret")
    documents_of(family, regie, "764")

    missing = download(family_client, name, uuid.uuid4())
    response = download(family_client, name, theirs.reference)

    assert missing.status_code == 404
    assert response.status_code == 404
    # Indistinguishable from a reference that does not exist.
    assert without_tokens(response) == without_tokens(missing)
