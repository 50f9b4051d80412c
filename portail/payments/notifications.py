"""E-mails about money received; templates in templates/notifications/<kind>/."""

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from portail.billing.notifications import invoice_recipients
from portail.notifications.services import queue_email

from .models import OnlinePayment
from .services import store_receipt_pdf


@transaction.atomic
def notify_payment_received(*, payment_id: int) -> int:
    """« Paiement reçu » with the link to the receipt, after an online payment, to the payer
    (and the other guardians when the household shares its invoices), once per payment: a
    task run twice sends nothing more. Returns how many e-mails were queued."""
    attempt = (
        OnlinePayment.objects.select_for_update(of=("self",))
        .select_related("payment", "invoice__household", "invoice__payer__user")
        .filter(payment_id=payment_id)
        .first()
    )
    if attempt is None or attempt.notified_at is not None:
        return 0
    # The receipt travels with the e-mail; rendered here if its task has not run yet (the
    # rendering is stored once, whoever comes first).
    payment = store_receipt_pdf(payment_id=attempt.payment_id)
    with payment.receipt_pdf.open("rb") as stored:
        receipt = (stored.name.rsplit("/", 1)[-1], stored.read(), "application/pdf")
    allocations = list(payment.allocations.select_related("invoice__kind").order_by("pk"))
    receipt_url = settings.SITE_URL + reverse(
        "portal:receipt-pdf", kwargs={"reference": payment.reference}
    )
    recipients = invoice_recipients(attempt.invoice)
    for guardian, email in recipients:
        queue_email(
            kind="payment_received",
            to=email,
            language=guardian.user.language if guardian.user_id else "fr",
            context={
                "payment": payment,
                "guardian": guardian,
                "allocations": allocations,
                "receipt_url": receipt_url,
            },
            attachments=[receipt],
        )
    attempt.notified_at = timezone.now()
    attempt.save(update_fields=["notified_at"])
    return len(recipients)
