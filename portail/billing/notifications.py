"""E-mails about invoices: one function per notification, templates in
templates/notifications/<kind>/."""

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from portail.notifications.services import queue_email

from .models import Invoice


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
    url = settings.SITE_URL + reverse(
        "portal:invoice-detail", kwargs={"reference": invoice.reference}
    )
    count = 0
    for guardian, email in invoice_recipients(invoice):
        language = guardian.user.language if guardian.user else "fr"
        queue_email(
            kind="invoice_issued",
            to=email,
            language=language,
            context={"invoice": invoice, "guardian": guardian, "invoice_url": url},
        )
        count += 1
    invoice.notified_at = timezone.now()
    invoice.save(update_fields=["notified_at"])
    return count
