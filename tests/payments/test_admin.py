"""Staff see every online payment attempt; administrators test the régie's PayFiP number."""

from django.test import Client
from django.urls import reverse

from portail.payments.models import OnlinePayment
from tests.backoffice.conftest import log_in_with_second_factor, messages_of, text_of
from tests.factories import StaffUserFactory

from .helpers import start_payment


def administrator_client():
    client = Client()
    log_in_with_second_factor(client, StaffUserFactory(username="regisseuse", is_superuser=True))
    return client


def test_staff_see_online_payments_with_status_and_bank_data(
    family_client, invoice, payfip_service
):
    attempt = start_payment(family_client, invoice)
    payfip_service.pay(attempt.idop, "P")
    family_client.get(reverse("portal:online-payment-return", args=[attempt.reference]))
    admin = administrator_client()
    page = text_of(admin.get(reverse("admin:payments_onlinepayment_changelist")))
    assert "F2022-00042" in page and attempt.idop in page
    assert "000000000001-tip" in page
    detail = admin.get(reverse("admin:payments_onlinepayment_change", args=[attempt.pk]))
    assert detail.status_code == 200
    assert "resultrans" in text_of(detail)
    assert admin.get(reverse("admin:payments_onlinepayment_add")).status_code == 403


def test_test_connection_button_asks_payfip_for_the_client(payfip_regie, payfip_service):
    admin = administrator_client()
    change = admin.get(reverse("admin:billing_regie_change", args=[payfip_regie.pk]))
    assert "Tester la connexion" in text_of(change)
    url = reverse("admin:billing_regie_payfip_test", args=[payfip_regie.pk])
    response = admin.post(url, {"payfip_client_number": "123456"}, follow=True)
    assert any("RR COMPOSTEUR" in message for message in messages_of(response))
    response = admin.post(url, {"payfip_client_number": "999999"}, follow=True)
    assert any("A1" in message for message in messages_of(response))
    payfip_regie.refresh_from_db()
    assert payfip_regie.payfip_client_number == "123456"
    assert not OnlinePayment.objects.exists()
