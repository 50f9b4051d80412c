"""Régies, invoices and credit notes in the back office.

Administrators set up régies and invoice kinds. Every member of staff sees the invoices and
credit notes of their households (portail/backoffice/permissions.py), creates and edits drafts
and records counter payments; issuing, cancelling and correcting invoices is for
administrators (``can_issue_and_correct``).

Drafts are written through the billing services, which compute amounts and totals; an issued
invoice is read-only here, as the database makes it anyway. Every step with financial
consequences (issue, cancel, credit note, credit used or refunded) has a confirmation page
(RGAA 11.12)."""

# Importing the submodules registers their model admins. Other apps import the shared
# helpers and the household panel from here.
from .common import (
    RegieFilter,
    admin_page,
    can_issue_and_correct,
    change_url,
    document_link,
    euro_column,
    euros,
    is_staff_member,
    object_button_urls,
    step_of,
)
from .credit_notes import CreditNoteAdmin
from .household_panel import household_billing_panel
from .invoice_pages import ISSUE_NOW_LIMIT, InvoicePagesMixin
from .invoices import InvoiceAdmin, InvoiceLineInline, KindFilter, NurseryFilter, PeriodFilter
from .regies import InvoiceKindAdmin, InvoiceKindInline, RegieAdmin

__all__ = [
    "ISSUE_NOW_LIMIT",
    "CreditNoteAdmin",
    "InvoiceAdmin",
    "InvoiceKindAdmin",
    "InvoiceKindInline",
    "InvoiceLineInline",
    "InvoicePagesMixin",
    "KindFilter",
    "NurseryFilter",
    "PeriodFilter",
    "RegieAdmin",
    "RegieFilter",
    "admin_page",
    "can_issue_and_correct",
    "change_url",
    "document_link",
    "euro_column",
    "euros",
    "household_billing_panel",
    "is_staff_member",
    "object_button_urls",
    "step_of",
]
