from django.urls import reverse

from portail.payments.models import OnlinePayment


def pay_url(invoice):
    return reverse("portal:invoice-pay", kwargs={"reference": invoice.reference})


def return_url(attempt):
    return reverse("portal:online-payment-return", kwargs={"reference": attempt.reference})


def notification_url(attempt):
    return reverse("portal:payment-notification", kwargs={"reference": attempt.reference})


def start_payment(client, invoice) -> OnlinePayment:
    response = client.post(pay_url(invoice))
    assert response.status_code == 302, response
    return OnlinePayment.objects.filter(invoice=invoice).latest("created_at")
