"""Lost notifications (SECURITY PAY-07): twenty families pay on PayFiP, and neither the
notification nor their return ever reaches the portal. The periodic scheduler, on a moved
clock, runs the reconciliation job at its interval (portail/jobs/periodic.py, as `make run`
does); every payment is recorded within 15 minutes of the family paying."""

import datetime
from zoneinfo import ZoneInfo

import time_machine

from portail.jobs import periodic
from portail.payments.models import OnlinePayment, Payment
from portail.payments.services import start_online_payment
from tests.factories import InvoiceFactory
from tests.security.figures import record

PARIS = ZoneInfo("Europe/Paris")
START = datetime.datetime(2026, 3, 10, 9, 0, tzinfo=PARIS)
LOST = 20
ABANDONED = 5
TARGET = datetime.timedelta(minutes=15)


def test_twenty_lost_notifications_are_reconciled_within_fifteen_minutes(
    family, payfip_regie, payfip_service
):
    job = next(job for job in periodic.SCHEDULE if job.command == "reconcile_payments")
    paid_at = {}  # attempt pk → when the family paid on PayFiP's page
    abandoned = []
    with time_machine.travel(START, tick=False) as clock:
        # A family every 70 s starts a payment; those who pay do it 1 to 3 minutes later.
        starts = []
        for index in range(LOST + ABANDONED):
            clock.move_to(START + datetime.timedelta(seconds=70 * index))
            invoice = InvoiceFactory(
                regie=payfip_regie,
                kind=payfip_regie.kinds.first(),
                household=family.household,
                payer=family.guardian,
                number=f"F2026-{index + 1:05d}",
            )
            attempt = start_online_payment(invoice=invoice, user=family.user)
            starts.append((attempt, START + datetime.timedelta(seconds=70 * index)))
        # The scheduler wakes up every TICK from the first start on; payments happen between.
        now = START
        end = START + datetime.timedelta(hours=1)
        reconciled_at = {}
        while now <= end:
            clock.move_to(now)
            for index, (attempt, started) in enumerate(starts):
                pays_at = started + datetime.timedelta(minutes=1 + index % 3)
                if index < LOST and attempt.pk not in paid_at and pays_at <= now:
                    payfip_service.pay(attempt.idop, "P", at=pays_at)
                    paid_at[attempt.pk] = pays_at
            periodic.run_due_jobs(now=now, schedule=(job,))
            for pk in OnlinePayment.objects.filter(status=OnlinePayment.Status.PAID).values_list(
                "pk", flat=True
            ):
                reconciled_at.setdefault(pk, now)
            now += periodic.TICK
        abandoned = [attempt for index, (attempt, _) in enumerate(starts) if index >= LOST]

    delays = [reconciled_at[pk] - paid_at[pk] for pk in paid_at if pk in reconciled_at]
    max_delay = max(delays, default=datetime.timedelta(0))
    record(
        "reconciliation",
        injected=len(paid_at),
        reconciled=len(delays),
        max_delay_minutes=round(max_delay.total_seconds() / 60, 1),
        job_every_minutes=job.every.total_seconds() / 60,
    )
    assert len(paid_at) == LOST
    assert len(delays) == LOST
    assert max_delay <= TARGET
    assert Payment.objects.count() == LOST
    # Those who left PayFiP's page without paying are not paid, and expire after two hours
    # only (P5), which this hour did not reach.
    assert set(
        OnlinePayment.objects.filter(pk__in=[a.pk for a in abandoned]).values_list(
            "status", flat=True
        )
    ) == {OnlinePayment.Status.WAITING}
