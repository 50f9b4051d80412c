"""Real processes for the production tests: web nodes (gunicorn with config/gunicorn.conf.py)
and task workers (manage.py db_worker) on the test database, all on 127.0.0.1, stopped at the
end of each test whatever happens."""

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 60

only_on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="several processes on one database: PostgreSQL"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_database_url() -> str:
    """The URL of the database the test runs on (pytest-django's test_… database)."""
    settings = connection.settings_dict
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{settings['USER']}{password}@{host}:{port}/{settings['NAME']}"


test_database_url.__test__ = False  # a helper, not a test


class Processes:
    """Starts processes with the portal's environment plus ``environment``; ``stop()`` ends
    them all (SIGTERM, then SIGKILL after 10 s). Each one's output goes to a temporary file,
    shown when it fails to start."""

    def __init__(self, environment: dict):
        self.environment = {**os.environ, **environment}
        self.started: list[tuple[subprocess.Popen, object]] = []

    def start(self, arguments: list[str], **extra) -> subprocess.Popen:
        log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed in stop())
        process = subprocess.Popen(  # noqa: S603 (our own programs)
            arguments,
            cwd=ROOT,
            env={**self.environment, **extra},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.started.append((process, log))
        return process

    def web_node(self, port: int, **extra) -> str:
        url = f"http://127.0.0.1:{port}"
        process = self.start(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "-c",
                "config/gunicorn.conf.py",
                "config.wsgi",
            ],
            GUNICORN_BIND=f"127.0.0.1:{port}",
            GUNICORN_WORKERS="1",
            GUNICORN_THREADS="4",
            **extra,
        )
        deadline = time.monotonic() + START_SECONDS
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"web node {url} did not start:\n{self.output(process)}")
            try:
                requests.get(f"{url}/sante/", timeout=2)
                return url
            except requests.RequestException:
                time.sleep(0.2)

    def worker(self, *arguments: str, **extra) -> subprocess.Popen:
        return self.start(
            [sys.executable, "manage.py", "db_worker", "--no-startup-delay", *arguments], **extra
        )

    def output(self, process) -> str:
        for started, log in self.started:
            if started is process:
                log.flush()
                log.seek(0)
                return log.read()[-4000:]
        return ""

    def stop(self) -> None:
        for process, _log in self.started:
            if process.poll() is None:
                process.terminate()
        for process, log in self.started:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
            log.close()


@pytest.fixture
def processes():
    """Processes on the test database (PostgreSQL), with tasks in the database queue."""
    started = Processes(
        {
            "DATABASE_URL": test_database_url(),
            "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            "STATIC_MANIFEST": "0",
            "LOG_LEVEL": "WARNING",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        }
    )
    yield started
    started.stop()
