"""A task for the worker tests: it records each execution in a table of its own, keyed by
the task's id, so that a second execution of the same task is caught by a unique constraint."""

import os

from django.db import connection
from django_tasks import task

EXECUTIONS_TABLE = "production_task_execution"


@task(takes_context=True)
def record_execution(context):
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {EXECUTIONS_TABLE} (task_id, worker_pid) VALUES (%s, %s)",  # noqa: S608
            [str(context.task_result.id), os.getpid()],
        )
