"""Three task workers on one PostgreSQL queue never run a task twice: each worker claims a
task with SELECT … FOR UPDATE SKIP LOCKED (django-tasks-db)."""

import time

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult, get_date_max

from .conftest import only_on_postgresql
from .tasks import EXECUTIONS_TABLE, record_execution

pytestmark = [pytest.mark.django_db(transaction=True), only_on_postgresql]

TASKS = 10_000
WORKERS = 3
DEADLINE_SECONDS = 300


@pytest.fixture
def executions_table():
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {EXECUTIONS_TABLE} (task_id uuid NOT NULL UNIQUE, worker_pid integer)"
        )
    yield
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {EXECUTIONS_TABLE}")


def enqueue(count: int) -> None:
    DBTaskResult.objects.bulk_create(
        [
            DBTaskResult(
                args_kwargs={"args": [], "kwargs": {}},
                task_path=record_execution.module_path,
                queue_name="default",
                backend_name="default",
                run_after=get_date_max(),
            )
            for _ in range(count)
        ],
        batch_size=2000,
    )


def test_three_workers_run_ten_thousand_tasks_each_exactly_once(processes, executions_table):
    enqueue(TASKS)
    workers = [
        processes.worker("--batch", "--interval", "0.05", "--worker-id", f"worker-{number}")
        for number in range(WORKERS)
    ]
    deadline = time.monotonic() + DEADLINE_SECONDS
    while any(worker.poll() is None for worker in workers) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert all(worker.returncode == 0 for worker in workers), [
        processes.output(worker) for worker in workers
    ]

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*), COUNT(DISTINCT task_id), COUNT(DISTINCT worker_pid) "  # noqa: S608
            f"FROM {EXECUTIONS_TABLE}"
        )
        rows, distinct_tasks, pids = cursor.fetchone()
    assert (rows, distinct_tasks) == (TASKS, TASKS)
    # A second execution would have failed on the unique constraint: none did.
    assert DBTaskResult.objects.failed().count() == 0
    assert DBTaskResult.objects.successful().count() == TASKS
    claimed_twice = [r.worker_ids for r in DBTaskResult.objects.all() if len(r.worker_ids) != 1]
    assert claimed_twice == []
    assert pids == WORKERS, "every worker took part"
