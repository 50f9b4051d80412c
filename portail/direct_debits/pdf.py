"""The PDF copy of a signed SEPA mandate, as kept by the creditor and e-mailed to the family.

It carries what a paper mandate must (Banque de France, DOMAIN.md §2.2): the title, the RUM,
the creditor's name, address and ICS, the account holder's name, address, IBAN and BIC, the
type of payment, the standard authorisation text and the refund rights, then when and by
whom it was signed electronically. Drawn with the billing documents' helpers (the only code
that imports ReportLab); rendered in the active language. The same document gives the same
bytes, so the SHA-256 stored at signature can be checked by rendering again.
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from portail.billing.pdf import LANGUAGE_TAGS, drawing
from portail.billing.pdf.drawing import BOLD, HEADING, SMALL, TITLE, spacer, text


@dataclass(frozen=True)
class MandateDocument:
    rum: str
    creditor_name: str
    creditor_address: str  # lines separated by newlines
    ics: str
    debtor_name: str
    debtor_address: str  # lines separated by newlines
    iban: str
    bic: str | None
    payment_type_label: str  # « Paiement récurrent » or « Paiement ponctuel »
    signed_at: datetime
    signed_by: str
    authorisation_text: str
    rights_text: str
    title: str  # « Mandat de prélèvement SEPA »


def _grouped(identifier: str) -> str:
    """An IBAN in groups of 4, as printed on a RIB."""
    compact = "".join(identifier.split()).upper()
    return " ".join(compact[start : start + 4] for start in range(0, len(compact), 4))


def _address(address: str) -> list:
    return [text(line.strip()) for line in (address or "").splitlines() if line.strip()]


def _signature_sentence(document: MandateDocument) -> str:
    signed_at = timezone.localtime(document.signed_at)
    return _("Signed electronically on {date} at {time} by {name}.").format(
        date=formats.date_format(signed_at, "SHORT_DATE_FORMAT"),
        time=formats.time_format(signed_at, "H:i"),
        name=document.signed_by,
    )


def mandate_story(document: MandateDocument) -> list:
    """The flowables of the mandate, top to bottom."""
    bic = document.bic or _("not given")
    return [
        text(document.title, TITLE),
        text(_("Unique mandate reference (RUM): {rum}").format(rum=document.rum), BOLD),
        spacer(3),
        text(_("Creditor"), HEADING),
        text(document.creditor_name, BOLD),
        *_address(document.creditor_address),
        text(_("SEPA creditor identifier (ICS): {ics}").format(ics=document.ics)),
        text(_("Account holder (debtor)"), HEADING),
        text(document.debtor_name, BOLD),
        *_address(document.debtor_address),
        text(_("IBAN: {iban}").format(iban=_grouped(document.iban))),
        text(_("BIC: {bic}").format(bic=bic)),
        text(_("Type of payment"), HEADING),
        text(document.payment_type_label),
        text(_("Authorisation"), HEADING),
        text(document.authorisation_text),
        spacer(2),
        text(document.rights_text),
        drawing.keep_together(
            [
                text(_("Signature"), HEADING),
                text(_signature_sentence(document), BOLD),
                text(
                    _(
                        "This mandate was signed online with a one-time code sent to the "
                        "account holder's e-mail address; the creditor keeps this copy."
                    ),
                    SMALL,
                ),
            ]
        ),
    ]


def render_mandate_pdf(document: MandateDocument) -> bytes:
    """The A4 PDF of the signed mandate ``document``, in the active language."""
    language = translation.get_language() or "fr"
    return drawing.build(
        mandate_story(document),
        title=f"{document.title} {document.rum}",
        subject=document.title,
        author=document.creditor_name,
        language=LANGUAGE_TAGS.get(language[:2], "fr-FR"),
        footer=lambda page, pages: _("Mandate {rum} — page {page} of {pages}").format(
            rum=document.rum, page=page, pages=pages
        ),
        dated_on=timezone.localdate(document.signed_at),
    )
