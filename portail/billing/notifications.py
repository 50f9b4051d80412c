"""E-mails about invoices: one function per notification, templates in
templates/notifications/<kind>/."""

import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone

from portail.households.models import Guardian
from portail.notifications.models import NotificationCategory
from portail.notifications.services import (
    EmailToQueue,
    Recipient,
    notify_recipients,
    queue_emails,
)

from .models import Invoice

logger = logging.getLogger(__name__)


def invoice_recipients(invoice: Invoice) -> list:
    """The payer, and the household's other guardians when it shares its invoices; only
    people with an e-mail address, each once."""
    guardians = [invoice.payer]
    if invoice.household.share_invoices_with_all_guardians:
        guardians += [g for g in invoice.household.guardians.all() if g.pk != invoice.payer_id]
    seen, recipients = set(), []
    for guardian in guardians:
        email = (guardian.email or (guardian.user.email if guardian.user else "")).strip()
        if email and email.lower() not in seen:
            seen.add(email.lower())
            recipients.append((guardian, email))
    return recipients


def _invoice_issued_messages(invoice: Invoice) -> tuple[list[EmailToQueue], list[tuple]]:
    """The « nouvelle facture » e-mails of an issued invoice, and the same people's entries
    in their notification centre (the e-mail is the invoice's own, so it sends none)."""
    path = reverse("portal:invoice-detail", kwargs={"reference": invoice.reference})
    url = settings.SITE_URL + path
    recipients = invoice_recipients(invoice)
    emails = [
        EmailToQueue(
            "invoice_issued",
            email,
            {"invoice": invoice, "guardian": guardian, "invoice_url": url},
            language=guardian.user.language if guardian.user else "fr",
        )
        for guardian, email in recipients
    ]
    label = f"{invoice.kind.label} {invoice.number}"
    entries = [
        (Recipient(guardian.user, invoice.household_id, email), label, path)
        for guardian, email in recipients
        if guardian.user_id
    ]
    return emails, entries


def _send(emails: list[EmailToQueue], entries: list[tuple]) -> None:
    queue_emails(emails)
    # The same people see it in their notification centre (the e-mail above is the invoice's).
    notify_recipients(category=NotificationCategory.INVOICE, entries=entries, send_emails=False)


@transaction.atomic
def notify_invoice_issued(*, invoice_id: int) -> int:
    """« Une nouvelle facture est disponible » to each recipient, once per invoice (a task
    run twice sends nothing more). Returns how many e-mails were queued."""
    invoice = (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("kind", "regie", "household", "payer__user")
        .get(pk=invoice_id)
    )
    if invoice.notified_at is not None or invoice.status == Invoice.Status.DRAFT:
        return 0
    emails, entries = _invoice_issued_messages(invoice)
    _send(emails, entries)
    invoice.notified_at = timezone.now()
    invoice.save(update_fields=["notified_at"])
    return len(emails)


def notify_invoices_issued(*, invoice_ids: list[int]) -> int:
    """``notify_invoice_issued`` for a batch of invoices in one transaction and a constant
    number of queries (invoices and guardians read together, e-mails and notification
    entries written in bulk). If the batch fails, each invoice is tried on its own, so one
    bad invoice never holds back the others. Returns how many e-mails were queued."""
    try:
        with transaction.atomic():
            invoices = list(
                Invoice.objects.select_for_update(of=("self",))
                .select_related("kind", "regie", "household", "payer__user")
                .prefetch_related(
                    Prefetch(
                        "household__guardians", queryset=Guardian.objects.select_related("user")
                    )
                )
                .filter(pk__in=invoice_ids, notified_at__isnull=True)
                .exclude(status=Invoice.Status.DRAFT)
                .order_by("pk")
            )
            emails, entries = [], []
            for invoice in invoices:
                invoice_emails, invoice_entries = _invoice_issued_messages(invoice)
                emails += invoice_emails
                entries += invoice_entries
            _send(emails, entries)
            Invoice.objects.filter(pk__in=[invoice.pk for invoice in invoices]).update(
                notified_at=timezone.now()
            )
            return len(emails)
    except Exception:
        logger.exception("Batch of %d invoice e-mails failed: one by one", len(invoice_ids))
    count = 0
    for invoice_id in invoice_ids:
        try:
            count += notify_invoice_issued(invoice_id=invoice_id)
        except Exception:
            logger.exception("Notification of invoice %s failed", invoice_id)
    return count
