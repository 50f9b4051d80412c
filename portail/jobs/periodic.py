"""The periodic jobs: which management command runs when, and how each run starts only once
however many machines run the scheduler (``manage.py run_periodic_jobs --loop``).

Each command has a row in ``PeriodicJobRun``. A scheduler takes a run with one conditional
UPDATE — "start it if it is due and nobody holds it" — which the database applies to one
caller only: on PostgreSQL the row lock makes the others wait and then re-read the row, which
no longer matches; on SQLite writers are serialised. The lease (``leased_until``) is released
when the command ends, or expires if its machine died, so a crash never blocks a job forever.

A command of the schedule that does not exist in this release is skipped, so the table can
list jobs whose apps come later."""

import io
import logging
import os
import socket
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.management import call_command, get_commands
from django.db import IntegrityError
from django.db.models import Q
from django.utils import timezone

from .models import PeriodicJobRun

logger = logging.getLogger(__name__)

# How often the loop wakes up; an interval job starts at most this late.
TICK = timedelta(seconds=30)


@dataclass(frozen=True)
class PeriodicJob:
    """``command`` (with ``args``) runs every ``every``, or once a day from ``daily_at`` (local
    time). A run that lasts longer than ``lease`` is presumed dead and may be started again."""

    command: str
    every: timedelta | None = None
    daily_at: time | None = None
    args: tuple[str, ...] = ()
    lease: timedelta = timedelta(hours=1)
    only_with_database_tasks: bool = False

    def due_before(self, now: datetime) -> datetime | None:
        """A run is due when the last one started before this moment (None: not due now)."""
        if self.every is not None:
            return now - self.every + TICK / 2
        local = timezone.localtime(now)
        today_at = local.replace(
            hour=self.daily_at.hour, minute=self.daily_at.minute, second=0, microsecond=0
        )
        return today_at if local >= today_at else None


SCHEDULE: tuple[PeriodicJob, ...] = (
    # Card payments whose notification and return were both lost (PayFiP).
    PeriodicJob("reconcile_payments", every=timedelta(minutes=5)),
    # News, documents and menus whose publication date has come (content).
    PeriodicJob("publish_due_content", every=timedelta(minutes=5)),
    # The daily summary e-mail of the notifications (families who chose « once a day »).
    PeriodicJob("send_notification_digests", daily_at=time(18, 0)),
    # SEPA mandates unused for 36 months lapse (direct debits).
    PeriodicJob("lapse_mandates", daily_at=time(2, 30)),
    # Retention: personal data past its period, old logs and outbox e-mails (audit).
    PeriodicJob("purge_expired_data", daily_at=time(3, 0), lease=timedelta(hours=3)),
    # Results of finished tasks of the database queue.
    PeriodicJob("prune_db_task_results", daily_at=time(4, 0), only_with_database_tasks=True),
)


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def is_available(job: PeriodicJob) -> bool:
    if job.command not in get_commands():
        return False
    database_tasks = settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"
    return database_tasks or not job.only_with_database_tasks


def take_run(job: PeriodicJob, *, now: datetime, holder: str) -> bool:
    """True when this caller may start ``job`` now; then nobody else may until it ends."""
    due_before = job.due_before(now)
    if due_before is None:
        return False
    # Another scheduler may create the row at the same moment.
    with suppress(IntegrityError):
        PeriodicJobRun.objects.get_or_create(name=job.command)
    due = Q(last_started_at__isnull=True) | Q(last_started_at__lt=due_before)
    free = Q(leased_until__isnull=True) | Q(leased_until__lt=now)
    taken = PeriodicJobRun.objects.filter(due, free, name=job.command).update(
        last_started_at=now, leased_until=now + job.lease, leased_by=holder
    )
    return taken == 1


def release_run(job: PeriodicJob, *, holder: str, succeeded: bool) -> None:
    PeriodicJobRun.objects.filter(name=job.command, leased_by=holder).update(
        last_finished_at=timezone.now(),
        last_succeeded=succeeded,
        leased_until=None,
        leased_by="",
    )


def run_due_jobs(*, now: datetime | None = None, schedule=SCHEDULE) -> list[str]:
    """Run, one after the other, the jobs of ``schedule`` that are due and that no other
    process has started; returns their commands. A failing command is logged and the others
    still run."""
    holder = holder_name()
    ran = []
    for job in schedule:
        if not is_available(job):
            continue
        if not take_run(job, now=now or timezone.now(), holder=holder):
            continue
        output = io.StringIO()
        succeeded = False
        try:
            call_command(job.command, *job.args, stdout=output, stderr=output)
            succeeded = True
        except Exception:
            logger.exception("periodic job %s failed", job.command)
        finally:
            release_run(job, holder=holder, succeeded=succeeded)
        logger.info(
            "periodic job %s %s: %s",
            job.command,
            "done" if succeeded else "failed",
            output.getvalue().strip()[-500:],
        )
        ran.append(job.command)
    return ran
