"""The reconciliation pass records payments nobody told us about, and never gives up on a
payment before PayFiP does (eopayment's P5/P1 rules)."""

import datetime

from django.core.management import call_command
from django.utils import timezone

from portail.billing.models import Invoice
from portail.payments.models import OnlinePayment, Payment
from portail.payments.services import reconcile_online_payments

from .helpers import start_payment


def aged(attempt, minutes):
    OnlinePayment.objects.filter(pk=attempt.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=minutes)
    )


def test_reconciliation_pays_when_neither_notification_nor_return_came(
    family_client, invoice, payfip_service
):
    attempt = start_payment(family_client, invoice)
    payfip_service.pay(attempt.idop, "P")
    aged(attempt, 10)
    assert reconcile_online_payments() == {"paid": 1}
    assert Payment.objects.count() == 1
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    # A second pass finds nothing running.
    assert reconcile_online_payments() == {}


def test_reconciliation_keeps_p5_waiting_under_two_hours(family_client, invoice, payfip_service):
    attempt = start_payment(family_client, invoice)
    for minutes in (10, 119):
        aged(attempt, minutes)
        assert reconcile_online_payments() == {"unchanged": 1}
        attempt.refresh_from_db()
        assert attempt.status == OnlinePayment.Status.WAITING


def test_reconciliation_expires_p5_only_after_two_hours(family_client, invoice, payfip_service):
    attempt = start_payment(family_client, invoice)
    aged(attempt, 121)
    assert reconcile_online_payments() == {"expired": 1}
    attempt.refresh_from_db()
    assert attempt.status == OnlinePayment.Status.EXPIRED
    assert not Payment.objects.exists()


def test_reconciliation_closes_an_idop_payfip_has_forgotten(family_client, invoice, payfip_service):
    attempt = start_payment(family_client, invoice)
    payfip_service.forget(attempt.idop)
    aged(attempt, 30)
    assert reconcile_online_payments() == {"expired": 1}


def test_reconciliation_leaves_young_and_old_attempts_alone(family_client, invoice, payfip_service):
    attempt = start_payment(family_client, invoice)
    payfip_service.pay(attempt.idop, "P")
    aged(attempt, 2)
    assert reconcile_online_payments() == {}
    aged(attempt, 4 * 60)
    assert reconcile_online_payments() == {}
    assert payfip_service.lookups == []


def test_late_success_after_a_long_p5_is_recorded(family_client, invoice, payfip_service):
    attempt = start_payment(family_client, invoice)
    aged(attempt, 60)
    reconcile_online_payments()
    payfip_service.pay(attempt.idop, "P")
    assert reconcile_online_payments() == {"paid": 1}
    assert Payment.objects.count() == 1


def test_reconciliation_goes_on_when_payfip_fails_for_one_attempt(
    family_client, invoice, payfip_service
):
    from eopayment.payfip_ws import PayFiPError

    attempt = start_payment(family_client, invoice)
    aged(attempt, 10)
    payfip_service.fail_lookups = PayFiPError("HTTP error", "Read timed out")
    assert reconcile_online_payments() == {"unchanged": 1}
    attempt.refresh_from_db()
    assert attempt.status == OnlinePayment.Status.WAITING


def test_reconcile_payments_command_reports_what_it_did(
    family_client, invoice, payfip_service, capsys
):
    attempt = start_payment(family_client, invoice)
    payfip_service.pay(attempt.idop, "P")
    aged(attempt, 10)
    call_command("reconcile_payments")
    assert "Online payments checked: 1 (paid: 1)" in capsys.readouterr().out


def test_late_success_notified_after_local_expiry_is_recorded(
    family_client, invoice, payfip_service, client
):
    from .helpers import notification_url

    attempt = start_payment(family_client, invoice)
    aged(attempt, 125)
    reconcile_online_payments()
    attempt.refresh_from_db()
    assert attempt.status == OnlinePayment.Status.EXPIRED
    payfip_service.pay(attempt.idop, "P")
    client.post(notification_url(attempt), {"idop": attempt.idop})
    attempt.refresh_from_db()
    assert attempt.status == OnlinePayment.Status.PAID
    assert Payment.objects.count() == 1
