"""End to end against the PayFiP simulator served by a live server: the portal's adapter
speaks real SOAP (eopayment + zeep over HTTP) to it, the simulator's payment page notifies
the portal over HTTP and sends the family back."""

import datetime
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from portail.billing.models import Invoice
from portail.payfip_simulator import services as simulator
from portail.payments import payfip
from portail.payments.models import OnlinePayment, Payment
from portail.payments.services import reconcile_online_payments

from .helpers import pay_url

pytestmark = pytest.mark.django_db(transaction=True)


def choose(client, attempt_url, result):
    """The family on PayFiP's page chooses an outcome; returns where PayFiP sends it back."""
    page = urlsplit(attempt_url)
    response = client.post(f"{page.path}?{page.query}", {"result": result})
    assert response.status_code == 302, response.content[:500]
    back = urlsplit(response["Location"])
    return f"{back.path}?{back.query}"


def test_family_pays_through_the_simulator_and_the_invoice_is_paid(
    portal_on_simulator, family_client, invoice
):
    response = family_client.post(pay_url(invoice))
    assert response["Location"].startswith(f"{portal_on_simulator.url}/payfip-simulateur/")
    back = choose(family_client, response["Location"], "P")
    # The simulator's notification already recorded the payment.
    assert Payment.objects.count() == 1
    page = family_client.get(back).content.decode()
    assert "Paiement terminé" in page
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    attempt = OnlinePayment.objects.get()
    assert attempt.bank_data["resultrans"] == "P" and attempt.bank_data["montant"] == "2900"


def test_refused_through_the_simulator_leaves_the_invoice_unpaid(
    portal_on_simulator, family_client, invoice
):
    response = family_client.post(pay_url(invoice))
    back = choose(family_client, response["Location"], "R")
    page = family_client.get(back).content.decode()
    assert "refusé" in page and "Réessayer" in page
    assert not Payment.objects.exists()


def test_lost_notification_and_no_return_are_caught_by_reconciliation(
    portal_on_simulator, family_client, invoice
):
    simulator.update_state(drop_notifications=True)
    response = family_client.post(pay_url(invoice))
    choose(family_client, response["Location"], "V")
    assert not Payment.objects.exists()
    OnlinePayment.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=6))
    assert reconcile_online_payments() == {"paid": 1}
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID


def test_soap_fault_from_the_simulator_is_a_clear_message(
    portal_on_simulator, family_client, invoice
):
    simulator.update_state(creation_failure="fault")
    page = family_client.post(pay_url(invoice), follow=True).content.decode()
    assert "Le service de paiement PayFiP ne répond pas" in page
    assert not Payment.objects.exists()
    assert OnlinePayment.objects.get().status == OnlinePayment.Status.ERROR


def test_test_connection_reaches_the_simulator(portal_on_simulator, payfip_regie):
    details = payfip.client_details(regie=payfip_regie)
    assert details["numcli"] == "123456"
