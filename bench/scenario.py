"""A town's peak hour, as SECURITY.md REL-04 describes it: parents and agents, with Locust.

    python bench/scenario.py [--keep-database NAME] [--scale 1] [--parents 200] [--staff 20]
                             [--duration 600] [--think 5-15] [--workers N] [--no-append]

bench/load.py measures what each page can take (wrk, closed loop, no pause: the capacity). This
one measures what families and agents live through when the portal is busy: ``--parents``
families (200) each walking the guide's journey once (``--journeys``; 0: again and again, the
stress variant), arriving at random during ``--duration`` seconds (10 minutes) — login page,
login with their password (Argon2), MON TABLEAU DE BORD, MES FACTURES, their unpaid invoice,
its PDF, the payment's confirmation step, the start of the card payment against the PayFiP
simulator (a SOAP call to it, an idOp, the redirection), logout — with ``--think`` seconds (5
to 15) between two pages, while ``--staff`` agents (20) browse the back office (searches,
lists, the requests queue, households' and invoices' pages) at the same pace. See
bench/locustfile.py.

1. The city: a kept PostgreSQL database (``--keep-database``, see bench/load.py) or a
   throwaway one generated at ``--scale``.
2. The parents: random families whose newest invoice is issued, unpaid and payable by card,
   with their PDF stored; the agents: TOTP-verified sessions of a staff administrator.
3. gunicorn with the production settings (config/gunicorn.conf.py, DEBUG off, JSON request
   logs, ``--workers`` × 2 threads), the PayFiP simulator mounted on the same server, one
   trusted proxy (each parent comes from its own address in X-Forwarded-For).
4. Locust, headless, on the same machine: every user started within the first
   ``WARM_UP_SECONDS``; the workers' memory (VmRSS of gunicorn's children) read every 5 s.

Reported: per page and in all, requests, requests per second, p50/p95/p99 and the longest
response, failures (a status or a redirection other than the expected one); the workers' peak
memory and its growth from the end of the warm-up to the end. Budget (REL-04): p95 < 800 ms
on every page, error rate < 0.1 %, memory growth after warm-up < 10 %. Appended to
docs/benchmarks.md (unless --no-append) and written to var/bench/scenario.json, which
`make audit` reads for its « Load » row."""

import argparse
import csv
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import load
from bench._setup import (
    LOAD_AT_START,
    ROOT,
    cpu_count,
    kept_database,
    markdown_table,
    record,
    throwaway_database,
)
from bench.generate import PASSWORD, generate

JSON_RESULTS = ROOT / "var" / "bench" / "scenario.json"
LOCUSTFILE = ROOT / "bench" / "locustfile.py"
WARM_UP_SECONDS = 60
RSS_EVERY_SECONDS = 5
BUDGET_P95_MS = 800.0
BUDGET_ERROR_PERCENT = 0.1
BUDGET_RSS_GROWTH_PERCENT = 10.0


def parents(usernames: list[str], count: int, seed: int) -> list[dict]:
    """``count`` random families whose newest issued invoice is unpaid and payable by card,
    with its PDF stored (as the monthly run leaves it)."""
    from portail.accounts.models import User
    from portail.billing.models import Invoice
    from portail.billing.services import store_invoice_pdf
    from portail.direct_debits.coverage import card_payment_refusal

    rng = random.Random(seed)
    candidates = rng.sample(usernames, min(len(usernames), count * 5))
    chosen = []
    users = User.objects.in_bulk(candidates, field_name="username")
    for username in candidates:
        invoice = (
            Invoice.objects.visible_to(users[username])
            .filter(status=Invoice.Status.ISSUED)
            .select_related("regie")
            .order_by("-pk")
            .first()
        )
        if invoice is None or not invoice.is_payable or not invoice.regie.has_online_payment:
            continue
        if card_payment_refusal(invoice):
            continue
        store_invoice_pdf(invoice_id=invoice.pk)
        chosen.append(
            {"username": username, "password": PASSWORD, "invoice": str(invoice.reference)}
        )
        if len(chosen) == count:
            return chosen
    raise RuntimeError(f"only {len(chosen)} families with an invoice payable by card")


def agents(count: int, seed: int) -> tuple[list[str], list[list[str]]]:
    """``count`` TOTP-verified staff sessions, and the back-office pages they browse: each of
    bench/load.py's staff pages equally often, [label, path]."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from portail.accounts.models import User

    targets = load.staff_targets(seed)  # creates the agent and his device when missing
    staff = User.objects.get(username="bench.admin")
    device = TOTPDevice.objects.get(user=staff)
    sessions = [
        load.open_session(staff, **{DEVICE_ID_SESSION_KEY: device.persistent_id})
        for _ in range(count)
    ]
    rng = random.Random(seed)
    paths = []
    for label, key in load.STAFF_PAGES:
        lines = targets[key]
        for _ in range(20):
            paths.append([label, rng.choice(lines).split(" ", 1)[1]])
    return sessions, paths


def answering(base: str, session: str, paths: list[list[str]]) -> list[list[str]]:
    """The back-office paths that answer 200 (a small city has fewer list pages than the
    20 that bench/load.py browses); requesting each once also warms the workers."""
    import requests

    kept = [
        [label, path]
        for label, path in paths
        if requests.get(
            base + path, cookies={"sessionid": session}, timeout=60, allow_redirects=False
        ).status_code
        == 200
    ]
    if not kept:
        raise RuntimeError("no back-office page answers 200")
    return kept


class MemoryWatch(threading.Thread):
    """The gunicorn workers' resident memory every RSS_EVERY_SECONDS, with the time."""

    def __init__(self, master_pid: int, warm_up: float):
        super().__init__(daemon=True)
        self.master_pid = master_pid
        self.warm_up = warm_up
        self.samples: list[tuple[float, int]] = []
        self.stopping = threading.Event()
        self.started_at = time.monotonic()

    def run(self):
        while not self.stopping.is_set():
            kib = load.workers_rss_kib(self.master_pid)
            self.samples.append((time.monotonic() - self.started_at, kib))
            self.stopping.wait(RSS_EVERY_SECONDS)

    def figures(self) -> dict:
        after_warm_up = [kib for seconds, kib in self.samples if seconds >= self.warm_up]
        if not after_warm_up:
            return {
                "peak_rss_mb": None,
                "rss_after_warm_up_mb": None,
                "rss_end_mb": None,
                "rss_growth_percent": None,
            }
        start, end = after_warm_up[0], after_warm_up[-1]
        return {
            "peak_rss_mb": round(max(kib for _s, kib in self.samples) / 1024, 1),
            "rss_after_warm_up_mb": round(start / 1024, 1),
            "rss_end_mb": round(end / 1024, 1),
            "rss_growth_percent": round((end - start) / start * 100, 1) if start else None,
        }


def warm_up(duration: float) -> float:
    """Every user starts within this many seconds; memory growth is counted from there."""
    return min(WARM_UP_SECONDS, duration / 3)


def arrival_seconds(options) -> float:
    """Parents arrive at random over this window after the warm-up, so that each has time
    for its journey (about 10 pages) before the end; 0 when they walk it again and again."""
    if not options.journeys:
        return 0.0
    journey = 10 * options.think[1] * options.journeys
    return max(0.0, options.duration - warm_up(options.duration) - journey)


def run_locust(*, base: str, users_file: Path, csv_prefix: Path, options, **overrides) -> None:
    """Locust for ``options`` (``overrides`` replace some of its figures: the warm-up run)."""
    setting = {
        "parents": options.parents,
        "staff": options.staff,
        "duration": options.duration,
        "think": options.think,
        "journeys": options.journeys,
        "warm_up": warm_up(options.duration),
        "arrive_after": warm_up(options.duration),
        "arrival": arrival_seconds(options),
        **overrides,
    }
    locust = Path(sys.executable).parent / "locust"
    total = setting["parents"] + setting["staff"]
    think_min, think_max = setting["think"]
    subprocess.run(  # noqa: S603 (locust of this virtualenv, against loopback)
        [
            str(locust),
            "-f",
            str(LOCUSTFILE),
            "--headless",
            "--users",
            str(total),
            "--spawn-rate",
            f"{total / max(setting['warm_up'], 1):.2f}",
            "--run-time",
            f"{setting['duration']}s",
            "--host",
            base,
            "--csv",
            str(csv_prefix),
            "--only-summary",
            "--reset-stats",  # figures from the end of the warm-up on
            "--stop-timeout",
            "20",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "SCENARIO_USERS": str(users_file),
            "SCENARIO_PARENTS": str(setting["parents"]),
            "SCENARIO_STAFF": str(setting["staff"]),
            "THINK_MIN": str(think_min),
            "THINK_MAX": str(think_max),
            "JOURNEYS_PER_PARENT": str(setting["journeys"]),
            "ARRIVE_AFTER_SECONDS": str(setting["arrive_after"]),
            "ARRIVAL_SECONDS": str(setting["arrival"]),
        },
        check=False,  # Locust exits 1 when a request failed: the figures say so
        timeout=setting["duration"] + 300,
    )


def warm_workers(*, base: str, users: dict, work: Path, options) -> None:
    """Before the measured run, ``--warm-up-families`` other families walk the journey once
    without pause, one more every second (about 4 at a time: more would hold every worker
    thread in a payment start waiting for the simulator, served by the same threads), so that
    every worker has run every code path (Argon2's memory, the PDF, the PayFiP client) and the
    memory growth measured afterwards is growth, not the first use of a path."""
    users_file = work / "warm_up.json"
    users_file.write_text(json.dumps({**users, "parents": users["warm_up"]}), encoding="utf-8")
    run_locust(
        base=base,
        users_file=users_file,
        csv_prefix=work / "warm_up",
        options=options,
        parents=len(users["warm_up"]),
        staff=0,
        duration=len(users["warm_up"]) + 20,
        think=(0.0, 0.2),
        journeys=1,
        warm_up=len(users["warm_up"]),
        arrive_after=0.0,
        arrival=0.0,
    )


def read_stats(csv_prefix: Path) -> dict:
    """Locust's own summary: one entry per page and « Aggregated »."""
    pages = {}
    with open(f"{csv_prefix}_stats.csv", encoding="utf-8") as stats:
        for row in csv.DictReader(stats):
            requests = int(row["Request Count"])
            failures = int(row["Failure Count"])
            pages[row["Name"]] = {
                "method": row["Type"],
                "requests": requests,
                "failures": failures,
                "per_second": float(row["Requests/s"]),
                "p50_ms": float(row["50%"]) if requests else None,
                "p95_ms": float(row["95%"]) if requests else None,
                "p99_ms": float(row["99%"]) if requests else None,
                "max_ms": float(row["Max Response Time"]) if requests else None,
                "error_rate": failures / requests * 100 if requests else 0.0,
            }
    failures = []
    with open(f"{csv_prefix}_failures.csv", encoding="utf-8") as rows:
        for row in csv.DictReader(rows):
            failures.append(f"{row['Name']}: {row['Error']} ×{row['Occurrences']}")
    # A user whose task raised (a page that could not be read as expected) is a failure too.
    exceptions = []
    with open(f"{csv_prefix}_exceptions.csv", encoding="utf-8") as rows:
        for row in csv.DictReader(rows):
            exceptions.append(f"{row['Message']} ×{row['Count']}")
    return {"pages": pages, "failures": failures, "exceptions": exceptions}


def run(options) -> dict:
    from django.db import connections

    work = Path(tempfile.mkdtemp(prefix="bench_scenario_"))
    try:
        generated = (
            load.existing_city()
            if options.reuse
            else generate(scale=options.scale, seed=options.seed)
        )
        families = parents(
            generated["usernames"], options.parents + options.warm_up_families, options.seed
        )
        users = {"parents": families[: options.parents], "warm_up": families[options.parents :]}
        users["staff"], users["staff_paths"] = agents(options.staff, options.seed)
        users_file = work / "users.json"
        load.collect_static(work / "static")
        connections.close_all()
        port = load.free_port()
        base = f"http://{load.HOST}:{port}"
        # The simulator answers PayFiP's SOAP calls on this same server; one trusted proxy.
        os.environ.update(
            {"PAYFIP_SIMULATOR_ENABLED": "1", "SITE_URL": base, "TRUSTED_PROXY_COUNT": "1"}
        )
        server = load.start_gunicorn(
            port=port,
            workers=options.workers,
            threads=options.threads,
            log_path=work / "gunicorn.log",
        )
        try:
            load.wait_until_up(server, base)
            users["staff_paths"] = answering(base, users["staff"][0], users["staff_paths"])
            users_file.write_text(json.dumps(users), encoding="utf-8")
            warm_workers(base=base, users=users, work=work, options=options)
            measured_from = (work / "gunicorn.log").stat().st_size
            watch = MemoryWatch(server.pid, warm_up(options.duration))
            watch.start()
            run_locust(
                base=base, users_file=users_file, csv_prefix=work / "locust", options=options
            )
            watch.stopping.set()
            watch.join()
        finally:
            load.stop_gunicorn(server)
        with open(work / "gunicorn.log", "rb") as log:
            log.seek(measured_from)  # the measured run only: not the probes nor the warm-up
            log_lines = log.read().decode(errors="replace").splitlines()
        return {
            **read_stats(work / "locust"),
            **watch.figures(),
            "generated": generated,
            "scale": options.scale,
            "parents": options.parents,
            "staff": options.staff,
            "duration": options.duration,
            "think_seconds": list(options.think),
            "journeys_per_parent": options.journeys,
            "arrival_seconds": arrival_seconds(options),
            "workers": options.workers,
            "threads": options.threads,
            **dict(
                zip(
                    ("server_errors_logged", "simulator_faults"),
                    server_errors(log_lines),
                    strict=True,
                )
            ),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def server_errors(log_lines: list[str]) -> tuple[dict[str, int], int]:
    """The portal's 5xx answers in gunicorn's JSON request log (one line per request, from
    portail.requests), by route; and apart, the SOAP faults of the PayFiP simulator, which
    stands for PayFiP's own server on this machine and answers a fault with HTTP 500 as the
    protocol does (« P5 », a payment not made yet, when the portal checks an earlier attempt
    before starting a new one). django.request's own lines for the same answers are not
    counted again."""
    errors: dict[str, int] = {}
    simulator_faults = 0
    for line in log_lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if not isinstance(entry, dict) or entry.get("logger") != "portail.requests":
            continue
        if not str(entry.get("status", "")).startswith("5"):
            continue
        route = str(entry.get("route"))
        if route.startswith("payfip_simulator:"):
            simulator_faults += 1
        else:
            errors[route] = errors.get(route, 0) + 1
    return errors, simulator_faults


def verdicts(result: dict) -> dict:
    """Each REL-04 budget: met or not."""
    pages = {name: page for name, page in result["pages"].items() if name != "Aggregated"}
    slowest = max(pages.items(), key=lambda item: item[1]["p95_ms"] or 0)
    total = result["pages"]["Aggregated"]
    growth = result.get("rss_growth_percent")
    return {
        "slowest_page": slowest[0],
        "slowest_p95_ms": slowest[1]["p95_ms"],
        "p95_met": all((page["p95_ms"] or 0) < BUDGET_P95_MS for page in pages.values()),
        "error_rate": total["error_rate"],
        "errors_met": total["error_rate"] < BUDGET_ERROR_PERCENT
        and not result["exceptions"]
        and not result["server_errors_logged"],
        "rss_growth_percent": growth,
        "memory_met": growth is not None and growth < BUDGET_RSS_GROWTH_PERCENT,
        "memory_measured": growth is not None,
    }


def by_route(counts: dict[str, int]) -> str:
    """« (GET /x: 2, POST /y: 1) » after a count, or nothing when there is none."""
    if not counts:
        return ""
    return " (" + ", ".join(f"{route}: {n}" for route, n in sorted(counts.items())) + ")"


def report(result: dict) -> str:
    rows = []
    for name, page in sorted(
        result["pages"].items(), key=lambda item: (item[0] == "Aggregated", item[0])
    ):
        rows.append(
            [
                "**All requests**" if name == "Aggregated" else f"{page['method']} {name}",
                f"{page['requests']:,}",
                f"{page['per_second']:.1f}",
                f"{page['p50_ms']:.0f}" if page["p50_ms"] is not None else "—",
                f"{page['p95_ms']:.0f}" if page["p95_ms"] is not None else "—",
                f"{page['p99_ms']:.0f}" if page["p99_ms"] is not None else "—",
                f"{page['max_ms']:,.0f}" if page["max_ms"] is not None else "—",
                f"{page['failures']} ({page['error_rate']:.2f} %)",
            ]
        )
    table = markdown_table(
        ["Page", "Requests", "Req/s", "p50 (ms)", "p95 (ms)", "p99 (ms)", "Max (ms)", "Failures"],
        rows,
    )
    check = verdicts(result)
    lines = [
        f"- p95 under {BUDGET_P95_MS:.0f} ms on every page: "
        f"{'met' if check['p95_met'] else 'NOT met'} (slowest: {check['slowest_page']}, "
        f"{check['slowest_p95_ms']:.0f} ms).",
        f"- Error rate under {BUDGET_ERROR_PERCENT} %: "
        f"{'met' if check['errors_met'] else 'NOT met'} ({check['error_rate']:.3f} %; "
        f"{sum(result['server_errors_logged'].values())} portal responses 5xx in gunicorn's "
        f"log{by_route(result['server_errors_logged'])}, beside {result['simulator_faults']} SOAP "
        "faults of the PayFiP simulator; "
        f"{len(result['exceptions'])} errors in the simulated users themselves).",
        (
            f"- Workers' memory: peak {result['peak_rss_mb']:,.0f} MB; "
            f"{result['rss_after_warm_up_mb']:,.0f} MB after the warm-up "
            f"({warm_up(result['duration']):.0f} s), {result['rss_end_mb']:,.0f} MB at the end "
            f"({check['rss_growth_percent']:+.1f} %; under {BUDGET_RSS_GROWTH_PERCENT:.0f} %: "
            f"{'met' if check['memory_met'] else 'NOT met'})."
            if check["memory_measured"]
            else "- Workers' memory: NOT measured (no sample after the warm-up)."
        ),
    ]
    if result["failures"]:
        lines.append("- Failures: " + "; ".join(result["failures"][:10]) + ".")
    if result["exceptions"]:
        lines.append("- Errors in the simulated users: " + "; ".join(result["exceptions"][:5]))
    busy = (LOAD_AT_START or 0.0) / cpu_count() > 0.5
    think_min, think_max = result["think_seconds"]
    walking = (
        f"each walking the journey {result['journeys_per_parent']} time(s), arriving at random "
        f"over {result['arrival_seconds']:.0f} s after the warm-up"
        if result["journeys_per_parent"]
        else "walking the journey again and again (stress variant)"
    )
    return (
        f"{result['parents']} parents {walking}, and {result['staff']} agents browsing the back "
        f"office for the whole {result['duration']} s; {think_min:g}–{think_max:g} s between two "
        f"pages; every simulated user started within the first "
        f"{warm_up(result['duration']):.0f} s (the warm-up, not in the figures; Locust on the "
        f"same machine). Server: gunicorn with {result['workers']} workers × "
        f"{result['threads']} threads, DEBUG off, the PayFiP simulator on the same server. "
        f"City: scale {result['scale']:g} "
        f"({result['generated']['rows'].get('households.Household', 0):,} households, "
        f"{result['generated']['rows'].get('billing.Invoice', 0):,} invoices).\n\n"
        f"{table}\n\n"
        + "\n".join(lines)
        + (
            f"\n\n**Provisional**: the machine was busy when the run began (load average "
            f"{LOAD_AT_START:.2f} on {cpu_count()} CPUs)."
            if busy
            else ""
        )
    )


def write_json(result: dict, path: Path = JSON_RESULTS) -> dict:
    from datetime import datetime

    figures = {
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "load_average": LOAD_AT_START,
        "cpus": cpu_count(),
        **{key: value for key, value in result.items() if key != "generated"},
        "rows": result["generated"]["rows"],
        "budget": {
            "p95_ms": BUDGET_P95_MS,
            "error_percent": BUDGET_ERROR_PERCENT,
            "rss_growth_percent": BUDGET_RSS_GROWTH_PERCENT,
        },
        "verdicts": verdicts(result),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return figures


def think_range(text: str) -> tuple[float, float]:
    low, _, high = text.partition("-")
    return float(low), float(high or low)


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 100,000 households")
    parser.add_argument("--parents", type=int, default=200)
    parser.add_argument("--staff", type=int, default=20)
    parser.add_argument("--duration", type=int, default=600, help="seconds")
    parser.add_argument(
        "--think", type=think_range, default=(5.0, 15.0), help="seconds between pages: 5-15"
    )
    parser.add_argument(
        "--journeys",
        type=int,
        default=1,
        help="journeys per parent (1: each parent comes once during the run; 0: again and "
        "again, the stress variant)",
    )
    parser.add_argument(
        "--warm-up-families",
        type=int,
        default=30,
        help="families walking the journey once before the measured run (warm workers)",
    )
    parser.add_argument("--workers", type=int, default=cpu_count() * 2 + 1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-append", action="store_true", help="do not write docs/")
    parser.add_argument("--keep-database", metavar="NAME", help="as bench/load.py's")
    parser.add_argument(
        "--json", type=Path, default=JSON_RESULTS, help="where the figures go (for make audit)"
    )
    options = parser.parse_args(argv)
    database = (
        kept_database(options.keep_database) if options.keep_database else throwaway_database()
    )
    with database as reuse:
        options.reuse = bool(reuse)
        result = run(options)
        write_json(result, options.json)
        section = record(
            title=f"A town's peak hour (REL-04, Locust), scale {options.scale:g}",
            command=(
                f"python bench/scenario.py --scale {options.scale:g} --parents {options.parents} "
                f"--staff {options.staff} --duration {options.duration} "
                f"--think {options.think[0]:g}-{options.think[1]:g} --journeys {options.journeys} "
                f"--workers {options.workers}"
            ),
            body=report(result),
            append=not options.no_append,
        )
    print(section)
    return section


if __name__ == "__main__":
    main()
