"""What every benchmark needs: a throwaway database, Django set up against it, a stopwatch,
and the record of each run in docs/benchmarks.md (date, machine, database, commit).

DATABASE_URL decides the engine, as for the portal: a PostgreSQL URL makes the benchmark
create a database ``bench_portail_<pid>`` on that server (and drop it at the end); without it
the benchmark uses an SQLite file in a temporary directory. The media files (PDFs) go to a
temporary directory too. Nothing of the developer's own database or media is touched."""

import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS_FILE = ROOT / "docs" / "benchmarks.md"

# Other work on the machine skews the figures: the run records how busy it was when it began.
LOAD_AT_START = os.getloadavg()[0] if hasattr(os, "getloadavg") else None

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Settings for a benchmark run: DEBUG off (DEBUG keeps every query in memory), tasks queued
# nowhere (each benchmark calls the services the tasks would call, and times them itself).
BENCH_ENVIRONMENT = {
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "DEBUG": "0",
    "SECRET_KEY": "bench-only-not-secret",
    "FIELD_ENCRYPTION_KEYS": "YmVuY2gtb25seS1maWVsZC1lbmNyeXB0aW9uLWtleTA=",
    # Static files as collected by no one (bench/load.py collects them for its servers).
    "STATIC_MANIFEST": "0",
    "SECURE_SSL": "0",
    "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
    "SITE_URL": "http://127.0.0.1:8000",
    "TASKS_BACKEND": "django_tasks.backends.dummy.DummyBackend",
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    "LOG_LEVEL": "WARNING",
}


@contextmanager
def throwaway_database() -> Iterator[None]:
    """Point Django at a new empty database and a temporary media directory, migrate, and
    remove both afterwards, even when the benchmark fails."""
    workdir = Path(tempfile.mkdtemp(prefix="bench_portail_"))
    url = os.environ.get("DATABASE_URL", "")
    dropper = None
    try:
        if url.startswith(("postgres://", "postgresql://")):
            url, dropper = _create_postgres_database(url)
            os.environ["DATABASE_URL"] = url
        else:
            os.environ.pop("DATABASE_URL", None)
            os.environ["SQLITE_PATH"] = str(workdir / "bench.sqlite3")
        os.environ["MEDIA_ROOT"] = str(workdir / "media")
        os.environ.update(BENCH_ENVIRONMENT)

        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0, interactive=False)
        yield
    finally:
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        if dropper is not None:
            dropper()
        shutil.rmtree(workdir, ignore_errors=True)


@contextmanager
def kept_database(name: str) -> Iterator[bool]:
    """Point Django at the PostgreSQL database ``name`` (created and migrated when missing)
    and at ``var/bench_media/<name>``, and keep both afterwards: a city generated once serves
    many runs. Yields whether the database already held a generated city."""
    import psycopg
    from psycopg import sql

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("--keep-database needs DATABASE_URL to name a PostgreSQL server.")
    parts = urlsplit(url)
    admin_url = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    os.environ["DATABASE_URL"] = parts._replace(path=f"/{name}").geturl()
    media = ROOT / "var" / "bench_media" / name
    media.mkdir(parents=True, exist_ok=True)
    os.environ["MEDIA_ROOT"] = str(media)
    os.environ.update(BENCH_ENVIRONMENT)

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    from portail.households.models import Household

    try:
        yield Household.objects.exists()
    finally:
        from django.db import connections

        connections.close_all()


def _create_postgres_database(url: str):
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = f"bench_portail_{os.getpid()}"
    # Any database of the server serves to create another; "postgres" always exists.
    admin_url = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def drop() -> None:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    return parts._replace(path=f"/{name}").geturl(), drop


# --- Measuring ---------------------------------------------------------------------------


@dataclass
class Stage:
    name: str
    count: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.count / self.seconds if self.seconds else float("inf")


@contextmanager
def stopwatch(stages: list[Stage], name: str, count: int) -> Iterator[None]:
    started = time.perf_counter()
    yield
    stages.append(Stage(name, count, time.perf_counter() - started))


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile: the smallest value with at least ``fraction`` of the values
    at or below it."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


def markdown_table(headers: list[str], rows: list[list]) -> str:
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join("---:" if index else "---" for index in range(len(headers))) + "|",
    ]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


# --- Recording ---------------------------------------------------------------------------


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def machine_description() -> str:
    model = _proc_value("/proc/cpuinfo", "model name") or platform.processor() or "unknown CPU"
    memory = _proc_value("/proc/meminfo", "MemTotal")
    ram = f"{int(memory.split()[0]) / 1024 / 1024:.0f} GiB RAM" if memory else "RAM unknown"
    return f"{cpu_count()} CPUs ({model}), {ram}, Python {platform.python_version()}"


def _proc_value(path: str, key: str) -> str:
    try:
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                name, _, value = line.partition(":")
                if name.strip() == key:
                    return value.strip()
    except OSError:
        pass
    return ""


def database_description() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
        cursor.execute("SELECT sqlite_version()")
        return f"SQLite {cursor.fetchone()[0]}"


def git_commit() -> str:
    def git(*args: str) -> str:
        try:
            return subprocess.run(  # noqa: S603 (fixed arguments)
                ["git", *args],  # noqa: S607 (git from the PATH)
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + (" with uncommitted changes" if git("status", "--porcelain") else "")


def record(*, title: str, command: str, body: str, append: bool) -> str:
    """The run as a section of docs/benchmarks.md; appended there unless ``append`` is off.
    Returns the section."""
    section = "\n".join(
        [
            f"## {title} — {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
            "",
            f"- Command: `{command}`",
            f"- Machine: {machine_description()}",
            f"- Load average (1 min) when the run began: {LOAD_AT_START:.2f}"
            if LOAD_AT_START is not None
            else "- Load average: unknown",
            f"- Database: {database_description()}",
            f"- Commit: {git_commit()}",
            "",
            body.strip(),
            "",
        ]
    )
    if append:
        with open(RESULTS_FILE, "a", encoding="utf-8") as results:
            results.write("\n" + section)
    return section
