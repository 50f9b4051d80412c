"""The life of a job: progress within its total, one run only, a crash recorded."""

import pytest
from django.core.files.base import ContentFile

from portail.jobs import services as jobs
from portail.jobs.models import Job


def new_job(user=None, total=0):
    return jobs.start_job(
        kind="test",
        description="Émission de 10 factures",
        created_by=user,
        parameters={},
        total=total,
    )


def test_progress_never_goes_beyond_the_total():
    job = jobs.mark_running(new_job(), total=10)

    jobs.advance(job, 4)
    assert Job.objects.get(pk=job.pk).percent == 40
    jobs.advance(job, 25)

    job.refresh_from_db()
    assert (job.done, job.total, job.status) == (10, 10, Job.Status.RUNNING)


def test_a_job_is_run_once_even_if_its_task_is_delivered_twice():
    job = new_job()

    assert jobs.claim(job.pk) is not None
    assert jobs.claim(job.pk) is None
    assert Job.objects.get(pk=job.pk).status == Job.Status.RUNNING


def test_a_crash_fails_the_job_with_a_plain_message():
    job = jobs.claim(new_job().pk)

    with pytest.raises(ZeroDivisionError), jobs.failing_on_crash(job):
        1 / 0  # noqa: B018

    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.errors == [
        "Une erreur inattendue a arrêté cette tâche. Réessayez plus tard ; si cela se "
        "reproduit, prévenez l'administrateur."
    ]
    assert job.finished_at is not None


def test_a_succeeded_job_keeps_its_outcome_and_file():
    job = jobs.mark_running(new_job(), total=3)

    jobs.succeed(job, "3 factures exportées.", ContentFile(b"a;b\r\n", name="export.csv"))

    job.refresh_from_db()
    assert (job.status, job.done, job.percent) == (Job.Status.SUCCEEDED, 3, 100)
    assert job.outcome == "3 factures exportées."
    assert job.result_file.read() == b"a;b\r\n"


def test_a_succeeded_job_without_steps_shows_complete():
    job = jobs.succeed(jobs.mark_running(new_job()), "Rien à faire.")

    assert job.percent == 100
