"""The régie's PDF documents: invoices, credit notes and receipts (ReportLab, in
``drawing`` only; what each document says is in ``documents``).

Contracts:
- ``render_invoice(invoice)``, ``render_credit_note(credit_note)`` and
  ``render_receipt(payment)`` return the bytes of an A4 PDF whose text is real, extractable
  text; an ordinary invoice takes one page, a long one runs on with its totals on the last.
- Everything is written in the payer's language (their account's, else French); amounts
  and numbers the French way (« 1 234,50 € »).
- The same data gives the same bytes (ReportLab's invariant mode, the document's own date
  as the PDF's date), so a stored SHA-256 can be checked by rendering again.
- They read the database (lines, payments, the organisation) and never write."""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from portail.organisation.models import Organisation

from . import documents, drawing

LANGUAGE_TAGS = {"fr": "fr-FR", "en": "en-GB"}


def _language_of(guardian) -> str:
    language = getattr(guardian.user, "language", "") or settings.LANGUAGE_CODE
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _build(story, *, document: str, subject: str, author: str, dated_on) -> bytes:
    page_text = _("{document} — page {page} of {pages}")
    language = translation.get_language()
    return drawing.build(
        story,
        title=document,
        subject=subject,
        author=author,
        language=LANGUAGE_TAGS.get(language, language),
        footer=lambda page, pages: page_text.format(document=document, page=page, pages=pages),
        dated_on=dated_on,
    )


def render_invoice(invoice, *, organisation=None) -> bytes:
    """The PDF of an issued invoice (or of a draft given a number and dates for a preview).
    A batch passes the ``organisation`` it read once; the invoice's lines may come
    prefetched (``prefetch_related("lines")``)."""
    organisation = organisation or Organisation.current()
    with translation.override(_language_of(invoice.payer)):
        return _build(
            documents.invoice_story(invoice, organisation),
            document=_("Invoice {number}").format(number=invoice.number),
            subject=f"{invoice.kind.label} — {documents.format_period(invoice.period_on)}",
            author=invoice.regie.name,
            dated_on=invoice.issued_on,
        )


def render_credit_note(credit_note) -> bytes:
    """The PDF of a credit note (avoir)."""
    organisation = Organisation.current()
    with translation.override(_language_of(credit_note.payer)):
        return _build(
            documents.credit_note_story(credit_note, organisation),
            document=_("Credit note {number}").format(number=credit_note.number),
            subject=_("Refers to invoice {number}").format(number=credit_note.invoice.number),
            author=credit_note.regie.name,
            dated_on=credit_note.issued_on,
        )


def render_receipt(payment) -> bytes:
    """The receipt (reçu) of a payment received by the régie."""
    organisation = Organisation.current()
    with translation.override(_language_of(payment.payer)):
        document = _("Receipt {number}").format(number=payment.receipt_number)
        return _build(
            documents.receipt_story(payment, organisation),
            document=document,
            subject=document,
            author=payment.regie.name,
            dated_on=payment.received_on,
        )
