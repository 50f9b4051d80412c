"""E-mails about direct debit: one function per notification, templates in
templates/notifications/direct_debit_*/. IBANs only ever appear masked in them."""

from django.conf import settings
from django.urls import reverse

from portail.notifications.services import EmailToQueue, queue_email, queue_emails


def _page_url() -> str:
    return settings.SITE_URL + reverse("portal:direct-debits")


def _recipient(payer, user=None) -> tuple[str, str]:
    from .services.mandates import person_email

    language = getattr(payer.user, "language", "") if payer.user_id else ""
    return person_email(payer, user), language or settings.LANGUAGE_CODE


def _tell_household(mandate, label: str) -> None:
    """The in-app notification of the category « direct debit » for the household's
    guardians; ``label`` is data (a RUM, an invoice number). Our own e-mail says the rest, so
    the notification service sends none."""
    from portail.notifications.services import household_recipients, notify_recipients

    url = reverse("portal:direct-debits")
    recipients = household_recipients([mandate.household])
    notify_recipients(
        category="direct_debit",
        entries=[(recipient, label, url) for recipient in recipients],
        send_emails=False,
    )


def send_signature_code(*, to: str, language: str, payer, code: str, creditor) -> None:
    from .services.mandates import CODE_LIFETIME

    queue_email(
        kind="direct_debit_code",
        to=to,
        language=language,
        context={
            "guardian": payer,
            "code": code,
            "minutes": int(CODE_LIFETIME.total_seconds() // 60),
            "creditor": creditor,
        },
    )


def send_mandate_signed(*, mandate, creditor, pdf: bytes, user=None) -> None:
    to, language = _recipient(mandate.payer, user)
    if not to:
        return
    queue_email(
        kind="direct_debit_signed",
        to=to,
        language=language,
        context={
            "guardian": mandate.payer,
            "mandate": mandate,
            "masked_iban": mandate.masked_iban,
            "creditor": creditor,
            "page_url": _page_url(),
        },
        attachments=[(f"mandat-{mandate.rum}.pdf", pdf, "application/pdf")],
    )


def prenotification_emails(*, mandate, debits: list, collection_on, total) -> EmailToQueue | None:
    """The pre-notification of one mandate's debits of a batch (amount and date), as a value
    for ``queue_emails`` so a batch queues them all at once."""
    to, language = _recipient(mandate.payer)
    if not to:
        return None
    return EmailToQueue(
        kind="direct_debit_prenotification",
        to=to,
        language=language,
        context={
            "guardian": mandate.payer,
            "mandate_rum": mandate.rum,
            "masked_iban": mandate.masked_iban,
            "debits": [
                {"number": debit.invoice.number, "amount": debit.amount} for debit in debits
            ],
            "total": total,
            "collection_on": collection_on,
            "page_url": _page_url(),
        },
    )


def queue_prenotifications(emails: list[EmailToQueue]) -> None:
    queue_emails([email for email in emails if email is not None])


def send_debit_rejected(*, debit, reason: str, represented: bool = False) -> None:
    mandate = debit.mandate
    to, language = _recipient(mandate.payer)
    if to:
        queue_email(
            kind="direct_debit_rejected",
            to=to,
            language=language,
            context={
                "guardian": mandate.payer,
                "invoice_number": debit.invoice.number,
                "amount": debit.amount,
                "collection_on": debit.collection_on,
                "reason": reason,
                "represented": represented,
                "page_url": _page_url(),
                "invoice_url": settings.SITE_URL
                + reverse("portal:invoice-detail", kwargs={"reference": debit.invoice.reference}),
            },
        )
    _tell_household(mandate, debit.invoice.number)


def send_mandate_suspended(*, mandate, reason: str) -> None:
    to, language = _recipient(mandate.payer)
    if to:
        queue_email(
            kind="direct_debit_suspended",
            to=to,
            language=language,
            context={
                "guardian": mandate.payer,
                "mandate": mandate,
                "reason": reason,
                "page_url": _page_url(),
            },
        )
    _tell_household(mandate, mandate.rum)
