"""The sentence each category of notification says, around its label (a news title, an
invoice number). Whole sentences, translated: the label is data, never translated."""

from django.utils.translation import gettext_lazy as _

from .models import NotificationCategory

SENTENCES = {
    NotificationCategory.INVOICE: _("A new invoice is available: {label}."),
    NotificationCategory.PAYMENT_PROBLEM: _("A payment needs your attention: {label}."),
    NotificationCategory.NEWS: _("A news item has been published: {label}."),
    NotificationCategory.DOCUMENT: _("A new document is available: {label}."),
    NotificationCategory.MENU: _("A new menu has been published: {label}."),
    NotificationCategory.REQUEST: _("Your request has been updated: {label}."),
    NotificationCategory.DIRECT_DEBIT: _("Your direct debits have news: {label}."),
}


def sentence(category: str, label: str) -> str:
    """The sentence in the active language (the reader's: the page's or the e-mail's)."""
    return str(SENTENCES[category]).format(label=label)
