"""A household's page shows its balance, invoices, payments and credit notes; the household
list tells who still needs paper invoices."""

from decimal import Decimal

from django.urls import reverse

from portail.billing.services import create_credit_note
from portail.payments.models import PaymentMethod
from portail.payments.services import record_payment

from ..conftest import text_of
from .conftest import make_issued


def test_the_household_page_shows_balance_invoices_payments_and_credit(
    staff_client, regie, martin, martin_invoice
):
    march = make_issued(regie, martin)
    record_payment(
        regie=regie, payer=martin_invoice.payer, method=PaymentMethod.CHEQUE, amount=Decimal("29")
    )
    create_credit_note(invoice=march, amount=Decimal("4"), reason="Fermeture")

    response = staff_client.get(reverse("admin:households_household_change", args=[martin.pk]))

    page = text_of(response)
    assert "Solde, factures et règlements" in page
    assert "Reste à payer 25,00 € — 1 facture non réglée" in page
    assert "La famille doit 25,00 €." in page
    assert martin_invoice.number in page and march.number in page
    assert "Chèque (sous réserve d'encaissement)" in page
    assert "Enregistrer un paiement" in page
    assert "Créer une facture brouillon" in page


def test_staff_list_the_households_that_still_need_paper_invoices(staff_client, martin):
    from tests.factories import HouseholdFactory

    HouseholdFactory(name="Famille Petit", nursery=martin.nursery, paperless_invoices=True)
    url = reverse("admin:households_household_changelist")

    paper = text_of(staff_client.get(url, {"paper": "yes"}))
    paperless = text_of(staff_client.get(url, {"paper": "no"}))

    assert "Facture papier" in paper
    assert "Famille Martin" in paper and "Famille Petit" not in paper
    assert "Famille Petit" in paperless and "Famille Martin" not in paperless
