"""Amounts written the French way: « 1 234,50 € », never through a float."""

from decimal import Decimal

import pytest
from django.template import Context, Template
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portail.lib.money import format_euros, format_number

NARROW_NBSP = "\u202f"
NBSP = "\u00a0"

# The suite's autouse fixtures (database, settings) are function-scoped; these properties
# do not use them, so sharing them between examples is harmless.
properties = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])

amounts = st.decimals(
    min_value=Decimal("-99999999.99"),
    max_value=Decimal("99999999.99"),
    places=2,
    allow_nan=False,
    allow_infinity=False,
)


def parse_euros(text: str) -> Decimal:
    assert text.endswith(NBSP + "€")
    digits = text.removesuffix(NBSP + "€").replace(NARROW_NBSP, "").replace(",", ".")
    return Decimal(digits)


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("29", "29,00 €"),
        ("29.00", "29,00 €"),
        ("0.5", "0,50 €"),
        ("-12.5", "-12,50 €"),
        ("1234.5", "1 234,50 €"),
        ("1234567.89", "1 234 567,89 €"),
        ("999.995", "1 000,00 €"),
        ("0.005", "0,01 €"),
        ("-0.004", "0,00 €"),
    ],
)
def test_amounts_are_written_the_french_way(amount, expected):
    expected = expected.replace(" €", NBSP + "€").replace(" ", NARROW_NBSP)
    assert format_euros(Decimal(amount)) == expected


def test_whole_euros_may_be_given_as_an_int():
    assert format_euros(1500) == f"1{NARROW_NBSP}500,00{NBSP}€"


def test_a_float_is_refused_because_it_cannot_hold_a_cent_exactly():
    with pytest.raises(TypeError):
        format_euros(29.0)


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity")])
def test_a_number_that_is_not_finite_is_refused(value):
    with pytest.raises(ValueError):
        format_euros(value)


def test_unit_prices_keep_their_significant_decimals():
    assert format_euros(Decimal("2.3450"), max_places=4) == f"2,345{NBSP}€"
    assert format_euros(Decimal("2.3000"), max_places=4) == f"2,30{NBSP}€"


def test_quantities_drop_useless_decimals():
    assert format_number(Decimal("10.00")) == "10"
    assert format_number(Decimal("11.50")) == "11,5"
    assert format_number(Decimal("1234.25")) == f"1{NARROW_NBSP}234,25"


@properties
@given(amounts)
def test_an_amount_of_cents_is_written_exactly(amount):
    assert parse_euros(format_euros(amount)) == amount


@properties
@given(amounts)
def test_digits_are_grouped_by_three_with_a_narrow_no_break_space(amount):
    whole = format_euros(amount).removeprefix("-").split(",")[0]
    groups = whole.split(NARROW_NBSP)
    assert 1 <= len(groups[0]) <= 3
    assert all(len(group) == 3 for group in groups[1:])
    assert " " not in format_euros(amount)


@properties
@given(
    st.decimals(
        min_value=Decimal("-1000000"),
        max_value=Decimal("1000000"),
        allow_nan=False,
        allow_infinity=False,
    )
)
def test_any_decimal_is_rounded_half_up_to_the_cent(value):
    rounded = abs(value).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
    expected = rounded if value >= 0 else -rounded
    assert parse_euros(format_euros(value)) == expected


def render(template: str, **context) -> str:
    return Template("{% load money %}" + template).render(Context(context))


def test_the_euros_filter_writes_an_amount_in_a_template():
    assert render("{{ total|euros }}", total=Decimal("29")) == f"29,00{NBSP}€"


def test_the_euros_filter_shows_nothing_for_a_missing_amount():
    assert render("[{{ total|euros }}]", total=None) == "[]"
    assert render("[{{ total|euros }}]", total="") == "[]"


def test_the_euros_filter_can_show_a_unit_price():
    assert render("{{ price|euros:4 }}", price=Decimal("0.1234")) == f"0,1234{NBSP}€"
