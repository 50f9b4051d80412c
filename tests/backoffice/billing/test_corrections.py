"""Cancelling an invoice and credit notes, each confirmed before it is done; the credit a
credit note leaves, used on a later invoice or refunded."""

from decimal import Decimal

from django.urls import reverse

from portail.billing.models import CreditNote, Invoice
from portail.payments.models import Payment, PaymentMethod
from portail.payments.services import record_payment

from ..conftest import text_of
from .conftest import make_issued, said


def test_cancelling_an_invoice_asks_a_reason_then_a_confirmation(admin_client, martin_invoice):
    url = reverse("admin:billing_invoice_cancel", args=[martin_invoice.pk])

    form = admin_client.get(url)
    missing_reason = admin_client.post(url, {"step": "review", "reason": ""})
    summary = admin_client.post(url, {"step": "review", "reason": "Erreur de facturation"})
    martin_invoice.refresh_from_db()
    assert martin_invoice.status == Invoice.Status.ISSUED
    assert not CreditNote.objects.exists()

    done = admin_client.post(
        url, {"step": "confirm", "reason": "Erreur de facturation"}, follow=True
    )

    assert "Annuler la facture F2022-0001" in text_of(form)
    assert "Ce champ est obligatoire." in text_of(missing_reason)
    assert "Annuler la facture F2022-0001 ?" in text_of(summary)
    assert "Un avoir de 29,00 € sera émis : la facture ne sera plus due." in text_of(summary)
    note = CreditNote.objects.get()
    assert note.amount == Decimal("29.00")
    assert note.reason == "Erreur de facturation"
    martin_invoice.refresh_from_db()
    assert martin_invoice.status == Invoice.Status.CANCELLED
    assert martin_invoice.amount_due == 0
    assert f"La facture F2022-0001 est annulée par l'avoir {note.number} de 29,00 €." in said(done)


def test_changing_a_summary_goes_back_to_the_form_with_what_was_typed(admin_client, martin_invoice):
    url = reverse("admin:billing_invoice_credit_note", args=[martin_invoice.pk])

    response = admin_client.post(url, {"step": "edit", "amount": "5,00", "reason": "Fermeture"})

    assert response.status_code == 200
    assert 'value="5,00"' in response.content.decode()
    assert not CreditNote.objects.exists()


def test_a_credit_note_on_a_paid_invoice_leaves_a_credit_used_on_a_later_invoice(
    admin_client, regie, martin, martin_invoice
):
    camille = martin_invoice.payer
    record_payment(regie=regie, payer=camille, method=PaymentMethod.CASH, amount=Decimal("29.00"))
    url = reverse("admin:billing_invoice_credit_note", args=[martin_invoice.pk])
    data = {"amount": "5,80", "reason": "2 jours de fermeture"}

    summary = admin_client.post(url, {**data, "step": "review"})
    admin_client.post(url, {**data, "step": "confirm"})

    assert "5,80 € deviendront un crédit pour la famille" in text_of(summary)
    note = CreditNote.objects.get()
    assert note.applied_amount == 0
    assert note.available_credit == Decimal("5.80")

    march = make_issued(regie, martin)
    use_url = reverse("admin:billing_creditnote_use", args=[note.pk])
    use_summary = admin_client.post(use_url, {"step": "review", "invoice": march.pk})
    admin_client.post(use_url, {"step": "confirm", "invoice": march.pk})

    assert "Imputer l'avoir" in text_of(use_summary)
    march.refresh_from_db()
    assert march.amount_paid == Decimal("5.80")
    assert march.status == Invoice.Status.PARTIALLY_PAID
    note.refresh_from_db()
    assert note.available_credit == 0
    assert Payment.objects.filter(method=PaymentMethod.CREDIT_NOTE, credit_note=note).exists()


def test_a_credit_is_refunded_after_confirmation(admin_client, regie, martin_invoice):
    record_payment(
        regie=regie, payer=martin_invoice.payer, method=PaymentMethod.CASH, amount="29.00"
    )
    admin_client.post(
        reverse("admin:billing_invoice_cancel", args=[martin_invoice.pk]),
        {"step": "confirm", "reason": "Départ de la famille"},
    )
    note = CreditNote.objects.get()
    assert note.available_credit == Decimal("29.00")
    url = reverse("admin:billing_creditnote_refund", args=[note.pk])

    too_much = admin_client.post(url, {"step": "review", "amount": "30"})
    summary = admin_client.post(url, {"step": "review", "amount": "29"})
    admin_client.post(url, {"step": "confirm", "amount": "29"})

    assert "L'avoir n'a plus que 29,00 € de crédit." in text_of(too_much)
    assert "Enregistrer un remboursement de l'avoir" in text_of(summary)
    note.refresh_from_db()
    assert note.refunded_amount == Decimal("29.00")
    assert note.available_credit == 0


def test_a_credit_note_above_what_the_invoice_allows_is_refused_in_french(
    admin_client, martin_invoice
):
    url = reverse("admin:billing_invoice_credit_note", args=[martin_invoice.pk])

    response = admin_client.post(url, {"step": "confirm", "amount": "30", "reason": "Erreur"})

    assert response.status_code == 200
    assert "Un avoir sur cette facture ne peut pas dépasser 29,00 €." in text_of(response)
    assert not CreditNote.objects.exists()


def test_nursery_staff_cannot_cancel_or_credit(staff_client, martin_invoice):
    cancel = staff_client.post(
        reverse("admin:billing_invoice_cancel", args=[martin_invoice.pk]),
        {"step": "confirm", "reason": "Erreur"},
    )
    credit = staff_client.post(
        reverse("admin:billing_invoice_credit_note", args=[martin_invoice.pk]),
        {"step": "confirm", "amount": "5", "reason": "Erreur"},
    )

    assert cancel.status_code == credit.status_code == 404
    assert not CreditNote.objects.exists()
