"""/sante/: 200 when the database answers and no task waits too long, 503 otherwise; counts
only, no login, never cached."""

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from .conftest import ROOT
from .tasks import record_execution

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def database_queue(settings):
    settings.TASKS = DATABASE_QUEUE
    settings.HEALTH_QUEUE_MAX_AGE_SECONDS = 15 * 60


def queue_a_task(waiting: timedelta) -> None:
    result = record_execution.enqueue()
    DBTaskResult.objects.filter(pk=result.id).update(enqueued_at=timezone.now() - waiting)


def test_health_answers_ok_without_login_and_is_never_cached(client, database_queue):
    response = client.get("/sante/")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": {"ok": True},
        "cache": {"ok": True},
        "queue": {"ok": True, "reachable": True, "backlog": 0, "oldest_seconds": 0.0},
    }
    assert "no-store" in response["Cache-Control"]
    assert "sessionid" not in response.cookies


def test_health_reports_the_backlog_and_its_age(client, database_queue):
    queue_a_task(timedelta(minutes=2))
    queue_a_task(timedelta(seconds=5))

    queue = client.get("/sante/").json()["queue"]

    assert queue["ok"] is True and queue["backlog"] == 2
    assert 119 < queue["oldest_seconds"] < 130


def test_health_answers_503_when_a_task_has_waited_too_long(client, database_queue):
    queue_a_task(timedelta(minutes=16))

    response = client.get("/sante/")

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["queue"]["ok"] is False


def test_health_answers_503_when_the_cache_is_unreachable(client, database_queue, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }

    response = client.get("/sante/")

    assert response.status_code == 503
    assert response.json()["cache"] == {"ok": False}
    assert response.json()["database"] == {"ok": True}


def test_health_is_exempt_from_the_https_redirect(client, database_queue, settings):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/sante/").status_code == 200
    assert client.get("/connexion/").status_code == 301


def test_health_answers_503_when_the_database_is_unreachable():
    """A real process whose database server does not answer (nothing listens on port 1)."""
    script = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "response = Client().get('/sante/')\n"
        "print(response.status_code, response.content.decode())\n"
    )
    result = subprocess.run(  # noqa: S603 (our own interpreter and a fixed script)
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": "postgres://portail@127.0.0.1:1/portail",
            "STATIC_MANIFEST": "0",
            "LOG_LEVEL": "CRITICAL",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    status, _, body = result.stdout.strip().partition(" ")
    assert status == "503", result.stdout + result.stderr
    assert json.loads(body) == {
        "status": "unavailable",
        "database": {"ok": False},
        "cache": {"ok": False},
        "queue": {"ok": False, "reachable": None},
    }
