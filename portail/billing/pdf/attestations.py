"""The certificates' PDFs (attestation de paiement, attestation fiscale): what they say, laid
out with ``drawing`` under the régie's letterhead, as invoices are. Written in the
addressee's language; amounts the French way. They read the certificate and never write."""

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from portail.lib.money import format_euros
from portail.organisation.models import Organisation

from . import _build, _language_of, documents, drawing
from .documents import format_date, format_period
from .drawing import HEADING, SMALL, spacer, text


def _language_of_user(user) -> str:
    """The account's language, else the site's: the payment certificate is for the reader."""
    language = getattr(user, "language", "") or settings.LANGUAGE_CODE
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def render_payment_certificate(certificate, *, user) -> bytes:
    """The attestation de paiement, in ``user``'s language, dated today."""
    organisation = Organisation.current()
    today = timezone.localdate()
    household = certificate.household
    with translation.override(_language_of_user(user)):
        start, end = format_date(certificate.start_on), format_date(certificate.end_on)
        story = documents._header(
            organisation,
            certificate.regie,
            _("PAYMENT CERTIFICATE"),
            [
                _("From {start} to {end}").format(start=start, end=end),
                _("Issued on {date}").format(date=format_date(today)),
            ],
            household.name,
            household.address_lines,
        )
        story.append(
            text(
                _(
                    "{regie} certifies that it received the following payments for the "
                    "invoices of {household} between {start} and {end}."
                ).format(
                    regie=certificate.regie.name, household=household.name, start=start, end=end
                )
            )
        )
        story.append(spacer(3))
        if certificate.invoices:
            story.append(
                drawing.grouped_lines_table(_payment_headings(), _invoice_groups(certificate))
            )
            story.append(spacer(3))
        else:
            story.append(text(_("No payment was received in this period.")))
        story.append(
            drawing.amounts_table(
                [(_("Total received in the period"), format_euros(certificate.total))],
                full_width=True,
            )
        )
        story += [
            spacer(3),
            text(
                _(
                    "Cheques are received subject to collection. Credit notes used to pay an "
                    "invoice are not payments and are not listed."
                ),
                SMALL,
            ),
            *documents._contact(organisation, certificate.regie),
        ]
        document = _("Payment certificate")
        return _build(
            story,
            document=document,
            subject=_("From {start} to {end}").format(start=start, end=end),
            author=certificate.regie.name,
            dated_on=today,
        )


def _payment_headings() -> list[str]:
    return [_("Payment"), _("Received on"), "", "", _("Amount")]


def _invoice_groups(certificate) -> list[dict]:
    groups = []
    for paid in certificate.invoices:
        invoice = paid.invoice
        groups.append(
            {
                "title": _("Invoice {number} — {kind} — {period}").format(
                    number=invoice.number,
                    kind=invoice.kind.label,
                    period=format_period(invoice.period_on),
                ),
                "rows": [
                    [
                        _("{method}, receipt {number}").format(
                            method=documents._method_label(received.payment),
                            number=received.payment.receipt_number,
                        ),
                        received.payment.received_on.strftime("%d/%m/%Y"),
                        "",
                        "",
                        format_euros(received.amount),
                    ]
                    for received in paid.payments
                ],
                "subtotal_label": _("Received for invoice {number}").format(number=invoice.number),
                "subtotal": format_euros(paid.total),
            }
        )
    return groups


def render_tax_certificate(certificate) -> bytes:
    """The attestation fiscale for childcare costs, in the payer's language, dated today."""
    organisation = Organisation.current()
    today = timezone.localdate()
    payer = certificate.payer
    year = certificate.year
    with translation.override(_language_of(payer)):
        title = _("TAX CERTIFICATE — CHILDCARE COSTS {year}").format(year=year)
        story = documents._header(
            organisation,
            certificate.regie,
            title,
            [
                _("Income of {year}").format(year=year),
                _("Issued on {date}").format(date=format_date(today)),
            ],
            payer.full_name,
            payer.address_lines,
        )
        story.append(
            text(
                _(
                    "{regie} certifies that {payer} paid, in {year}, the following amounts for "
                    "the care of their children under six in the town's nurseries ({town})."
                ).format(
                    regie=certificate.regie.name,
                    payer=payer.full_name,
                    year=year,
                    town=organisation.town_name,
                )
            )
        )
        story.append(spacer(3))
        rows = [
            (
                _("{child}, born on {date}").format(
                    child=child.child_name, date=format_date(child.birth_date)
                ),
                format_euros(child.amount),
            )
            for child in certificate.children
        ]
        if not rows:
            story.append(
                text(_("No childcare cost eligible for this certificate was paid in this year."))
            )
        rows.append(
            (
                _("Total of childcare costs paid in {year}").format(year=year),
                format_euros(certificate.total),
            )
        )
        story.append(drawing.amounts_table(rows, full_width=True))
        story += [
            text(_("How these amounts are counted"), HEADING),
            text(
                _(
                    "Children born on or after {date} (under six on 1 January {year}) are counted."
                ).format(date=format_date(certificate.born_from), year=year),
                bullet="•",
            ),
            text(
                _(
                    "Amounts are those paid in {year} (date the payment was received), less "
                    "the credit notes refunded. A credit note used to pay an invoice is not "
                    "counted again."
                ).format(year=year),
                bullet="•",
            ),
            text(
                _(
                    "Only childcare is counted (hours, days or months of care); meals and "
                    "other items invoiced separately are not."
                ),
                bullet="•",
            ),
            text(
                _(
                    "The CAF's funding paid to the nursery is already deducted from your "
                    "fees. The complément de libre choix du mode de garde (CMG) that the CAF "
                    "may pay you is not deducted here: if you receive it for this care, "
                    "deduct it yourself on your tax return."
                ),
                bullet="•",
            ),
            spacer(2),
            text(
                _(
                    "To be kept with your tax records: the tax administration may ask for it "
                    "(crédit d'impôt pour frais de garde des jeunes enfants, article 200 "
                    "quater B of the Code général des impôts)."
                ),
                SMALL,
            ),
            *documents._contact(organisation, certificate.regie),
            *documents._legal_mentions(certificate.regie, _("Certificate issued by {issuer}.")),
        ]
        return _build(
            story,
            document=_("Tax certificate {year}").format(year=year),
            subject=title,
            author=certificate.regie.name,
            dated_on=today,
        )
