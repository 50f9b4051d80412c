"""``{% load money %}{{ invoice.total|euros }}`` → « 29,00 € »."""

from decimal import Decimal, InvalidOperation

from django import template

from portail.lib.money import format_euros

register = template.Library()


@register.filter(is_safe=True)
def euros(value, max_places=2):
    """An amount in euros, French style. Empty for None or an empty string, so an optional
    amount shows nothing; a float is a programming error and raises, as in format_euros."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = Decimal(value)
        except InvalidOperation:
            return ""
    return format_euros(value, max_places=int(max_places))
