"""« Record a payment » at the counter: the form, a summary to confirm, the receipt."""

import datetime
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from portail.billing.models import Invoice
from portail.payments.models import Payment, PaymentMethod

from ..conftest import text_of
from .conftest import hidden_value, make_issued, said

ADD_URL = reverse("admin:payments_payment_add")


def payment_data(invoice, **fields):
    return {
        "regie": invoice.regie_id,
        "payer": invoice.payer_id,
        "method": "cheque",
        "amount": "29,00",
        "received_on": "10/02/2022",
        "bank_reference": "Chèque n° 1234567 — Banque Postale",
        "invoices": [invoice.pk],
        **fields,
    }


def test_a_cheque_is_recorded_after_a_summary_and_its_receipt_page_says_subject_to_cashing(
    staff_client, nursery_staff, martin_invoice
):
    url = f"{ADD_URL}?invoice={martin_invoice.pk}"

    form = staff_client.get(url)
    summary = staff_client.post(url, {**payment_data(martin_invoice), "step": "review"})
    assert not Payment.objects.exists()
    token = hidden_value(summary, "token")
    done = staff_client.post(
        url, {**payment_data(martin_invoice), "step": "confirm", "token": token}, follow=True
    )

    assert "Enregistrer un paiement — Famille Martin" in text_of(form)
    assert 'value="29,00"' in form.content.decode()
    summary_page = text_of(summary)
    assert "Enregistrer ce paiement ?" in summary_page
    assert "Chèque reçu sous réserve d'encaissement." in summary_page
    assert "29,00 € sur 29,00 € restant à payer" in summary_page
    payment = Payment.objects.get()
    assert payment.method == PaymentMethod.CHEQUE
    assert payment.amount == Decimal("29.00")
    assert payment.received_on == datetime.date(2022, 2, 10)
    assert payment.recorded_by == nursery_staff
    martin_invoice.refresh_from_db()
    assert martin_invoice.status == Invoice.Status.PAID
    receipt_page = text_of(done)
    assert f"Paiement de 29,00 € enregistré : reçu n° {payment.receipt_number}." in said(done)
    assert f"Reçu n° {payment.receipt_number}" in receipt_page
    assert "Réglé par chèque : sous réserve d'encaissement." in receipt_page
    assert "Le reçu est en cours de préparation." in receipt_page


def test_the_receipt_can_be_printed_once_rendered(
    admin_client, martin_invoice, django_capture_on_commit_callbacks
):
    url = f"{ADD_URL}?invoice={martin_invoice.pk}"
    summary = admin_client.post(
        url, {**payment_data(martin_invoice, method="cash", amount="10"), "step": "review"}
    )
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            url,
            {
                **payment_data(martin_invoice, method="cash", amount="10"),
                "step": "confirm",
                "token": hidden_value(summary, "token"),
            },
        )
    payment = Payment.objects.get()

    page = admin_client.get(reverse("admin:payments_payment_change", args=[payment.pk]))
    receipt = admin_client.get(reverse("admin:payments_payment_receipt", args=[payment.pk]))

    assert "Imprimer le reçu (PDF)" in text_of(page)
    assert "sous réserve" not in text_of(page)
    assert receipt.status_code == 200
    assert receipt["Content-Type"] == "application/pdf"
    martin_invoice.refresh_from_db()
    assert martin_invoice.status == Invoice.Status.PARTIALLY_PAID
    assert martin_invoice.amount_due == Decimal("19.00")


def test_a_summary_confirmed_twice_records_one_payment(admin_client, martin_invoice):
    url = f"{ADD_URL}?invoice={martin_invoice.pk}"
    summary = admin_client.post(url, {**payment_data(martin_invoice), "step": "review"})
    confirm = {**payment_data(martin_invoice), "step": "confirm"}
    confirm["token"] = hidden_value(summary, "token")

    admin_client.post(url, confirm)
    again = admin_client.post(url, confirm, follow=True)

    assert Payment.objects.count() == 1
    assert any("Ce paiement a déjà été enregistré" in message for message in said(again))


def test_wrong_entries_are_explained_in_french(admin_client, martin_invoice):
    url = f"{ADD_URL}?invoice={martin_invoice.pk}"
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).strftime("%d/%m/%Y")

    response = admin_client.post(
        url,
        {
            **payment_data(
                martin_invoice,
                method="cesu",
                amount="vingt",
                received_on=tomorrow,
            ),
            "step": "review",
        },
    )
    cheque_without_number = admin_client.post(
        url, {**payment_data(martin_invoice, bank_reference=""), "step": "review"}
    )

    page = text_of(response)
    assert "La régie « Régie Petite Enfance » n'accepte pas ce moyen de paiement." in page
    assert "Saisissez un montant comme 29,50." in page
    assert "La date de réception ne peut pas être dans le futur." in page
    assert "Indiquez le numéro du chèque." in text_of(cheque_without_number)
    assert not Payment.objects.exists()


def test_a_payment_larger_than_the_invoices_leaves_an_overpayment(
    admin_client, regie, martin, martin_invoice
):
    march = make_issued(regie, martin)
    url = f"{ADD_URL}?household={martin.pk}"
    data = payment_data(
        martin_invoice, method="cash", amount="1 000,00", invoices=[], payer=march.payer_id
    )

    summary = admin_client.post(url, {**data, "step": "review"})
    admin_client.post(url, {**data, "step": "confirm", "token": hidden_value(summary, "token")})

    assert "942,00 € dépassent ce que demandent les factures" in text_of(summary)
    payment = Payment.objects.get()
    assert payment.allocated_amount == Decimal("58.00")
    assert set(Invoice.objects.values_list("status", flat=True)) == {Invoice.Status.PAID}


def test_a_payer_from_another_household_cannot_be_picked(admin_client, martin_invoice, durand):
    url = f"{ADD_URL}?invoice={martin_invoice.pk}"
    simon = durand.guardians.get()

    response = admin_client.post(
        url, {**payment_data(martin_invoice, payer=simon.pk), "step": "review"}
    )

    assert "Sélectionnez un choix valide" in text_of(response)
    assert not Payment.objects.exists()


def test_nursery_staff_cannot_record_a_payment_for_another_nurserys_household(
    staff_client, durand, durand_invoice
):
    by_household = staff_client.get(f"{ADD_URL}?household={durand.pk}")
    by_invoice = staff_client.post(
        f"{ADD_URL}?invoice={durand_invoice.pk}",
        {**payment_data(durand_invoice, method="cash"), "step": "review"},
    )

    assert by_household.status_code == 404
    assert by_invoice.status_code == 404
    assert not Payment.objects.exists()


def test_without_a_household_staff_search_among_their_households(staff_client, martin, durand):
    response = staff_client.get(ADD_URL, {"q": "famille"})

    page = text_of(response)
    assert "Enregistrer un paiement pour Famille Martin" in page
    assert "Durand" not in page


def test_payments_are_read_only(admin_client, regie, martin_invoice):
    summary = admin_client.post(
        f"{ADD_URL}?invoice={martin_invoice.pk}",
        {**payment_data(martin_invoice), "step": "review"},
    )
    admin_client.post(
        f"{ADD_URL}?invoice={martin_invoice.pk}",
        {
            **payment_data(martin_invoice),
            "step": "confirm",
            "token": hidden_value(summary, "token"),
        },
    )
    payment = Payment.objects.get()
    url = reverse("admin:payments_payment_change", args=[payment.pk])

    page = admin_client.get(url)
    changed = admin_client.post(url, {"amount": "1"})
    deleted = admin_client.post(
        reverse("admin:payments_payment_delete", args=[payment.pk]), {"post": "yes"}
    )

    assert 'name="_save"' not in page.content.decode()
    assert changed.status_code == deleted.status_code == 403
    payment.refresh_from_db()
    assert payment.amount == Decimal("29.00")
