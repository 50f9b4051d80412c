"""Nursery staff see the invoices, payments and credit notes of their nurseries' households
only; administrators see everything."""

from decimal import Decimal

import pytest
from django.urls import reverse

from portail.billing.services import cancel_invoice
from portail.payments.models import PaymentMethod
from portail.payments.services import record_payment
from tests.factories import ChildFactory, GuardianFactory, HouseholdFactory

from ..conftest import text_of
from .conftest import make_issued


def test_nursery_staff_list_only_their_nurseries_invoices(
    staff_client, martin_invoice, durand_invoice
):
    response = staff_client.get(reverse("admin:billing_invoice_changelist"))

    page = text_of(response)
    assert "Famille Martin" in page
    assert "Famille Durand" not in page


def test_an_invoice_of_a_household_with_a_child_in_the_nursery_is_listed(
    staff_client, regie, loptiou, pic_et_plume
):
    household = HouseholdFactory(name="Famille Roux", nursery=loptiou)
    GuardianFactory(household=household)
    ChildFactory(household=household, nursery=pic_et_plume)
    make_issued(regie, household)

    response = staff_client.get(reverse("admin:billing_invoice_changelist"))

    assert "Famille Roux" in text_of(response)


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:billing_invoice_change",
        "admin:billing_invoice_pdf",
        "admin:billing_invoice_preview",
        "admin:billing_invoice_history",
    ],
)
def test_nursery_staff_cannot_open_another_nurserys_invoice(staff_client, durand_invoice, url_name):
    response = staff_client.get(reverse(url_name, args=[durand_invoice.pk]))

    assert response.status_code in (302, 404)


def test_nursery_staff_see_only_their_payments_and_credit_notes(
    staff_client, regie, martin_invoice, durand_invoice
):
    for invoice in (martin_invoice, durand_invoice):
        record_payment(
            regie=regie, payer=invoice.payer, method=PaymentMethod.CASH, amount=Decimal("29")
        )
        cancel_invoice(invoice=invoice, reason="Erreur")

    payments = text_of(staff_client.get(reverse("admin:payments_payment_changelist")))
    notes = text_of(staff_client.get(reverse("admin:billing_creditnote_changelist")))

    assert "Famille Martin" in payments
    assert "Famille Durand" not in payments
    assert "Famille Martin" in notes
    assert "Famille Durand" not in notes


def test_administrators_see_every_invoice(admin_client, martin_invoice, durand_invoice):
    page = text_of(admin_client.get(reverse("admin:billing_invoice_changelist")))

    assert "Famille Martin" in page
    assert "Famille Durand" in page


def test_the_list_filters_by_nursery_period_status_and_searches_by_family_code(
    admin_client, regie, martin, durand, martin_invoice, durand_invoice
):
    durand.external_code = "FAM-0042"
    durand.save()
    url = reverse("admin:billing_invoice_changelist")

    by_nursery = text_of(admin_client.get(url, {"nursery": martin.nursery_id}))
    by_period = text_of(admin_client.get(url, {"period": "2022-02"}))
    other_period = text_of(admin_client.get(url, {"period": "2021-12"}))
    by_status = text_of(admin_client.get(url, {"status__exact": "paid"}))
    by_code = text_of(admin_client.get(url, {"q": "FAM-0042"}))

    assert "Famille Martin" in by_nursery and "Famille Durand" not in by_nursery
    assert "Famille Martin" in by_period and "Famille Durand" in by_period
    assert "Février 2022" in by_period
    assert "Famille Martin" not in other_period
    assert "Famille Martin" not in by_status
    assert "Famille Durand" in by_code and "Famille Martin" not in by_code


@pytest.mark.parametrize(
    "model_name, field_name, theirs, others",
    [
        ("invoice", "household", "Famille Martin", "Famille Durand"),
        ("invoice", "payer", "Camille Martin", "Simon Durand"),
        ("invoiceline", "child", "Léa Martin", "Zoé Durand"),
    ],
)
def test_the_draft_form_only_offers_the_staff_members_households(
    staff_client, martin, durand, model_name, field_name, theirs, others
):
    response = staff_client.get(
        "/gestion/autocomplete/",
        {"app_label": "billing", "model_name": model_name, "field_name": field_name},
    )

    names = [result["text"] for result in response.json()["results"]]
    assert theirs in names
    assert others not in names
