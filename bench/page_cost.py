"""What one family page costs the portal's process: CPU milliseconds and queries per request.

    python bench/page_cost.py [--keep-database NAME] [--scale 0.02] [--families 20]
                              [--rounds 5] [--requests 40] [--pages dashboard,…]
                              [--profile PAGE] [--show-sql] [--no-append]

The pages of bench/load.py — the bare « hello » view (the ceiling), the dashboard, « MES
FACTURES », an invoice and its PDF — are requested through Django's WSGI handler in this one
process, as gunicorn would call it: the production settings with DEBUG off, the whole
middleware stack, the JSON request log written (to /dev/null), each request as one of
``--families`` random families with a session of its own. No server, no load generator: the
figure is the CPU time of the process (``time.process_time``), which other work on a shared
machine slows much less than it slows wall time. Each page is requested ``--rounds`` ×
``--requests`` times; the best round's mean is kept (the least disturbed), with the median
round beside it. The database server's own CPU is not in it. Beside the time, the number of
Python function calls per request (cProfile, one request per family): it does not depend on
how busy the machine is, so it compares two versions of the code even on a shared machine.
The query count is that of one request (the first family's).

Reading it against bench/load.py: the load test's ceiling is about 2 cores ÷ the hello
view's whole cost under gunicorn (its figure here plus about 1 ms of gunicorn and wrk per
request on this machine), so a page reaches a third of the ceiling when its whole cost — its
figure here, the same 1 ms, and the database server's CPU for its queries — is at most three
times that.

``--profile PAGE`` prints cProfile's top functions for that page (CPU time) instead of
measuring, and writes the raw profile to $PROFILE_FILE when set; ``--show-sql`` prints each
page's queries.

The database: ``--keep-database NAME`` (PostgreSQL, generated once at ``--scale`` and kept,
see bench/_setup.py), else a throwaway one generated at ``--scale``."""

import argparse
import cProfile
import io
import logging
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._setup import kept_database, markdown_table, record, throwaway_database

PAGES = [
    ("Bare « hello » view (ceiling)", "hello"),
    ("Dashboard (tableau de bord)", "dashboard"),
    ("« MES FACTURES »", "invoices"),
    ("Invoice detail", "invoice"),
    ("Invoice PDF download", "pdf"),
]


def request_log_to_nowhere() -> None:
    """The request log as under gunicorn (INFO, JSON), written to /dev/null: formatting each
    line is part of a request's cost."""
    from portail.lib.request_log import JsonFormatter

    handler = logging.StreamHandler(open(os.devnull, "w"))  # noqa: SIM115 (process-long)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("portail.requests")
    logger.handlers = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False


def wsgi_caller():
    """A function ``get(session_key, path) -> (status, body bytes)`` through Django's WSGI
    handler, the way gunicorn calls it."""
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.test.client import FakePayload

    handler = WSGIHandler()
    cookie_name = settings.SESSION_COOKIE_NAME

    def get(session_key: str, path: str):
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": FakePayload(b""),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        if session_key != "-":
            environ["HTTP_COOKIE"] = f"{cookie_name}={session_key}"
        status = []
        response = handler(environ, lambda code, headers, exc_info=None: status.append(code))
        body = b"".join(response)
        response.close()
        return status[0], body

    return get


def measure(get, lines: list[str], *, rounds: int, requests: int) -> dict:
    from django.db import connection

    targets = [line.split(" ", 1) for line in lines]
    for session, path in targets:  # each session's first request saves it (login time, …)
        status, _body = get(session, path)
        if not status.startswith("200"):
            raise RuntimeError(f"{path} answered {status}")
    # Not CaptureQueriesContext: the handler's request_started signal empties its list.
    queries = []
    with connection.execute_wrapper(
        lambda execute, sql, params, many, context: (
            queries.append(sql) or execute(sql, params, many, context)
        )
    ):
        get(*targets[0])
    # Python function calls per request: unlike time, the same on a busy machine as on a
    # quiet one, so before/after comparisons hold under any load.
    profiler = cProfile.Profile()
    profiler.enable()
    for target in targets:
        get(*target)
    profiler.disable()
    calls = pstats.Stats(profiler).total_calls / len(targets)
    per_round = []
    for _round in range(rounds):
        started = time.process_time()
        for index in range(requests):
            get(*targets[index % len(targets)])
        per_round.append((time.process_time() - started) / requests * 1000)
    return {
        "cpu_ms": min(per_round),
        "cpu_ms_median_round": statistics.median(per_round),
        "queries": len(queries),
        "calls": calls,
        "sql": queries,
    }


def profile(get, lines: list[str], *, requests: int) -> str:
    targets = [line.split(" ", 1) for line in lines]
    for target in targets:
        get(*target)
    profiler = cProfile.Profile(time.process_time)  # CPU, not the waits on the database
    profiler.enable()
    for index in range(requests):
        get(*targets[index % len(targets)])
    profiler.disable()
    profiler.dump_stats(str(Path(os.environ.get("PROFILE_FILE", os.devnull))))
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(60)
    stats.sort_stats("tottime").print_stats(40)
    return out.getvalue()


def run(*, reuse: bool, scale: float, families: int, seed: int = 2026) -> tuple:
    from django.test.utils import override_settings

    from bench.generate import generate
    from bench.load import existing_city, family_targets

    generated = existing_city() if reuse else generate(scale=scale, seed=seed)
    targets = family_targets(generated["usernames"], families, seed)
    request_log_to_nowhere()
    settings_override = override_settings(ROOT_URLCONF="bench.urls")
    settings_override.enable()
    return generated, targets


def report(result: dict) -> str:
    ceiling = result["pages"]["hello"]["cpu_ms"]
    rows = [
        [
            label,
            str(result["pages"][key]["queries"]),
            f"{result['pages'][key]['calls']:,.0f}",
            f"{result['pages'][key]['cpu_ms']:.1f}",
            f"{result['pages'][key]['cpu_ms_median_round']:.1f}",
            f"{result['pages'][key]['cpu_ms'] / ceiling:.1f} ×",
        ]
        for label, key in PAGES
        if key in result["pages"]
    ]
    table = markdown_table(
        [
            "Page",
            "Queries",
            "Python calls",
            "CPU ms (best round)",
            "CPU ms (median round)",
            "× hello",
        ],
        rows,
    )
    return (
        f"Data: {result['data']}. In one process through Django's WSGI handler (production "
        f"settings, DEBUG off, every middleware, JSON request log to /dev/null), "
        f"{result['rounds']} rounds of {result['requests']} requests per page, each as one of "
        f"{result['families']} random families; CPU time of the portal's process per request "
        f"(the database server's is not in it).\n\n{table}"
    )


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=0.02, help="1 = 100,000 households")
    parser.add_argument("--families", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=40, help="requests per round")
    parser.add_argument("--keep-database", metavar="NAME")
    parser.add_argument("--pages", help="comma-separated keys (hello is always measured)")
    parser.add_argument("--profile", metavar="PAGE", help="print cProfile's figures for PAGE")
    parser.add_argument("--show-sql", action="store_true", help="print each page's queries")
    parser.add_argument("--no-append", action="store_true", help="do not write docs/")
    options = parser.parse_args(argv)
    database = (
        kept_database(options.keep_database) if options.keep_database else throwaway_database()
    )
    with database as reuse:
        generated, targets = run(reuse=bool(reuse), scale=options.scale, families=options.families)
        get = wsgi_caller()
        if options.profile:
            text = profile(get, targets[options.profile], requests=options.requests)
            print(text)
            return text
        wanted = set(options.pages.split(",")) | {"hello"} if options.pages else None
        pages = {}
        for _label, key in PAGES:
            if wanted and key not in wanted:
                continue
            pages[key] = measure(
                get, targets[key], rounds=options.rounds, requests=options.requests
            )
            if options.show_sql:
                print(f"--- {key}: {pages[key]['queries']} queries")
                for sql in pages[key]["sql"]:
                    print("   ", sql[:300])
        rows = generated["rows"]
        data = (
            f"scale {options.scale:g}, {rows.get('households.Household', 0):,} households and "
            f"{rows.get('billing.Invoice', 0):,} invoices"
            + (f" (kept database {options.keep_database})" if options.keep_database else "")
        )
        result = {
            "pages": pages,
            "data": data,
            "rounds": options.rounds,
            "requests": options.requests,
            "families": len(targets["dashboard"]),
        }
        section = record(
            title="Family pages: CPU per request in-process",
            command=(
                f"python bench/page_cost.py --scale {options.scale:g} --families "
                f"{options.families} --rounds {options.rounds} --requests {options.requests}"
                + (f" --keep-database {options.keep_database}" if options.keep_database else "")
            ),
            body=report(result),
            append=not options.no_append,
        )
    print(section)
    return section


if __name__ == "__main__":
    main()
