"""The life of a background job: queued by a view, run by a task, followed by staff on its page.

The page reads ``done`` and ``total`` while the task works, so progress is written outside the
task's own transaction and touches only those columns."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.files.base import File
from django.db.models import F
from django.db.models.functions import Least
from django.utils import timezone
from django.utils.translation import gettext

from .models import Job

logger = logging.getLogger(__name__)


def start_job(*, kind: str, description: str, created_by, parameters: dict, total: int = 0) -> Job:
    """A queued job; the caller enqueues its task on commit with ``job.pk``."""
    return Job.objects.create(
        kind=kind,
        description=description[:255],
        created_by=created_by,
        parameters=parameters,
        total=total,
    )


def mark_running(job: Job, *, total: int | None = None) -> Job:
    job.status = Job.Status.RUNNING
    job.started_at = timezone.now()
    fields = ["status", "started_at"]
    if total is not None:
        job.total, job.done = total, 0
        fields += ["total", "done"]
    job.save(update_fields=fields)
    return job


def set_total(job: Job, total: int) -> Job:
    """How many steps the job has, once the task knows (after reading a file, say)."""
    job.total, job.done = total, 0
    job.save(update_fields=["total", "done"])
    return job


def advance(job: Job, done: int) -> None:
    """Record progress: one UPDATE of ``done``, never beyond ``total``."""
    job.done = max(0, min(done, job.total))
    Job.objects.filter(pk=job.pk).update(done=Least(job.done, F("total")))


def succeed(job: Job, outcome: str, result_file: File | None = None) -> Job:
    """Finish the job. ``result_file`` (a named Django ``File``, e.g. ``ContentFile(data,
    name="factures.csv")``) is stored for staff to download from the job's page."""
    job.status = Job.Status.SUCCEEDED
    job.outcome = outcome
    job.done = job.total
    job.finished_at = timezone.now()
    fields = ["status", "outcome", "done", "finished_at"]
    if result_file is not None:
        job.result_file.save(result_file.name, result_file, save=False)
        fields.append("result_file")
    job.save(update_fields=fields)
    return job


def fail(job: Job, errors: list[str], outcome: str = "") -> Job:
    """Finish the job without result; ``errors`` are shown to staff one per line."""
    job.status = Job.Status.FAILED
    job.errors = [str(error) for error in errors]
    job.outcome = outcome
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "errors", "outcome", "finished_at"])
    return job


def claim(job_id: int) -> Job | None:
    """The queued job a task should run, or None when it ran already (a task delivered twice
    must not import a file twice)."""
    claimed = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        logger.warning("Job %s is not queued any more: not run again.", job_id)
        return None
    return Job.objects.get(pk=job_id)


@contextmanager
def failing_on_crash(job: Job) -> Iterator[Job]:
    """A bug or an outage must not leave staff in front of a job that runs forever: the job
    fails with a plain message, and the exception goes on to the task's log."""
    try:
        yield job
    except Exception:
        logger.exception("Job %s (%s) crashed.", job.pk, job.kind)
        fail(
            job,
            [
                gettext(
                    "An unexpected error stopped this job. Try again later; if it happens "
                    "again, tell the administrator."
                )
            ],
        )
        raise
