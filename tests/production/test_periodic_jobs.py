"""The periodic jobs start once per period however many schedulers run, survive a crashed
run, and skip commands this release does not have."""

import threading
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone

from portail.jobs.models import PeriodicJobRun
from portail.jobs.periodic import SCHEDULE, PeriodicJob, run_due_jobs, take_run

from .conftest import only_on_postgresql

PARIS = ZoneInfo("Europe/Paris")
EVERY_5_MINUTES = PeriodicJob("reconcile_payments", every=timedelta(minutes=5))


def test_a_due_job_runs_once_and_not_again_before_its_period():
    now = timezone.now()

    assert run_due_jobs(now=now, schedule=[EVERY_5_MINUTES]) == ["reconcile_payments"]
    assert run_due_jobs(now=now + timedelta(minutes=4), schedule=[EVERY_5_MINUTES]) == []
    assert run_due_jobs(now=now + timedelta(minutes=5), schedule=[EVERY_5_MINUTES]) == [
        "reconcile_payments"
    ]
    run = PeriodicJobRun.objects.get(name="reconcile_payments")
    assert run.last_succeeded is True and run.leased_until is None and run.leased_by == ""


def test_a_run_in_progress_elsewhere_is_not_started_again():
    now = timezone.now()
    assert take_run(EVERY_5_MINUTES, now=now, holder="node-1:100") is True

    later = now + timedelta(minutes=10)
    assert take_run(EVERY_5_MINUTES, now=later, holder="node-2:200") is False


def test_a_crashed_run_is_started_again_when_its_lease_expires():
    now = timezone.now()
    take_run(EVERY_5_MINUTES, now=now, holder="node-1:100")  # and node 1 dies

    assert take_run(EVERY_5_MINUTES, now=now + timedelta(minutes=61), holder="node-2:200")
    assert PeriodicJobRun.objects.get().leased_by == "node-2:200"


def test_a_failing_job_is_recorded_and_the_next_ones_still_run():
    failing = PeriodicJob("reconcile_payments", every=timedelta(minutes=5), args=("--nope",))
    other = PeriodicJob("retry_emails", every=timedelta(minutes=5))

    assert run_due_jobs(schedule=[failing, other]) == ["reconcile_payments", "retry_emails"]
    run = PeriodicJobRun.objects.get(name="reconcile_payments")
    assert run.last_succeeded is False and run.leased_until is None


def test_a_command_missing_from_this_release_is_skipped():
    assert run_due_jobs(schedule=[PeriodicJob("not_written_yet", every=timedelta(minutes=1))]) == []
    assert not PeriodicJobRun.objects.exists()


def test_a_daily_job_runs_once_a_day_from_its_hour():
    daily = PeriodicJob("retry_emails", daily_at=time(7, 0))
    day = datetime(2026, 11, 27, 6, 59, tzinfo=PARIS)

    assert run_due_jobs(now=day, schedule=[daily]) == []
    assert run_due_jobs(now=day.replace(hour=7, minute=0), schedule=[daily]) == ["retry_emails"]
    assert run_due_jobs(now=day.replace(hour=23), schedule=[daily]) == []
    assert run_due_jobs(now=day + timedelta(days=1, minutes=1), schedule=[daily]) == [
        "retry_emails"
    ]


def test_the_schedule_reconciles_card_payments_every_five_minutes():
    reconcile = next(job for job in SCHEDULE if job.command == "reconcile_payments")
    assert reconcile.every == timedelta(minutes=5)


def test_the_command_runs_the_due_jobs_once(capsys):
    call_command("run_periodic_jobs")
    call_command("run_periodic_jobs")

    assert capsys.readouterr().out.count("reconcile_payments: done") == 1


@only_on_postgresql
@pytest.mark.django_db(transaction=True)
def test_eight_schedulers_at_the_same_moment_start_one_run():
    now = timezone.now()
    barrier = threading.Barrier(8)
    taken = []

    def scheduler(number):
        try:
            barrier.wait()
            taken.append(take_run(EVERY_5_MINUTES, now=now, holder=f"node-{number}:1"))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=scheduler, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(taken) == [False] * 7 + [True]
    assert connection.vendor == "postgresql"
