"""« PAYER MA FACTURE EN LIGNE »: what the family sees, from the invoice to the receipt."""

from decimal import Decimal

from django.urls import reverse
from eopayment.payfip_ws import PayFiPError

from portail.billing.models import Invoice
from portail.notifications.models import OutgoingEmail
from portail.payments.models import OnlinePayment, Payment, PaymentMethod
from tests.factories import InvoiceFactory, make_family_guardian

from .helpers import notification_url, pay_url, return_url, start_payment


def detail(client, invoice):
    url = reverse("portal:invoice-detail", kwargs={"reference": invoice.reference})
    return client.get(url).content.decode()


def test_invoice_offers_card_payment_with_the_amount_when_the_regie_has_payfip(
    family_client, invoice
):
    html = detail(family_client, invoice)
    assert "PAYER MA FACTURE EN LIGNE" in html
    assert "Direction Générale des Finances Publiques" in html
    assert "Payer par carte bancaire" in html
    assert "29,00" in html
    assert f'href="{pay_url(invoice)}"' in html


def test_invoice_keeps_the_soon_note_when_the_regie_has_no_payfip_number(family_client, invoice):
    invoice.regie.payfip_client_number = ""
    invoice.regie.save()
    html = detail(family_client, invoice)
    assert "Payer par carte bancaire" not in html
    assert "prochainement" in html or "bientôt" in html


def test_pay_sends_the_family_to_payfip_in_the_same_window(
    family_client, invoice, payfip_service, settings
):
    settings.PAYFIP_PAYMENT_URL = "https://www.payfip.gouv.fr/tpa/paiementws.web"
    response = family_client.post(pay_url(invoice))
    idop = payfip_service.last_idop
    assert response.status_code == 302
    assert response["Location"] == f"https://www.payfip.gouv.fr/tpa/paiementws.web?idop={idop}"
    sent = payfip_service.created[idop]
    assert sent["montant"] == "2900"
    assert sent["refdet"] == "F202200042"
    assert sent["exer"] == "2022"
    assert sent["numcli"] == "123456" and sent["saisie"] == "T"
    assert sent["mel"] == "durand.marie@example.fr"
    attempt = OnlinePayment.objects.get()
    assert attempt.status == OnlinePayment.Status.WAITING and attempt.idop == idop
    assert sent["urlredirect"].endswith(return_url(attempt))
    assert sent["urlnotif"].endswith(notification_url(attempt))


def test_pay_by_card_first_shows_a_confirmation_that_starts_nothing(
    family_client, invoice, payfip_service
):
    # RGAA 11.12: what will be paid, and to whom, is shown before anything starts.
    response = family_client.get(pay_url(invoice))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Confirmer le paiement par carte" in html
    assert "F2022-00042" in html and "29,00" in html and "PayFiP" in html
    assert f'action="{pay_url(invoice)}"' in html and 'method="post"' in html
    assert "Confirmer et payer 29,00" in html
    assert not payfip_service.created and not OnlinePayment.objects.exists()


def test_confirmation_of_a_paid_invoice_goes_back_to_the_invoice(
    family_client, invoice, payfip_service
):
    invoice.amount_paid = invoice.total
    invoice.status = Invoice.Status.PAID
    Invoice.objects.filter(pk=invoice.pk).update(amount_paid=invoice.total, status="paid")
    response = family_client.get(pay_url(invoice))
    assert response.status_code == 302
    assert response["Location"].endswith(f"/mes-factures/{invoice.reference}/")


def test_another_family_cannot_see_the_confirmation(client, invoice, payfip_service):
    stranger = make_family_guardian()
    client.force_login(stranger.user)
    assert client.get(pay_url(invoice)).status_code == 404


def test_family_pays_by_card_and_gets_the_receipt_page_and_email(
    family_client, invoice, payfip_service, client, django_capture_on_commit_callbacks
):
    attempt = start_payment(family_client, invoice)
    payfip_service.pay(attempt.idop, "P")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(notification_url(attempt), {"idop": attempt.idop})
    assert response.status_code == 200

    page = family_client.get(return_url(attempt)).content.decode()
    assert "Paiement terminé" in page
    assert 'http-equiv="refresh"' not in page
    payment = Payment.objects.get()
    assert payment.method == PaymentMethod.CARD_ONLINE
    assert payment.amount == Decimal("29.00")
    assert payment.bank_reference == "000000000001-tip"
    assert payment.receipt_number in page
    assert reverse("portal:receipt-pdf", kwargs={"reference": payment.reference}) in page
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    attempt.refresh_from_db()
    assert attempt.payment == payment
    assert attempt.bank_data["resultrans"] == "P" and attempt.bank_data["montant"] == "2900"
    email = OutgoingEmail.objects.get(kind="payment_received")
    assert email.to == "durand.marie@example.fr"
    assert payment.receipt_number in email.body_text
    assert "29,00" in email.subject


def test_paid_by_direct_debit_is_paid_too(family_client, invoice, payfip_service, client):
    attempt = start_payment(family_client, invoice)
    payfip_service.pay(attempt.idop, "V")
    client.post(notification_url(attempt), {"idop": attempt.idop})
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert OnlinePayment.objects.get().bank_status == "paid direct debit"


def test_return_page_waits_and_reloads_itself_until_payfip_knows(
    family_client, invoice, payfip_service
):
    attempt = start_payment(family_client, invoice)
    page = family_client.get(return_url(attempt)).content.decode()
    assert "Paiement en cours" in page
    # Without JavaScript the page reloads itself; with it, a script asks for its news.
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page
    assert "portail/payment_status.js" in page
    assert f'data-refresh-url="{return_url(attempt)}?actualisation=non"' in page
    assert "paiement en cours" in detail(family_client, invoice).lower()
    assert "Payer par carte bancaire" not in detail(family_client, invoice)


def test_the_family_can_stop_and_resume_the_automatic_update(
    family_client, invoice, payfip_service
):
    """RGAA 13.1: the family controls the page's time limit (its reloading)."""
    attempt = start_payment(family_client, invoice)
    page = family_client.get(return_url(attempt)).content.decode()
    stop_link = f'<a href="{return_url(attempt)}?actualisation=non">'
    assert stop_link + "Arrêter la mise à jour automatique</a>" in page

    stopped = family_client.get(f"{return_url(attempt)}?actualisation=non").content.decode()

    assert 'http-equiv="refresh"' not in stopped
    assert "payment_status.js" not in stopped and "data-refresh-url" not in stopped
    assert "La mise à jour automatique est arrêtée." in stopped
    assert f'<a href="{return_url(attempt)}">Reprendre la mise à jour automatique</a>' in stopped
    assert "Mettre à jour maintenant" in stopped
    assert "Paiement en cours" in stopped


def test_a_family_that_left_payfips_page_can_go_back_to_it_while_it_is_open(
    family_client, invoice, payfip_service, settings
):
    import datetime

    from django.utils import timezone

    settings.PAYFIP_PAYMENT_URL = "https://www.payfip.gouv.fr/tpa/paiementws.web"
    attempt = start_payment(family_client, invoice)
    page = family_client.get(return_url(attempt)).content.decode()
    assert "Revenir sur la page de paiement PayFiP" in page
    assert f'href="https://www.payfip.gouv.fr/tpa/paiementws.web?idop={attempt.idop}"' in page

    OnlinePayment.objects.filter(pk=attempt.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=16)
    )
    page = family_client.get(return_url(attempt)).content.decode()
    assert "Revenir sur la page de paiement PayFiP" not in page


def test_return_alone_records_the_payment_when_no_notification_came(
    family_client, invoice, payfip_service
):
    attempt = start_payment(family_client, invoice)
    payfip_service.pay(attempt.idop, "P")
    page = family_client.get(return_url(attempt) + f"?idop={attempt.idop}").content.decode()
    assert "Paiement terminé" in page
    assert Payment.objects.count() == 1


def test_refused_card_leaves_the_invoice_unpaid_and_offers_to_try_again(
    family_client, invoice, payfip_service, client
):
    attempt = start_payment(family_client, invoice)
    payfip_service.pay(attempt.idop, "R")
    client.post(notification_url(attempt), {"idop": attempt.idop})
    page = family_client.get(return_url(attempt)).content.decode()
    assert "refusé" in page
    assert "Réessayer" in page
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.ISSUED and invoice.amount_paid == 0
    assert not Payment.objects.exists()
    # Trying again opens a new attempt at once.
    again = family_client.post(pay_url(invoice))
    assert again.status_code == 302 and "paiementws.web" in again["Location"]
    assert OnlinePayment.objects.count() == 2


def test_abandoned_payment_is_told_in_plain_french(family_client, invoice, payfip_service, client):
    import datetime

    attempt = start_payment(family_client, invoice)
    # PayFiP keeps an abandon « waiting » for two minutes while the idop is active.
    payfip_service.pay(
        attempt.idop, "A", at=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=3)
    )
    client.post(notification_url(attempt), {"idop": attempt.idop})
    page = family_client.get(return_url(attempt)).content.decode()
    assert "Vous avez annulé le paiement" in page
    assert "Réessayer" in page
    assert not Payment.objects.exists()


def test_recent_abandon_stays_waiting_during_payfips_two_minutes(
    family_client, invoice, payfip_service, client
):
    attempt = start_payment(family_client, invoice)
    payfip_service.pay(attempt.idop, "A")
    client.post(notification_url(attempt), {"idop": attempt.idop})
    attempt.refresh_from_db()
    assert attempt.status == OnlinePayment.Status.WAITING


def test_soap_fault_at_creation_gives_a_clear_message_and_records_nothing(
    family_client, invoice, payfip_service
):
    payfip_service.fail_next_creation = PayFiPError("A2", "Adresse mél incorrecte")
    response = family_client.post(pay_url(invoice), follow=True)
    page = response.content.decode()
    assert "Le service de paiement PayFiP ne répond pas" in page
    assert "et rien n&#x27;a été payé" in page
    assert not Payment.objects.exists()
    attempt = OnlinePayment.objects.get()
    assert attempt.status == OnlinePayment.Status.ERROR and attempt.error.startswith("A2")
    # Nothing is left « in progress »: the family may try again.
    assert "Payer par carte bancaire" in detail(family_client, invoice)


def test_soap_timeout_at_creation_gives_a_clear_message_and_records_nothing(
    family_client, invoice, payfip_service
):
    payfip_service.fail_next_creation = PayFiPError("HTTP error", "Read timed out")
    page = family_client.post(pay_url(invoice), follow=True).content.decode()
    assert "Le service de paiement PayFiP ne répond pas" in page
    assert not Payment.objects.exists()
    assert not OnlinePayment.objects.filter(status__in=OnlinePayment.RUNNING).exists()


def test_double_click_on_pay_opens_one_attempt(family_client, invoice, payfip_service):
    first = family_client.post(pay_url(invoice))
    second = family_client.post(pay_url(invoice), follow=True)
    assert "paiementws.web" in first["Location"]
    assert len(payfip_service.created) == 1
    assert OnlinePayment.objects.count() == 1
    page = second.content.decode()
    assert "déjà en cours" in page
    assert "Paiement en cours" in page


def test_a_new_attempt_may_start_once_the_idop_can_no_longer_be_used(
    family_client, invoice, payfip_service
):
    import datetime

    from django.utils import timezone

    first = start_payment(family_client, invoice)
    OnlinePayment.objects.filter(pk=first.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=16)
    )
    response = family_client.post(pay_url(invoice))
    assert "paiementws.web" in response["Location"]
    first.refresh_from_db()
    # Still asked about until PayFiP gives its result, but no longer holding the invoice.
    assert first.status == OnlinePayment.Status.WAITING and not first.holds_invoice
    assert OnlinePayment.objects.filter(holds_invoice=True).count() == 1


def test_paid_invoice_cannot_be_paid_online(family_client, invoice, payfip_service):
    Invoice.objects.filter(pk=invoice.pk).update(
        status=Invoice.Status.PAID, amount_paid=invoice.total
    )
    page = family_client.post(pay_url(invoice), follow=True).content.decode()
    assert "plus rien à payer" in page
    assert not payfip_service.created


def test_family_cannot_pay_nor_follow_another_households_invoice(
    family_client, invoice, payfip_service
):
    from django.test import Client

    other = make_family_guardian(username="autre", email="autre@example.fr")
    theirs = InvoiceFactory(
        regie=invoice.regie,
        kind=invoice.kind,
        household=other.household,
        payer=other,
        number="F2022-00099",
    )
    assert family_client.post(pay_url(theirs)).status_code == 404
    assert not payfip_service.created
    client = Client()
    client.force_login(other.user)
    their_attempt = start_payment(client, theirs)
    assert family_client.get(return_url(their_attempt)).status_code == 404


def test_amount_over_payfip_limit_is_refused_before_payfip(
    family_client, family, payfip_regie, payfip_service
):
    big = InvoiceFactory(
        regie=payfip_regie,
        kind=payfip_regie.kinds.first(),
        household=family.household,
        payer=family.guardian,
        number="F2022-00500",
        lines=[{"child_name": "Léa", "label": "x", "quantity": Decimal("1"),
                "unit_price": Decimal("100000.00")}],
    )  # fmt: skip
    page = family_client.post(pay_url(big), follow=True).content.decode()
    assert "PayFiP accepte les paiements" in page
    assert not payfip_service.created


def test_confirmation_page_queries_do_not_grow_with_the_households_invoices(
    family_client, invoice, family, payfip_service, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    family_client.get(pay_url(invoice))  # warm caches (session, organisation)
    with CaptureQueriesContext(connection) as one_invoice:
        family_client.get(pay_url(invoice))
    # The page's own queries are few; the rest is the family pages' common frame.
    assert len(one_invoice.captured_queries) <= 15
    for number in range(4):
        InvoiceFactory(
            regie=invoice.regie,
            kind=invoice.kind,
            household=family.household,
            payer=family.guardian,
            number=f"F2022-0010{number}",
        )
    with django_assert_num_queries(len(one_invoice.captured_queries)):
        family_client.get(pay_url(invoice))
