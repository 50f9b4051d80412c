"""bench/generate.py at a tiny scale: the counts follow the city's proportions, every invoice
is consistent (the billing triggers accepted it), and a generated family sees its pages."""

from decimal import Decimal

import pytest
from django.db.models import Count, Sum
from django.urls import reverse

from bench.generate import generate
from portail.billing.models import Invoice
from portail.households.models import Child, Household
from portail.payments.models import Payment

SCALE = 0.002  # 200 households, about 2,000 invoices


@pytest.fixture
def city():
    return generate(scale=SCALE, seed=7, password_hash="!unusable")


def test_the_generator_makes_a_small_city_in_the_right_proportions(city):
    households = Household.objects.count()
    invoices = Invoice.objects.count()

    assert households == 200
    assert 1.2 < Child.objects.count() / households < 1.4
    assert 8 < invoices / households < 12
    assert 0.4 < Payment.objects.count() / invoices < 0.6
    assert city["rows"]["content.News"] == 4


def test_every_generated_invoice_is_the_sum_of_its_lines_and_paid_ones_are_allocated(city):
    # Compared in Python: SQLite sums decimals as floating point.
    totals = Invoice.objects.annotate(lines_total=Sum("lines__amount")).values_list(
        "total", "lines_total"
    )
    paid = Invoice.objects.filter(status="paid").annotate(allocated=Sum("allocations__amount"))

    assert [(t, s) for t, s in totals if round(Decimal(s), 2) != t] == []
    assert [
        (t, a) for t, a in paid.values_list("total", "allocated") if round(Decimal(a), 2) != t
    ] == []
    assert not Invoice.objects.filter(status="issued", amount_paid__gt=0).exists()
    assert not Invoice.objects.annotate(n=Count("lines")).filter(n=0).exists()


def test_a_generated_family_sees_its_dashboard_and_invoices(city, client):
    from portail.accounts.models import User

    user = User.objects.get(username=city["usernames"][0])
    client.force_login(user)

    assert client.get(reverse("portal:dashboard")).status_code == 200
    page = client.get(reverse("portal:invoices")).content.decode()
    number = Invoice.objects.visible_to(user).order_by("-pk").first().number
    assert number in page
