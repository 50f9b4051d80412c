"""An invoice as the family reads it: payer, dates, lines per child, what was paid and
credited, what is left, and how to pay."""

import datetime
from decimal import Decimal

from django.urls import reverse

from portail.billing.models import Invoice
from portail.billing.services import create_credit_note
from portail.payments.models import PaymentMethod
from portail.payments.services import record_payment
from tests.factories import ChildFactory

from ..pages import text_of
from .conftest import hours, issue_invoice


def detail_text(client, invoice):
    response = client.get(reverse("portal:invoice-detail", kwargs={"reference": invoice.reference}))
    assert response.status_code == 200
    return text_of(response)


def test_invoice_shows_payer_dates_lines_per_child_and_totals(family_client, family, regie):
    brother = ChildFactory(
        household=family.household, first_name="Hugo", last_name="Durand", nursery=family.nursery
    )
    invoice = issue_invoice(
        regie,
        family.household,
        family.guardian,
        number="764",
        lines=[
            hours(family.child, "11.6"),
            hours(family.child, "2", "1.2345", label="Repas"),
            hours(brother, "4"),
        ],
    )

    text = detail_text(family_client, invoice)

    assert "FACTURE JEUNESSE 764 - Février 2022" in text
    assert "Facture non réglée : 41,47 €" in text
    assert "Payeur : Madame Marie Durand" in text
    assert "Facture du 09/02/2022 à régler avant le 09/03/2022" in text
    assert "TÉLÉCHARGER MA FACTURE" in text
    assert "Hugo Durand" in text and "Sous-total pour Hugo Durand 10,00 €" in text
    assert "Heures d'accueil 11,60 heure 2,50 € 29,00 €" in text
    assert "Repas 2 heure 1,2345 € 2,47 €" in text
    assert "Sous-total pour Léa Durand 31,47 €" in text
    assert "Total 41,47 € Déjà réglé 0,00 € Reste à payer 41,47 €" in text
    assert "Aucun règlement n'a été reçu pour cette facture." in text


def test_invoice_lists_payments_and_credit_notes_and_what_is_left(family_client, family, regie):
    invoice = issue_invoice(
        regie,
        family.household,
        family.guardian,
        number="764",
        lines=[hours(family.child, "20")],
    )
    cheque = record_payment(
        regie=regie,
        payer=family.guardian,
        method=PaymentMethod.CHEQUE,
        amount=Decimal("20.00"),
        received_on=datetime.date(2022, 2, 20),
        invoices=[invoice],
    )
    note = create_credit_note(
        invoice=invoice,
        amount=Decimal("5.00"),
        reason="Absence pour maladie du 14/02",
        issued_on=datetime.date(2022, 2, 21),
    )
    invoice.refresh_from_db()

    text = detail_text(family_client, invoice)

    assert "Reste à payer : 25,00 €" in text
    assert (
        f"20/02/2022 Chèque 20,00 € sous réserve d'encaissement Reçu {cheque.receipt_number} (PDF)"
        in text
    )
    assert f"{note.number} 21/02/2022 5,00 € Absence pour maladie du 14/02" in text
    assert f"Avoir {note.number} (PDF)" in text
    assert "Total 50,00 € Déjà réglé 20,00 € Déduit par avoirs 5,00 € Reste à payer 25,00 €" in text


def test_an_unpaid_invoice_tells_how_to_pay_without_a_fake_online_button(
    family_client, family, regie
):
    invoice = issue_invoice(
        regie, family.household, family.guardian, number="764", lines=[hours(family.child, "1")]
    )

    response = family_client.get(
        reverse("portal:invoice-detail", kwargs={"reference": invoice.reference})
    )
    text = text_of(response)

    assert "PAYER MA FACTURE EN LIGNE" in text
    assert (
        "Vous pouvez effectuer un règlement avec PayFiP, le service de paiement sécurisé de la "
        "Direction Générale des Finances Publiques." in text
    )
    assert "Le paiement en ligne ouvrira prochainement sur le portail." in text
    assert "PAYER LA FACTURE" not in text
    assert "Autres moyens de paiement" in text
    assert "Par prélèvement automatique" in text
    assert "Par chèque" in text
    assert "En espèces, au guichet de la régie." in text
    assert "CESU" not in text
    assert "virement" not in text
    assert "regie@bourg.example.fr — 04 50 22 05 50" in text


def test_no_payfip_text_when_the_regie_does_not_take_cards_online(family_client, family, regie):
    regie.accepts_card_online = False
    regie.accepts_transfer = True
    regie.save()
    invoice = issue_invoice(
        regie, family.household, family.guardian, number="764", lines=[hours(family.child, "1")]
    )

    text = detail_text(family_client, invoice)

    assert "PayFiP" not in text
    assert "PAYER MA FACTURE EN LIGNE" not in text
    assert "Par virement bancaire à la régie" in text


def test_a_paid_invoice_asks_for_nothing_more(family_client, family, regie):
    invoice = issue_invoice(
        regie, family.household, family.guardian, number="764", lines=[hours(family.child, "1")]
    )
    record_payment(
        regie=regie,
        payer=family.guardian,
        method=PaymentMethod.CASH,
        amount=Decimal("2.50"),
        received_on=datetime.date(2022, 2, 10),
    )

    text = detail_text(family_client, Invoice.objects.get(pk=invoice.pk))

    assert "Facture réglée : 2,50 €" in text
    assert "Reste à payer 0,00 €" in text
    assert "PayFiP" not in text
    assert "Autres moyens de paiement" not in text
