"""What each document says: the invoice, the credit note and the receipt, as lists of
flowables from ``drawing``. Called under the reader's language (``translation.override``):
every sentence is a gettext msgid; amounts are written the French way."""

import logging
from decimal import Decimal
from itertools import groupby

from django.conf import settings
from django.utils import dateformat
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from portail.lib.money import format_euros, format_number
from portail.payments.models import PaymentMethod

from . import drawing
from .drawing import BOLD, HEADING, SMALL, spacer, text

logger = logging.getLogger(__name__)


def format_date(value) -> str:
    # Translators choose the format: « 09/02/2022 » in French.
    return dateformat.format(value, pgettext("date format in documents", "j F Y"))


def format_period(value) -> str:
    """« Février 2022 »: the month and year, capitalised."""
    month_and_year = dateformat.format(value, "F Y")
    return month_and_year[:1].upper() + month_and_year[1:]


def _logo(organisation) -> list:
    """The town's logo, or nothing when there is none or it cannot be read: a broken logo
    must never stop an invoice."""
    if not organisation.logo:
        return []
    try:
        with organisation.logo.storage.open(organisation.logo.name, "rb") as file:
            return [drawing.logo(file.read()), spacer(2)]
    except Exception:
        logger.warning("The organisation's logo %r cannot be read.", organisation.logo.name)
        return []


def _letterhead(organisation, regie) -> list:
    """Who issues the document: the town and its régie, with the régie's address and
    contact."""
    flowables = [*_logo(organisation), text(organisation.town_name, BOLD), text(regie.name)]
    if regie.address:
        flowables.append(text(regie.address))
    if regie.email:
        flowables.append(text(_("E-mail: {email}").format(email=regie.email)))
    if regie.phone:
        flowables.append(text(_("Phone: {phone}").format(phone=regie.phone)))
    return flowables


def _addressee(name, address_lines) -> list:
    return [text(name, BOLD), *(text(line) for line in address_lines if line.strip())]


def _header(organisation, regie, title, facts, name, address_lines) -> list:
    return drawing.header(
        _letterhead(organisation, regie), title, facts, _addressee(name, address_lines)
    )


def _contact(organisation, regie) -> list:
    """Whom to ask about the document: the town's service when it gives a way to reach it
    (questions are mostly about hours and rates), else the régie."""
    facts = [organisation.service_name, organisation.service_email, organisation.service_phone]
    if not (organisation.service_email or organisation.service_phone):
        facts = [regie.name, regie.email, regie.phone]
    return [text(_("Contact"), HEADING), text(" — ".join(fact for fact in facts if fact))]


def _legal_mentions(regie, issued_by_sentence) -> list:
    """The issuer's name and title and the ways and time limits of appeal (CGCT L. 1617-5)."""
    flowables = []
    if regie.issuer_name:
        flowables += [spacer(3), text(issued_by_sentence.format(issuer=regie.issuer_name))]
    if regie.appeal_notice:
        flowables += [
            text(_("How to contest this document"), HEADING),
            text(regie.appeal_notice, SMALL),
        ]
    return flowables


def _lines(lines) -> list:
    """The invoice lines grouped per child, each child closed by its subtotal; lines for
    no child in particular come last."""
    groups = []
    ordered = sorted(lines, key=lambda line: line.child_name == "")
    for child_name, group in groupby(ordered, key=lambda line: line.child_name):
        group = list(group)
        subtotal = sum((line.amount for line in group), start=Decimal("0.00"))
        groups.append(
            {
                "title": child_name or _("Other items"),
                "rows": [
                    [
                        line.label,
                        format_number(line.quantity),
                        str(line.get_unit_display()),
                        format_euros(line.unit_price, max_places=4),
                        format_euros(line.amount),
                    ]
                    for line in group
                ],
                "subtotal_label": (
                    _("Subtotal for {child}").format(child=child_name)
                    if child_name
                    else _("Subtotal for other items")
                ),
                "subtotal": format_euros(subtotal),
            }
        )
    headings = [_("Description"), _("Quantity"), _("Unit"), _("Unit price"), _("Amount")]
    return [drawing.grouped_lines_table(headings, groups)]


def _method_label(payment) -> str:
    if payment.method == PaymentMethod.CHEQUE:
        return _("Cheque — subject to collection")
    if payment.method == PaymentMethod.CREDIT_NOTE and payment.credit_note_id:
        return _("Credit note {number}").format(number=payment.credit_note.number)
    label = str(payment.get_method_display())
    return label[:1].upper() + label[1:]


def _how_to_pay(invoice) -> list:
    """The ways to pay this régie accepts, and its own instructions."""
    regie = invoice.regie
    ways = []
    if regie.accepts_card_online:
        ways.append(
            _("Online by bank card with PayFiP, on your family portal: {url}").format(
                url=settings.SITE_URL
            )
        )
    if regie.accepts_direct_debit:
        ways.append(_("By direct debit, once you have signed a SEPA mandate with the régie."))
    if regie.accepts_cheque:
        ways.append(
            _(
                "By cheque payable to the Trésor public, handed in or sent to the régie with "
                "the invoice number {number} written on the back."
            ).format(number=invoice.number)
        )
    if regie.accepts_cash:
        ways.append(_("In cash at the régie."))
    if regie.accepts_cesu:
        ways.append(_("With CESU vouchers (chèques emploi service universel) at the régie."))
    if regie.accepts_transfer:
        ways.append(
            _("By bank transfer to the régie, quoting the invoice number {number}.").format(
                number=invoice.number
            )
        )
    if not ways and not regie.payment_instructions:
        return []
    flowables = [text(_("How to pay"), HEADING), *(text(way, bullet="•") for way in ways)]
    if regie.payment_instructions:
        flowables += [spacer(1), text(regie.payment_instructions)]
    return flowables


def _payments_received(invoice) -> list:
    # At issue nothing is paid yet: no need to ask the database.
    if not invoice.amount_paid:
        return []
    allocations = list(
        invoice.allocations.select_related("payment__credit_note").order_by(
            "payment__received_on", "payment__pk"
        )
    )
    if not allocations:
        return []
    flowables = [text(_("Payments received"), HEADING)]
    for allocation in allocations:
        payment = allocation.payment
        flowables.append(
            text(
                _("{date} — {method} — receipt {receipt}: {amount}").format(
                    date=format_date(payment.received_on),
                    method=_method_label(payment),
                    receipt=payment.receipt_number,
                    amount=format_euros(allocation.amount),
                )
            )
        )
    if any(allocation.payment.is_subject_to_collection for allocation in allocations):
        flowables.append(text(_("Amount paid by cheque: subject to collection."), BOLD))
    return flowables


def _credit_notes(invoice) -> list:
    if not invoice.amount_credited:
        return []
    credit_notes = list(invoice.credit_notes.order_by("issued_on", "pk"))
    if not credit_notes:
        return []
    return [text(_("Credit notes"), HEADING)] + [
        text(
            _("Credit note {number} of {date}: {amount}").format(
                number=credit_note.number,
                date=format_date(credit_note.issued_on),
                amount=format_euros(credit_note.applied_amount),
            )
        )
        for credit_note in credit_notes
    ]


def _settlement(invoice) -> list:
    if invoice.status == invoice.Status.CANCELLED:
        return [text(_("This invoice is cancelled."), HEADING)]
    if invoice.amount_due <= 0:
        return [text(_("This invoice is paid."), HEADING)]
    due = []
    if invoice.due_on:
        due = [
            text(_("To be paid before {date}.").format(date=format_date(invoice.due_on)), HEADING)
        ]
    return due + _how_to_pay(invoice)


def invoice_story(invoice, organisation) -> list:
    facts = [_("Invoice no. {number}").format(number=invoice.number)]
    if invoice.issued_on:
        facts.append(_("Date of issue: {date}").format(date=format_date(invoice.issued_on)))
    facts.append(_("Period: {period}").format(period=format_period(invoice.period_on)))
    if invoice.household.external_code:
        facts.append(_("Family code: {code}").format(code=invoice.household.external_code))
    story = _header(
        organisation,
        invoice.regie,
        invoice.kind.label,
        facts,
        invoice.payer_name,
        invoice.payer_address.splitlines(),
    )
    lines = list(invoice.lines.all())
    story += _lines(lines) if lines else [text(_("This invoice has no lines."))]
    closing = [
        spacer(5),
        drawing.amounts_table(
            [
                (_("Total"), format_euros(invoice.total)),
                (_("Already paid"), format_euros(invoice.amount_paid)),
                (_("Credit notes"), format_euros(invoice.amount_credited)),
                (_("Remaining to pay"), format_euros(invoice.amount_due)),
            ]
        ),
        *_payments_received(invoice),
        *_credit_notes(invoice),
        spacer(3),
        *_settlement(invoice),
        *_contact(organisation, invoice.regie),
        *_legal_mentions(invoice.regie, _("Invoice issued by {issuer}.")),
    ]
    # The totals and everything after them stay together, so they are on the last page.
    return [*story, drawing.keep_together(closing)]


def credit_note_story(credit_note, organisation) -> list:
    invoice = credit_note.invoice
    facts = [
        _("Credit note no. {number}").format(number=credit_note.number),
        _("Date of issue: {date}").format(date=format_date(credit_note.issued_on)),
        _("Refers to invoice {number} ({kind}, {period}).").format(
            number=invoice.number, kind=invoice.kind.label, period=format_period(invoice.period_on)
        ),
    ]
    story = _header(
        organisation,
        credit_note.regie,
        _("CREDIT NOTE"),
        facts,
        invoice.payer_name,
        invoice.payer_address.splitlines(),
    )
    rows = [
        (_("Amount of the credit note"), credit_note.amount),
        (
            _("Applied to invoice {number}").format(number=invoice.number),
            credit_note.applied_amount,
        ),
    ]
    if credit_note.used_amount:
        rows.append((_("Used on later invoices"), credit_note.used_amount))
    if credit_note.refunded_amount:
        rows.append((_("Refunded"), credit_note.refunded_amount))
    rows.append((_("Credit left to use"), credit_note.available_credit))
    return [
        *story,
        text(_("Reason"), HEADING),
        text(credit_note.reason),
        spacer(5),
        drawing.amounts_table([(label, format_euros(amount)) for label, amount in rows]),
        *_contact(organisation, credit_note.regie),
        *_legal_mentions(credit_note.regie, _("Credit note issued by {issuer}.")),
    ]


def receipt_story(payment, organisation) -> list:
    payer = payment.payer
    story = _header(
        organisation,
        payment.regie,
        _("RECEIPT"),
        [
            _("Receipt no. {number}").format(number=payment.receipt_number),
            _("Received on {date}").format(date=format_date(payment.received_on)),
        ],
        payer.full_name,
        payer.address_lines,
    )
    story += [
        text(
            _("{regie} has received from {payer} the sum of {amount}.").format(
                regie=payment.regie.name, payer=payer.full_name, amount=format_euros(payment.amount)
            )
        ),
        text(_("Payment method: {method}").format(method=_method_label(payment))),
    ]
    if payment.bank_reference:
        story.append(text(_("Reference: {reference}").format(reference=payment.bank_reference)))
    allocations = list(
        payment.allocations.select_related("invoice__kind").order_by("invoice__period_on", "pk")
    )
    if allocations:
        rows = [
            (
                _("Invoice {number} — {kind} — {period}").format(
                    number=allocation.invoice.number,
                    kind=allocation.invoice.kind.label,
                    period=format_period(allocation.invoice.period_on),
                ),
                format_euros(allocation.amount),
            )
            for allocation in allocations
        ]
        if payment.unallocated_amount:
            rows.append(
                (_("Not allocated to an invoice"), format_euros(payment.unallocated_amount))
            )
        rows.append((_("Total received"), format_euros(payment.amount)))
        story += [
            text(_("Invoices settled"), HEADING),
            drawing.amounts_table(rows, full_width=True),
        ]
    if payment.recorded_by_id:
        name = payment.recorded_by.get_full_name() or payment.recorded_by.get_username()
        story.append(text(_("Recorded by {name}.").format(name=name)))
    return story + _contact(organisation, payment.regie)
