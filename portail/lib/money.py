"""Money and numbers written the French way: « 1 234,50 € ».

The thousands separator is a narrow no-break space (U+202F) and a no-break space (U+00A0)
stands before the euro sign, so an amount never breaks across two lines. Amounts are
``Decimal`` (or ``int``); a ``float`` is refused because it cannot hold a cent exactly."""

from decimal import ROUND_HALF_UP, Decimal, localcontext

THOUSANDS_SEPARATOR = "\u202f"
EURO_SEPARATOR = "\u00a0"
DECIMAL_MARK = ","


def _as_decimal(value) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"Money and quantities are Decimal or int, not {type(value).__name__}.")
    value = Decimal(value)
    if not value.is_finite():
        raise ValueError(f"Cannot write {value} as a number.")
    return value


def format_number(value: Decimal | int, *, min_places: int = 0, max_places: int = 2) -> str:
    """``value`` rounded half-up to ``max_places`` decimals, trailing zeros dropped down to
    ``min_places``: ``format_number(Decimal("1234.50"))`` is « 1 234,5 »."""
    if not 0 <= min_places <= max_places:
        raise ValueError("min_places must be between 0 and max_places.")
    value = _as_decimal(value)
    with localcontext() as context:
        # Enough precision for any integer part: quantize never fails on a large amount.
        context.prec = max(28, value.adjusted() + max_places + 2)
        rounded = value.quantize(Decimal(1).scaleb(-max_places), rounding=ROUND_HALF_UP)
    sign, digits, _exponent = rounded.as_tuple()
    text = "".join(map(str, digits)).rjust(max_places + 1, "0")
    whole, decimals = text[: len(text) - max_places], text[len(text) - max_places :]
    while len(decimals) > min_places and decimals.endswith("0"):
        decimals = decimals[:-1]
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    result = THOUSANDS_SEPARATOR.join(groups)
    if decimals:
        result += DECIMAL_MARK + decimals
    # A negative amount that rounds to zero is shown as zero, never « -0,00 ».
    if sign and rounded:
        result = "-" + result
    return result


def format_euros(value: Decimal | int, *, max_places: int = 2) -> str:
    """« 29,00 € », « 1 234,50 € », « -12,50 € ». Unit prices may carry more decimals:
    ``format_euros(Decimal("2.3450"), max_places=4)`` is « 2,345 € »."""
    return format_number(value, min_places=2, max_places=max_places) + EURO_SEPARATOR + "€"
