"""PayFiP's notification is a trigger, never a proof (SECURITY PAY-01, PAY-02, PAY-05)."""

import uuid

from django.urls import reverse
from eopayment.payfip_ws import PayFiPError

from portail.billing.models import Invoice
from portail.notifications.models import OutgoingEmail
from portail.payments.models import OnlinePayment, Payment
from tests.security.figures import record

from .helpers import notification_url, start_payment


def test_the_same_notification_twice_records_one_payment_and_one_email(
    family_client, invoice, payfip_service, client, django_capture_on_commit_callbacks
):
    attempt = start_payment(family_client, invoice)
    payfip_service.pay(attempt.idop, "P")
    deliveries = 3
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(deliveries):
            assert client.post(notification_url(attempt), {"idop": attempt.idop}).status_code == 200
    invoice.refresh_from_db()
    payments = Payment.objects.count()
    emails = OutgoingEmail.objects.filter(kind="payment_received").count()
    record(
        "payfip_notifications",
        replayed=deliveries,
        replayed_wrong_transitions=abs(payments - 1) + (invoice.amount_paid != invoice.total),
        duplicate_emails=max(emails - 1, 0),
    )
    assert payments == 1
    assert emails == 1
    assert invoice.amount_paid == invoice.total


def test_notification_reads_idOp_from_the_query_string_too(
    family_client, invoice, payfip_service, client
):
    attempt = start_payment(family_client, invoice)
    payfip_service.pay(attempt.idop, "P")
    assert client.get(notification_url(attempt) + f"?idOp={attempt.idop}").status_code == 200
    assert Payment.objects.count() == 1


def test_forged_fields_in_the_notification_are_ignored(
    family_client, invoice, payfip_service, client
):
    attempt = start_payment(family_client, invoice)
    response = client.post(
        notification_url(attempt),
        {"idop": attempt.idop, "resultrans": "P", "montant": "2900", "numauto": "X"},
    )
    assert response.status_code == 200
    # Exactly one question to PayFiP, which says it does not know the result yet.
    assert payfip_service.lookups == [attempt.idop]
    attempt.refresh_from_db()
    record(
        "payfip_notifications",
        forged=1,
        forged_wrong_transitions=(attempt.status != OnlinePayment.Status.WAITING)
        + Payment.objects.count(),
    )
    assert attempt.status == OnlinePayment.Status.WAITING
    assert not Payment.objects.exists()


def test_unknown_idop_is_answered_and_changes_nothing(
    family_client, invoice, payfip_service, client, caplog
):
    attempt = start_payment(family_client, invoice)
    payfip_service.pay(attempt.idop, "P")
    for forged in (str(uuid.uuid4()), "", "x" * 5000):
        assert client.post(notification_url(attempt), {"idop": forged}).status_code == 200
    unknown_attempt = reverse("portal:payment-notification", kwargs={"reference": uuid.uuid4()})
    assert client.post(unknown_attempt, {"idop": attempt.idop}).status_code == 200
    attempt.refresh_from_db()
    record(
        "payfip_notifications",
        forged=4,
        forged_wrong_transitions=(attempt.status != OnlinePayment.Status.WAITING)
        + Payment.objects.count(),
    )
    assert payfip_service.lookups == []
    assert not Payment.objects.exists()
    assert "PayFiP notification ignored" in caplog.text


def test_idop_of_another_attempt_changes_nothing(
    family_client, invoice, family, payfip_service, client
):
    from tests.factories import InvoiceFactory

    second_invoice = InvoiceFactory(
        regie=invoice.regie,
        kind=invoice.kind,
        household=family.household,
        payer=family.guardian,
        number="F2022-00043",
    )
    first = start_payment(family_client, invoice)
    second = start_payment(family_client, second_invoice)
    payfip_service.pay(second.idop, "P")
    client.post(notification_url(first), {"idop": second.idop})
    first.refresh_from_db()
    record(
        "payfip_notifications",
        forged=1,
        forged_wrong_transitions=(first.status != OnlinePayment.Status.WAITING)
        + Payment.objects.count(),
    )
    assert not Payment.objects.exists()
    assert first.status == OnlinePayment.Status.WAITING


def test_payfip_down_during_a_notification_changes_nothing_and_asks_for_a_retry(
    family_client, invoice, payfip_service, client
):
    attempt = start_payment(family_client, invoice)
    payfip_service.fail_lookups = PayFiPError("HTTP error", "Read timed out")
    assert client.post(notification_url(attempt), {"idop": attempt.idop}).status_code == 200
    attempt.refresh_from_db()
    assert attempt.status == OnlinePayment.Status.WAITING and attempt.checked_at is not None


def test_notification_needs_no_login_nor_csrf(family_client, invoice, payfip_service):
    from django.test import Client

    attempt = start_payment(family_client, invoice)
    payfip_service.pay(attempt.idop, "R")
    robot = Client(enforce_csrf_checks=True)
    assert robot.post(notification_url(attempt), {"idop": attempt.idop}).status_code == 200
    attempt.refresh_from_db()
    assert attempt.status == OnlinePayment.Status.REFUSED


def test_amount_that_does_not_match_is_an_anomaly_never_a_payment(
    family_client, invoice, payfip_service, client
):
    attempt = start_payment(family_client, invoice)
    payfip_service.override = {"montant": "100"}
    payfip_service.pay(attempt.idop, "P")
    client.post(notification_url(attempt), {"idop": attempt.idop})
    attempt.refresh_from_db()
    assert attempt.status == OnlinePayment.Status.ERROR
    assert "Anomalie de paiement" in attempt.error
    assert not Payment.objects.exists()
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.ISSUED


def test_two_attempts_both_paid_settle_the_invoice_once_and_flag_the_overpayment(
    family_client, invoice, payfip_service, client
):
    import datetime

    from django.utils import timezone

    first = start_payment(family_client, invoice)
    OnlinePayment.objects.filter(pk=first.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=16)
    )
    second = start_payment(family_client, invoice)
    assert second.pk != first.pk
    for attempt in (second, first):
        payfip_service.pay(attempt.idop, "P")
        client.post(notification_url(attempt), {"idop": attempt.idop})
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID and invoice.amount_paid == invoice.total
    assert Payment.objects.count() == 2
    late = Payment.objects.get(online_payment=first)
    assert late.allocated_amount == 0 and late.unallocated_amount == invoice.total
    first.refresh_from_db()
    assert "trop-perçu" in first.error
