"""Pages under load: gunicorn with the production settings on loopback, driven by wrk.

    python bench/load.py [--scale 1.0] [--duration 20] [--connections 16] [--families 200]
                         [--staff-connections 4] [--keep-database NAME] [--pages a,b]
                         [--workers N] [--threads 2] [--no-append]

1. A throwaway database (PostgreSQL when DATABASE_URL says so) filled by bench/generate.py at
   ``--scale`` (1 = 100,000 households, a million invoices), static files collected (WhiteNoise,
   compressed, hashed names), the stored PDF of one issued invoice of each sampled family.
2. ``--families`` random families and one staff member (superuser, TOTP-verified session) get
   a session each, written in the database as a login would.
3. gunicorn with config/gunicorn.conf.py (DEBUG off, JSON request logs to a file, one node) and
   bench/settings.py, which only adds the bare « hello » view: Django and its middleware without
   a query, the ceiling of this machine.
4. wrk (Debian: ``apt-get install wrk``) with bench/load.lua: for ``--duration`` seconds and
   ``--connections`` connections each page in turn — hello, the dashboard, « MES FACTURES »,
   an invoice, its PDF — every request as a random family of the sample; then the staff back
   office (household search and list, invoice lists and filters, payments, the requests
   queue, a household's and an invoice's page) with ``--staff-connections`` (4: a town's
   agents, not thousands of families). Before wrk, every target is requested
   once and must answer 200 (wrk counts only 4xx/5xx as errors, not a redirect to the login).

Reported per page: requests per second, p50/p95/p99 latency, error rate, and throughput as a
percentage of the ceiling; appended to docs/benchmarks.md (unless --no-append) and always
written as JSON to var/bench/load.json. Goals (issue 8): dashboard ≥ 33 % of the ceiling
with p95 ≤ 50 ms; staff pages p95 ≤ 200 ms. Everything stays on 127.0.0.1 and gunicorn is
stopped at the end."""

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._setup import (
    LOAD_AT_START,
    ROOT,
    cpu_count,
    kept_database,
    markdown_table,
    record,
    throwaway_database,
)
from bench.generate import generate

HOST = "127.0.0.1"
JSON_RESULTS = ROOT / "var" / "bench" / "load.json"
START_SECONDS = 90
LUA_SCRIPT = ROOT / "bench" / "load.lua"
FAMILY_PAGES = [
    ("Bare « hello » view (ceiling)", "hello"),
    ("Dashboard (tableau de bord)", "dashboard"),
    ("« MES FACTURES »", "invoices"),
    ("Invoice detail", "invoice"),
    ("Invoice PDF download", "pdf"),
]
STAFF_PAGES = [
    ("Back office: household search", "staff_search"),
    ("Back office: invoice list", "staff_invoices"),
    ("Back office: household list", "staff_households"),
    ("Back office: invoice list, filtered", "staff_invoices_filtered"),
    ("Back office: payment list", "staff_payments"),
    ("Back office: requests queue", "staff_requests"),
    ("Back office: a household's page", "staff_household"),
    ("Back office: an invoice's page", "staff_invoice"),
]
GOALS = {"dashboard": (33.0, 50.0), **{key: (None, 200.0) for _label, key in STAFF_PAGES}}


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


# --- Sessions and targets ------------------------------------------------------------------


def open_session(user, **extra) -> str:
    """A session as the login view leaves it (the same keys), without hashing a password."""
    import time as clock

    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from portail.accounts.middleware import SESSION_STARTED_KEY

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "portail.accounts.backends.IdentifierOrEmailBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[SESSION_STARTED_KEY] = clock.time()
    session.update(extra)
    session.create()
    return session.session_key


def family_targets(usernames: list[str], count: int, seed: int) -> dict[str, list[str]]:
    """For ``count`` random families: a session and the path of each family page."""
    from django.urls import reverse

    from portail.accounts.models import User
    from portail.billing.models import Invoice
    from portail.billing.services import store_invoice_pdf

    rng = random.Random(seed)
    chosen = rng.sample(usernames, min(count, len(usernames)))
    targets = {key: [] for _label, key in FAMILY_PAGES}
    for user in User.objects.filter(username__in=chosen):
        invoice = Invoice.objects.visible_to(user).exclude(status="draft").order_by("-pk").first()
        store_invoice_pdf(invoice_id=invoice.pk)
        session = open_session(user)
        targets["hello"].append("- /bench/hello/")
        targets["dashboard"].append(f"{session} {reverse('portal:dashboard')}")
        targets["invoices"].append(f"{session} {reverse('portal:invoices')}")
        detail = reverse("portal:invoice-detail", kwargs={"reference": invoice.reference})
        targets["invoice"].append(f"{session} {detail}")
        pdf = reverse("portal:invoice-pdf", kwargs={"reference": invoice.reference})
        targets["pdf"].append(f"{session} {pdf}")
    return targets


def staff_targets(seed: int) -> dict[str, list[str]]:
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from bench.generate import LAST_NAMES
    from portail.accounts.models import User

    staff = User.objects.filter(username="bench.admin").first() or User.objects.create_superuser(
        username="bench.admin", email="bench.admin@mairie.example.fr", password=None
    )
    device = TOTPDevice.objects.filter(user=staff).first() or TOTPDevice.objects.create(
        user=staff, name="bench", confirmed=True
    )
    session = open_session(staff, **{DEVICE_ID_SESSION_KEY: device.persistent_id})
    rng = random.Random(seed)
    from urllib.parse import quote

    searches = [
        f"{session} /gestion/households/household/?q={quote(rng.choice(LAST_NAMES))}"
        for _ in range(50)
    ]
    invoice_pages = [f"{session} /gestion/billing/invoice/?p={page}" for page in range(1, 21)]
    return {
        "staff_search": searches,
        "staff_invoices": invoice_pages,
        **other_staff_targets(session, rng),
    }


def other_staff_targets(session: str, rng: random.Random) -> dict[str, list[str]]:
    """The other pages staff use daily: the household list, the invoice list filtered by
    status, month or nursery, the payment list, the requests queue (a few hundred open
    requests are added to a city that has none), a household's page and an invoice's."""
    from portail.billing.models import Invoice
    from portail.households.models import Household
    from portail.nurseries.models import Nursery

    ensure_requests(rng)
    households = [f"{session} /gestion/households/household/?p={page}" for page in range(1, 21)]
    months = recent_months(Invoice)
    nurseries = list(Nursery.objects.values_list("pk", flat=True))
    filtered = []
    for page in range(1, 21):
        filtered += [
            f"{session} /gestion/billing/invoice/?status__exact=issued&p={page}",
            f"{session} /gestion/billing/invoice/?period={rng.choice(months)}&p={page}",
            f"{session} /gestion/billing/invoice/?nursery={rng.choice(nurseries)}&p={page}",
        ]
    payments = [f"{session} /gestion/payments/payment/?p={page}" for page in range(1, 21)]
    queue = [
        f"{session} /gestion/outils/demandes/",
        f"{session} /gestion/outils/demandes/?status=all",
        f"{session} /gestion/outils/demandes/?page=2",
    ]
    last_household = Household.objects.order_by("-pk").values_list("pk", flat=True).first()
    household_ids = Household.objects.filter(
        pk__in=[rng.randint(1, last_household) for _ in range(60)]
    ).values_list("pk", flat=True)
    household_pages = [
        f"{session} /gestion/households/household/{pk}/change/" for pk in household_ids
    ]
    last_invoice = Invoice.objects.order_by("-pk").values_list("pk", flat=True).first()
    invoice_ids = Invoice.objects.filter(
        pk__in=[rng.randint(1, last_invoice) for _ in range(60)]
    ).values_list("pk", flat=True)
    invoice_pages = [f"{session} /gestion/billing/invoice/{pk}/change/" for pk in invoice_ids]
    return {
        "staff_households": households,
        "staff_invoices_filtered": filtered,
        "staff_payments": payments,
        "staff_requests": queue,
        "staff_household": household_pages,
        "staff_invoice": invoice_pages,
    }


def recent_months(invoice_model) -> list[str]:
    """The twelve newest invoiced months, « 2026-11 » (read from the list's index)."""
    import datetime

    newest = invoice_model.objects.order_by("-period_on").values_list("period_on", flat=True)[0]
    months, month = [], newest.replace(day=1)
    for _ in range(12):
        months.append(month.strftime("%Y-%m"))
        month = (month - datetime.timedelta(days=1)).replace(day=1)
    return months


def ensure_requests(rng: random.Random, count: int = 3000, still_open: int = 300) -> None:
    """The generated city has no family requests: ``count`` of them, ``still_open`` of
    which are not handled yet, for the requests queue (kept with the database)."""
    import datetime

    from django.utils import timezone

    from portail.households.models import Household, Request, RequestKind, RequestStatus

    if Request.objects.exists():
        return
    households = list(
        Household.objects.filter(nursery__isnull=False)
        .order_by("?")
        .values_list("pk", "nursery_id")[:count]
    )
    now = timezone.now()
    rows = []
    for number, (household, nursery) in enumerate(households):
        submitted_at = now - datetime.timedelta(hours=rng.randint(1, 24 * 365))
        is_open = number < still_open
        rows.append(
            Request(
                household_id=household,
                nursery_id=nursery,
                kind=RequestKind.MESSAGE,
                status=RequestStatus.SENT if is_open else RequestStatus.ACCEPTED,
                payload_text='{"message": "Léa partira à 16 h.", "subject": "Sortie"}',
                submitted_at=submitted_at,
                decided_at=None if is_open else submitted_at + datetime.timedelta(days=1),
            )
        )
    Request.objects.bulk_create(rows, batch_size=1000)


# --- Serving and measuring ---------------------------------------------------------------


def collect_static(static_root: Path) -> None:
    """As at a release: compressed, under hashed names, where the servers will look."""
    os.environ["STATIC_ROOT"] = str(static_root)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env={**os.environ, "STATIC_MANIFEST": "1"},
        check=True,
    )


def start_gunicorn(*, port: int, workers: int, threads: int, log_path: Path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "STATIC_MANIFEST": "1",
        "LOG_LEVEL": "INFO",
        "LOG_FORMAT": "json",
        "GUNICORN_BIND": f"{HOST}:{port}",
        "GUNICORN_WORKERS": str(workers),
        "GUNICORN_THREADS": str(threads),
        "GUNICORN_MAX_REQUESTS": "0",
    }
    log = open(log_path, "w")  # noqa: SIM115 (closed by stop_gunicorn)
    process = subprocess.Popen(  # noqa: S603 (gunicorn of this virtualenv)
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "-c",
            "config/gunicorn.conf.py",
            "config.wsgi",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    process.log = log
    return process


def wait_until_up(process, base: str) -> None:
    import requests

    deadline = time.monotonic() + START_SECONDS
    while True:
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("gunicorn did not start; see its log")
        try:
            requests.get(f"{base}/bench/hello/", timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.3)


def stop_gunicorn(process) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    process.log.close()


def workers_rss_kib(master_pid: int) -> int:
    """The resident memory of gunicorn's workers (the master's children), in KiB (Linux)."""
    total = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":", 1) for line in status.read_text().splitlines() if ":" in line
            )
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(master_pid):
            total += int(fields.get("VmRSS", "0 kB").split()[0])
    return total


def check_targets(base: str, lines: list[str]) -> int:
    """Each target once: how many do not answer 200."""
    import requests

    failures = 0
    for line in lines:
        session, path = line.split(" ", 1)
        cookies = {} if session == "-" else {"sessionid": session}
        response = requests.get(base + path, cookies=cookies, timeout=30, allow_redirects=False)
        failures += response.status_code != 200
    return failures


def run_wrk(*, base: str, targets_file: Path, duration: int, connections: int) -> dict:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk).")
    threads = max(1, min(connections, cpu_count()))
    result = subprocess.run(  # noqa: S603 (wrk against loopback)
        [
            wrk,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{duration}s",
            "--timeout",
            "10s",
            "-s",
            str(LUA_SCRIPT),
            base,
            "--",
            str(targets_file),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(x for x in result.stdout.splitlines() if x.startswith("RESULT "))
    figures = json.loads(line.removeprefix("RESULT "))
    figures["per_second"] = figures["requests"] / figures["seconds"]
    figures["error_rate"] = (
        (figures["non_2xx"] + figures["socket_errors"]) / figures["requests"] * 100
        if figures["requests"]
        else 100.0
    )
    return figures


def existing_city() -> dict:
    """What ``generate`` returns, read back from a database it filled in an earlier run."""
    from django.apps import apps

    from portail.accounts.models import User

    labels = [
        "households.Household",
        "households.Child",
        "billing.Invoice",
        "payments.Payment",
        "direct_debits.Mandate",
        "content.News",
    ]
    return {
        "rows": {label: apps.get_model(label).objects.count() for label in labels},
        "total_seconds": 0.0,
        "reused": True,
        "usernames": list(
            User.objects.filter(guardianships__isnull=False)
            .order_by("pk")
            .values_list("username", flat=True)
            .distinct()
        ),
    }


def run(
    *,
    scale,
    duration,
    connections,
    families,
    workers,
    threads,
    staff_connections=4,
    seed=2026,
    reuse=False,
    pages=None,
) -> dict:
    from django.db import connections as database_connections

    work = Path(tempfile.mkdtemp(prefix="bench_load_"))
    try:
        generated = existing_city() if reuse else generate(scale=scale, seed=seed)
        targets = family_targets(generated["usernames"], families, seed)
        targets.update(staff_targets(seed))
        collect_static(work / "static")
        database_connections.close_all()
        port = free_port()
        base = f"http://{HOST}:{port}"
        server = start_gunicorn(
            port=port, workers=workers, threads=threads, log_path=work / "gunicorn.log"
        )
        results = {}
        try:
            wait_until_up(server, base)
            staff_keys = {key for _label, key in STAFF_PAGES}
            keys = [
                key
                for _label, key in FAMILY_PAGES + STAFF_PAGES
                if not pages or key in pages or key == "hello"
            ]
            # Every target once (which also warms the workers), then the workers' memory.
            for key in keys:
                failing = check_targets(base, targets[key][:50])
                if failing:
                    raise RuntimeError(f"{failing} {key} targets do not answer 200")
            rss_start = workers_rss_kib(server.pid)
            for key in keys:
                lines = targets[key]
                targets_file = work / f"{key}.txt"
                targets_file.write_text("\n".join(lines) + "\n")
                results[key] = run_wrk(
                    base=base,
                    targets_file=targets_file,
                    duration=duration,
                    connections=staff_connections if key in staff_keys else connections,
                )
            rss_end = workers_rss_kib(server.pid)
        finally:
            stop_gunicorn(server)
            log_lines = (work / "gunicorn.log").read_text(errors="replace").splitlines()
        return {
            "scale": scale,
            "generated": generated,
            "duration": duration,
            "connections": connections,
            "staff_connections": staff_connections,
            "families": len(targets["dashboard"]),
            "workers": workers,
            "threads": threads,
            "results": results,
            "rss_start_mb": round(rss_start / 1024, 1),
            "rss_end_mb": round(rss_end / 1024, 1),
            "rss_growth_percent": round((rss_end - rss_start) / rss_start * 100, 1)
            if rss_start
            else None,
            "log_sample": next((x for x in log_lines if '"portail.requests"' in x), ""),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def report(result: dict) -> str:
    ceiling = result["results"]["hello"]["per_second"]
    rows = []
    verdicts = []
    for label, key in FAMILY_PAGES + STAFF_PAGES:
        if key not in result["results"]:
            continue
        figures = result["results"][key]
        share = figures["per_second"] / ceiling * 100
        rows.append(
            [
                label,
                f"{figures['per_second']:,.0f}",
                f"{figures['p50_ms']:.1f}",
                f"{figures['p95_ms']:.1f}",
                f"{figures['p99_ms']:.1f}",
                f"{figures['error_rate']:.2f} %",
                f"{share:.0f} %",
            ]
        )
        if key in GOALS:
            minimum_share, maximum_p95 = GOALS[key]
            met = (minimum_share is None or share >= minimum_share) and figures[
                "p95_ms"
            ] <= maximum_p95
            goal = (f"≥ {minimum_share:.0f} % of the ceiling and " if minimum_share else "") + (
                f"p95 ≤ {maximum_p95:.0f} ms"
            )
            verdicts.append(f"- {label}: {goal}: {'met' if met else 'NOT met'}.")
    table = markdown_table(
        ["Page", "Requests/s", "p50 (ms)", "p95 (ms)", "p99 (ms)", "Errors", "% of ceiling"], rows
    )
    rows_generated = result["generated"]["rows"]
    data = ", ".join(
        f"{rows_generated.get(label, 0):,} {name}"
        for label, name in [
            ("households.Household", "households"),
            ("households.Child", "children"),
            ("billing.Invoice", "invoices"),
            ("payments.Payment", "payments"),
            ("direct_debits.Mandate", "mandates"),
            ("content.News", "news"),
        ]
    )
    busy = ""
    machine_was_busy = (LOAD_AT_START or 0.0) / cpu_count() > 0.5
    if machine_was_busy:
        busy = (
            f"\n\n**Provisional**: the machine was busy when the run began (load average "
            f"{LOAD_AT_START or 0:.2f} on {cpu_count()} CPUs); server, wrk and other work "
            "shared the same cores, so these figures understate what the portal does on a quiet "
            "machine."
        )
    return (
        f"Data: scale {result['scale']:g} ({data}), "
        + (
            "generated by an earlier run and kept (--keep-database)"
            if result["generated"].get("reused")
            else f"generated in {result['generated']['total_seconds']:.0f} s"
        )
        + ". Server: gunicorn "
        f"(config/gunicorn.conf.py) with {result['workers']} workers × {result['threads']} "
        f"threads, DEBUG off, WhiteNoise, JSON request logs; wrk on the same machine, "
        f"{result['connections']} connections for the hello view and the family pages, "
        f"{result.get('staff_connections', result['connections'])} for the staff pages (the "
        "agents of a town's back office, not thousands of families), "
        f"{result['duration']} s per page, each request as one of {result['families']} random "
        "families (or the staff member).\n\n"
        f"{table}\n\n"
        + "\n".join(verdicts)
        + (
            f"\n\nMemory of the gunicorn workers: {result['rss_start_mb']:,.0f} MB after every "
            f"page was requested once, {result['rss_end_mb']:,.0f} MB at the end "
            f"({result['rss_growth_percent']:+.1f} %; goal: under 10 %)."
            if result.get("rss_growth_percent") is not None
            else ""
        )
        + busy
    )


def write_json(result: dict, path: Path = JSON_RESULTS) -> dict:
    """The run's figures for other tools (scripts/audit.py): per page requests per second,
    p50/p95/p99 in ms, error rate in %, share of this run's ceiling in %, with the run's date
    and scale; the scale, the date and the load average when the run began. A page this run
    did not measure (``--pages``) keeps its figures from an earlier run, with that run's date
    and scale."""
    from datetime import datetime

    date = datetime.now().astimezone().isoformat(timespec="seconds")
    ceiling = result["results"]["hello"]["per_second"]
    try:
        earlier = json.loads(path.read_text(encoding="utf-8")).get("pages", {})
    except (OSError, ValueError):
        earlier = {}
    measured = {
        key: {
            "label": label,
            "per_second": round(page["per_second"], 1),
            "p50_ms": page["p50_ms"],
            "p95_ms": page["p95_ms"],
            "p99_ms": page["p99_ms"],
            "error_rate": round(page["error_rate"], 3),
            "share_of_ceiling": round(page["per_second"] / ceiling * 100, 1),
            "date": date,
            "scale": result["scale"],
        }
        for label, key in FAMILY_PAGES + STAFF_PAGES
        if (page := result["results"].get(key))
    }
    figures = {
        "date": date,
        "scale": result["scale"],
        "load_average": LOAD_AT_START,
        "cpus": cpu_count(),
        "duration_seconds": result["duration"],
        "connections": result["connections"],
        "workers": result["workers"],
        "threads": result["threads"],
        "pages": {**earlier, **measured},
        "rss_start_mb": result.get("rss_start_mb"),
        "rss_end_mb": result.get("rss_end_mb"),
        "rss_growth_percent": result.get("rss_growth_percent"),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return figures


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 100,000 households")
    parser.add_argument("--duration", type=int, default=20, help="seconds per page")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--staff-connections",
        type=int,
        default=4,
        help="concurrent requests on the staff pages (a town's agents, default 4)",
    )
    parser.add_argument("--families", type=int, default=200)
    parser.add_argument("--workers", type=int, default=cpu_count() * 2 + 1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-append", action="store_true", help="do not write docs/")
    parser.add_argument(
        "--keep-database",
        metavar="NAME",
        help="PostgreSQL database to generate the city into once and keep (reused when it "
        "already holds one; --scale is then the scale it was generated at)",
    )
    parser.add_argument(
        "--pages",
        help="comma-separated keys to measure (hello is always measured): "
        + ",".join(key for _label, key in FAMILY_PAGES + STAFF_PAGES),
    )
    options = parser.parse_args(argv)
    database = (
        kept_database(options.keep_database) if options.keep_database else throwaway_database()
    )
    with database as reuse:
        result = run(
            reuse=bool(reuse),
            pages=set(options.pages.split(",")) if options.pages else None,
            scale=options.scale,
            duration=options.duration,
            connections=options.connections,
            staff_connections=options.staff_connections,
            families=options.families,
            workers=options.workers,
            threads=options.threads,
        )
        write_json(result)
        section = record(
            title=f"Pages under load (gunicorn + wrk), scale {options.scale:g}",
            command=(
                f"python bench/load.py --scale {options.scale:g} --duration {options.duration} "
                f"--connections {options.connections} "
                f"--staff-connections {options.staff_connections} --families {options.families} "
                f"--workers {options.workers} --threads {options.threads}"
            ),
            body=report(result),
            append=not options.no_append,
        )
    print(section)
    return section


if __name__ == "__main__":
    main()
