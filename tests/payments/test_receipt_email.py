"""« Paiement reçu » carries the receipt as a PDF the family can keep."""

import io

from django.core import mail
from pypdf import PdfReader

from portail.notifications.models import OutgoingEmail
from portail.notifications.services import send_outgoing_email
from portail.payments.models import Payment

from .helpers import notification_url, start_payment


def pdf_text(content: bytes) -> str:
    return " ".join(
        " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split()
    )


def test_payment_received_email_carries_the_receipt_pdf(
    family_client, invoice, payfip_service, client, django_capture_on_commit_callbacks
):
    attempt = start_payment(family_client, invoice)
    payfip_service.pay(attempt.idop, "P")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(notification_url(attempt), {"idop": attempt.idop})
    payment = Payment.objects.get()
    email = OutgoingEmail.objects.get(kind="payment_received")
    (attachment,) = email.attachments.all()
    assert attachment.mimetype == "application/pdf"
    assert attachment.filename.endswith(".pdf")
    text = pdf_text(attachment.data())
    assert payment.receipt_number in text and "29,00" in text

    send_outgoing_email(email_id=email.pk)  # already sent by its task: not sent again
    (sent,) = mail.outbox
    ((filename, content, mimetype),) = sent.attachments
    assert mimetype == "application/pdf" and filename == attachment.filename
    assert payment.receipt_number in pdf_text(content)
