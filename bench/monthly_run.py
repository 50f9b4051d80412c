"""The monthly run at city scale, through the production path, with real task workers and a
real SMTP server.

    DATABASE_URL=postgres://… python bench/monthly_run.py [--households 10000] [--workers 2]
                                                          [--debits 10000] [--no-append]

On a throwaway PostgreSQL database (bench/_setup.py), ``--households`` households are made
with bulk inserts (not timed), then, while ``--workers`` ``manage.py db_worker`` processes
run the django-tasks database queue as in production:
1. drafts: ``create_draft_invoices``, 2 to 4 lines per invoice, by batches of 500;
2. issue: ``issue_invoices`` by batches of 500, which queues on commit one
   ``render_invoice_pdfs`` task per 50 invoices;
3. in the workers, each of those tasks stores its invoices' PDFs (``store_invoice_pdfs``),
   then queues their « nouvelle facture » e-mails in the outbox (``notify_invoices_issued``),
   whose sending tasks (``send_emails``, 50 e-mails over one SMTP connection) follow on commit;
4. the e-mails go over SMTP to a sink on loopback (aiosmtpd) that keeps what it receives.
The run ends when the outbox has sent every e-mail. Then the SEPA batch of ``--debits``
debits (bench/sepa_debit_batch.py's payers and mandates, bulk inserts not timed):
``build_batch`` in this process, the pre-notification e-mails rendered and sent by the
workers.

The stages overlap, as they do in production (the workers start on the first batch while
later ones are being issued): each stage's own window is measured from the task results'
start and finish times, and the run's milestones from its start. CPU seconds are given for
this process, for the workers and for the database server's connections of this database,
since the machine's other work inflates wall time but not those.

Checked, so that a fast run is a real one: every invoice issued with its PDF stored and its
SHA-256, no failed task, the sink received exactly as many messages as the outbox sent, one
per invoice to its payer's address, each linking to its invoice on the portal and carrying
no attachment (the invoice e-mail links to the family space, where the PDF is; it is never
attached), and one pre-notification per debit. Appended to docs/benchmarks.md unless
--no-append. Target: the 10,000 invoices, from the first draft to the last e-mail received,
in 60 s or less on 2 cores."""

import argparse
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import _setup  # noqa: E402
from bench._setup import markdown_table, record, throwaway_database  # noqa: E402

TARGET_SECONDS = 60
ISSUE_BATCH = 500
POLL_SECONDS = 0.5  # the polling must not take the workers' CPU
STALL_SECONDS = 120  # no progress for this long: the run is broken, not slow
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# --- The SMTP sink -----------------------------------------------------------------------


@dataclass
class SinkHandler:
    """aiosmtpd handler: keeps each message's recipients and raw bytes; parsing waits until
    the run is over, so the sink costs the run as little as a real relay would."""

    received: list[tuple[list[str], bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.received.append((list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"

    @property
    def count(self) -> int:
        with self.lock:
            return len(self.received)


def start_sink():
    from aiosmtpd.controller import Controller

    handler = SinkHandler()
    # port=0 would let the OS choose, but aiosmtpd's self-test connects to the port it was
    # given: ask the OS for a free one first.
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, handler


# --- CPU of the processes taking part ------------------------------------------------------


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def database_backend_pids() -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> "
            "pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()] + [connection.connection.info.backend_pid]


@dataclass
class CpuMeter:
    """CPU seconds used since the last reading by this process, the workers and the database
    server's connections to this database (those alive at both readings)."""

    workers: list
    last: dict = field(default_factory=dict)

    def read(self) -> dict:
        own = time.process_time()
        workers = sum(process_cpu(worker.pid) for worker in self.workers)
        database = {pid: process_cpu(pid) for pid in database_backend_pids()}
        previous = self.last or {"own": own, "workers": workers, "database": database}
        used = {
            "own": own - previous["own"],
            "workers": workers - previous["workers"],
            "database": sum(
                seconds - previous["database"].get(pid, 0.0)
                for pid, seconds in database.items()
                if pid in previous["database"]
            ),
        }
        self.last = {"own": own, "workers": workers, "database": database}
        return used


# --- The workers ---------------------------------------------------------------------------


def start_workers(count: int, logs: Path) -> list[subprocess.Popen]:
    """``count`` ``manage.py db_worker`` processes with this process's settings (the
    throwaway database, the media directory, the SMTP sink)."""
    workers = []
    for number in range(count):
        log = open(logs / f"worker-{number}.log", "wb")  # noqa: SIM115 (closed with the process)
        workers.append(
            subprocess.Popen(  # noqa: S603 (fixed arguments)
                [
                    sys.executable,
                    "manage.py",
                    "db_worker",
                    "--interval",
                    "0.1",
                    "--no-startup-delay",
                    "--worker-id",
                    f"monthly-{number}",
                    "--verbosity",
                    "0",
                ],
                cwd=ROOT,
                env=os.environ.copy(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    return workers


def stop_workers(workers: list[subprocess.Popen]) -> None:
    """SIGTERM: db_worker finishes its task and exits."""
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def wait_until(what: str, done, workers, logs: Path) -> float:
    """Poll ``done()`` (a count and the count wanted) until it is reached; returns the
    moment (perf_counter). Fails when a worker dies or nothing moves for STALL_SECONDS."""
    last_count, last_move = -1, time.perf_counter()
    while True:
        count, wanted = done()
        now = time.perf_counter()
        if count >= wanted:
            print(f"{what}: {count:,} at {time.strftime('%H:%M:%S')}", file=sys.stderr)
            return now
        if count != last_count:
            last_count, last_move = count, now
        dead = [worker.pid for worker in workers if worker.poll() is not None]
        if dead or now - last_move > STALL_SECONDS:
            tails = "\n".join(
                path.read_text(errors="replace")[-3000:] for path in sorted(logs.glob("*.log"))
            )
            raise SystemExit(
                f"{what}: stuck at {count} of {wanted} (dead workers {dead}).\n{tails}"
            )
        time.sleep(POLL_SECONDS)


# --- The run -------------------------------------------------------------------------------


@dataclass
class Row:
    name: str
    count: int
    seconds: float
    ends_at: float | None = None
    cpu: dict | None = None

    @property
    def per_second(self) -> float:
        return self.count / self.seconds if self.seconds else float("inf")


def task_window(task_path: str, since) -> tuple[int, float]:
    """How many tasks of ``task_path`` ran since ``since``, and the seconds from the first
    start to the last finish: the stage's own window in the workers."""
    from django.db.models import Count, Max, Min
    from django_tasks_db.models import DBTaskResult

    window = DBTaskResult.objects.filter(task_path=task_path, enqueued_at__gte=since).aggregate(
        count=Count("pk"), first=Min("started_at"), last=Max("finished_at")
    )
    if not window["count"]:
        return 0, 0.0
    return window["count"], (window["last"] - window["first"]).total_seconds()


def run(*, households: int, debits: int, workers_wanted: int, sink, logs: Path) -> dict:
    """Make the households, start the workers, run the timed stages, stop the workers."""
    from django.db import connection

    from bench.issue_invoices import create_households, invoice_lines
    from portail.billing.issuing import DraftSpec
    from portail.billing.services import create_regie

    if connection.vendor != "postgresql":
        raise SystemExit("The monthly run needs DATABASE_URL naming a PostgreSQL server.")
    import random

    rng = random.Random(2026)
    families = create_households(households, code_prefix="M")  # SEPA's are E…
    regie = create_regie(
        name="Régie petite enfance du banc d'essai",  # the SEPA payers have their own
        address="1 place de la Mairie\n74990 Val-des-Tilleuls",
        email="regie@val-des-tilleuls.example",
        phone="04 50 00 00 30",
        invoice_number_format="F{year}-{number:05d}",
        issuer_name="Mme Sophie Garnier, régisseuse",
        appeal_notice="Vous pouvez contester cette facture dans un délai de deux mois.",
    )
    kind = regie.kinds.get(label="FACTURE JEUNESSE")
    specs = [
        DraftSpec(household, guardian, invoice_lines(rng, children))
        for household, guardian, children in families
    ]
    workers = start_workers(workers_wanted, logs)
    try:
        return _timed_run(
            households=households,
            debits=debits,
            workers=workers,
            specs=specs,
            regie=regie,
            kind=kind,
            sink=sink,
            logs=logs,
        )
    finally:
        stop_workers(workers)


def _timed_run(*, households, debits, workers, specs, regie, kind, sink, logs) -> dict:
    from django.db.models import Count, Q
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from bench.issue_invoices import _period
    from bench.sepa_debit_batch import create_world
    from portail.billing.issuing import create_draft_invoices
    from portail.billing.models import Invoice
    from portail.billing.services import issue_invoices
    from portail.direct_debits.models import Debit, DebitBatch
    from portail.direct_debits.services import build_batch
    from portail.notifications.models import OutgoingEmail

    workers_wanted = len(workers)
    # Production's workers are running before the month's run starts: wait until each one
    # has connected to the database (its first look at the queue), then start the clock.
    deadline = time.perf_counter() + STALL_SECONDS
    while len(database_backend_pids()) < workers_wanted + 1:
        if time.perf_counter() > deadline or any(w.poll() is not None for w in workers):
            raise SystemExit(f"The workers did not start: see {logs}.")
        time.sleep(POLL_SECONDS)
    meter = CpuMeter(workers)
    rows: list[Row] = []
    load_at_start = os.getloadavg()[0]
    since = timezone.now()
    meter.read()
    started = time.perf_counter()

    # 1 and 2, in this process: what the back office's issue job does.
    drafts = []
    for start in range(0, len(specs), ISSUE_BATCH):
        drafts += create_draft_invoices(
            regie=regie, kind=kind, period_on=_period(), drafts=specs[start : start + ISSUE_BATCH]
        )
    drafted = time.perf_counter()
    rows.append(Row("Drafts (`create_draft_invoices`, 2–4 lines)", households, drafted - started))
    rows[-1].ends_at, rows[-1].cpu = drafted - started, meter.read()
    for start in range(0, len(drafts), ISSUE_BATCH):
        issue_invoices(invoices=drafts[start : start + ISSUE_BATCH])
    issued = time.perf_counter()
    rows.append(
        Row(f"Issue (`issue_invoices`, batches of {ISSUE_BATCH})", households, issued - drafted)
    )
    rows[-1].ends_at, rows[-1].cpu = issued - started, meter.read()

    # 3 and 4, in the workers: polled until the outbox has sent everything.
    ids = [draft.pk for draft in drafts]
    invoices = Invoice.objects.filter(regie=regie)  # cheaper to poll than 10,000 ids

    def progress():
        return invoices.aggregate(
            pdfs=Count("pk", filter=~Q(pdf="")),
            notified=Count("pk", filter=Q(notified_at__isnull=False)),
        )

    wait_until("PDFs", lambda: (progress()["pdfs"], households), workers, logs)
    pdf_cpu = meter.read()
    emails_queued = wait_until(
        "E-mails queued", lambda: (progress()["notified"], households), workers, logs
    )
    queue_cpu = meter.read()
    outbox = OutgoingEmail.objects.filter(kind="invoice_issued")
    sent = OutgoingEmail.objects.filter(status=OutgoingEmail.Status.SENT)
    all_sent = wait_until(
        "E-mails sent",
        lambda: (sent.count(), max(outbox.count(), households)),
        workers,
        logs,
    )
    send_cpu = meter.read()
    invoices_done = all_sent - started
    received_for_invoices = sink.count

    count, seconds = task_window("portail.billing.tasks.render_invoice_pdfs", since)
    rows.append(
        Row(
            f"PDFs stored and e-mails queued (`render_invoice_pdfs`, {count} tasks of 50, "
            f"{workers_wanted} workers)",
            households,
            seconds,
            emails_queued - started,
            {key: pdf_cpu[key] + queue_cpu[key] for key in pdf_cpu},
        )
    )
    count, seconds = task_window("portail.notifications.tasks.send_emails", since)
    rows.append(
        Row(
            f"E-mails sent over SMTP (`send_emails`, {count} tasks of up to 50)",
            outbox.count(),
            seconds,
            invoices_done,
            send_cpu,
        )
    )
    rows.append(
        Row(
            "**Monthly invoices, first draft to last e-mail received**",
            households,
            invoices_done,
            invoices_done,
        )
    )

    # The SEPA batch of the month's debits.
    sepa_regie, collection_on = create_world(debits)
    meter.read()
    batch = DebitBatch.objects.create(
        regie=sepa_regie, collection_on=collection_on, message_id="PF-MONTHLY-1"
    )
    sepa_started = time.perf_counter()
    build_batch(batch=batch)
    built = time.perf_counter()
    rows.append(
        Row(
            "SEPA batch (`build_batch`: selection, debits, pain.008, pre-notifications queued)",
            debits,
            built - sepa_started,
            None,
            meter.read(),
        )
    )
    prenotifications = OutgoingEmail.objects.filter(kind="direct_debit_prenotification")
    prenotified = wait_until(
        "Pre-notifications sent",
        lambda: (
            prenotifications.filter(status=OutgoingEmail.Status.SENT).count(),
            debits,
        ),
        workers,
        logs,
    )
    rows.append(
        Row(
            "Pre-notification e-mails rendered and sent over SMTP (workers)",
            debits,
            prenotified - built,
            None,
            meter.read(),
        )
    )
    rows.append(
        Row(
            "**SEPA batch, build to last pre-notification received**",
            debits,
            prenotified - sepa_started,
        )
    )
    stop_workers(workers)  # now, to read their CPU time
    workers_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)

    # What the run must have left behind.
    assert invoices.filter(status=Invoice.Status.ISSUED).count() == households
    assert invoices.exclude(pdf="").exclude(pdf_sha256="").count() == households
    failed = DBTaskResult.objects.failed().count()
    assert failed == 0, f"{failed} tasks failed"
    assert OutgoingEmail.objects.exclude(status=OutgoingEmail.Status.SENT).count() == 0
    assert outbox.count() == households
    assert received_for_invoices == households, (received_for_invoices, households)
    assert sink.count == sent.count(), (sink.count, sent.count())
    assert Debit.objects.filter(batch=batch).count() == debits
    batch.refresh_from_db()
    checks = check_messages(sink, ids, received_for_invoices, debits)
    return {
        "rows": rows,
        "load": (load_at_start, os.getloadavg()[0]),
        "workers_cpu": workers_cpu.ru_utime + workers_cpu.ru_stime,
        "received": sink.count,
        "sent": sent.count(),
        "checks": checks,
        "batch_file": batch.xml_file.size if batch.xml_file else 0,
    }


INVOICE_LINK = re.compile(r"/mes-factures/[^\s\"<>]*")


def check_messages(sink, invoice_ids, invoice_messages: int, debits: int) -> str:
    """Each invoice's e-mail reached its payer, links to that invoice and attaches nothing;
    each debit's pre-notification reached its payer."""
    from django.conf import settings
    from django.urls import reverse

    from portail.billing.models import Invoice

    expected = {
        settings.SITE_URL + reverse("portal:invoice-detail", kwargs={"reference": reference}): (
            payer_email.lower()
        )
        for reference, payer_email in Invoice.objects.filter(pk__in=invoice_ids).values_list(
            "reference", "payer__email"
        )
    }
    seen = set()
    for recipients, content in sink.received[:invoice_messages]:
        message = message_from_bytes(content, policy=policy.default)
        text = message.get_body(preferencelist=("plain",)).get_content()
        links = [settings.SITE_URL + path for path in INVOICE_LINK.findall(text)]
        matching = [link for link in links if link in expected]
        assert len(matching) == 1, (recipients, links)
        link = matching[0]
        assert [address.lower() for address in recipients] == [expected[link]], recipients
        assert not list(message.iter_attachments()), f"{link}: the invoice e-mail has attachments"
        seen.add(link)
    assert len(seen) == len(expected) == invoice_messages
    prenotified = 0
    for recipients, content in sink.received[invoice_messages:]:
        message = message_from_bytes(content, policy=policy.default)
        assert len(recipients) == 1 and recipients[0].startswith("parent."), recipients
        prenotified += 1
    assert prenotified == debits, (prenotified, debits)
    return (
        f"{len(seen):,} invoice e-mails, each to its payer, linking to its own invoice, "
        f"no attachment; {prenotified:,} pre-notifications"
    )


def cpu_cell(cpu: dict | None) -> str:
    if not cpu:
        return ""
    return f"{cpu['own']:.1f} + {cpu['workers']:.1f} + {cpu['database']:.1f}"


def report(results: dict, workers: int) -> str:
    rows = [
        [
            row.name,
            f"{row.count:,}",
            f"{row.seconds:.1f}",
            f"{row.per_second:,.0f}",
            "" if row.ends_at is None else f"{row.ends_at:.1f}",
            cpu_cell(row.cpu),
        ]
        for row in results["rows"]
    ]
    table = markdown_table(
        [
            "Stage",
            "Count",
            "Wall s (its own window)",
            "Per wall second",
            "Done at s",
            "CPU s: bench + workers + database",
        ],
        rows,
    )
    whole = next(row for row in results["rows"] if row.name.startswith("**Monthly"))
    verdict = "met" if whole.seconds <= TARGET_SECONDS else "NOT met"
    load_start, load_end = results["load"]
    return "\n\n".join(
        [
            table,
            f"Target: the {whole.count:,} invoices, first draft to last e-mail received, in "
            f"{TARGET_SECONDS} s or less: {verdict} ({whole.seconds:.1f} s).",
            f"{workers} `db_worker` processes; the workers used {results['workers_cpu']:.1f} "
            f"CPU seconds in all. The SMTP sink (aiosmtpd on loopback, in the bench's "
            f"process) received {results['received']:,} messages, as many as the outbox sent "
            f"({results['sent']:,}): {results['checks']}. pain.008 file of "
            f"{results['batch_file'] / 1e6:.1f} MB. Load average (1 min) at the start of the "
            f"timed run {load_start:.2f}, at its end {load_end:.2f}. « Done at »: seconds since "
            "the first draft; the stages overlap (the workers start on the first issued batch). "
            "The database's CPU counts its connections to this database alive at both ends "
            "of the stage.",
        ]
    )


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=10_000)
    parser.add_argument("--debits", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-append", action="store_true", help="do not write docs/")
    options = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        raise SystemExit("The monthly run needs DATABASE_URL naming a PostgreSQL server.")
    controller, sink = start_sink()
    logs = Path(tempfile.mkdtemp(prefix="bench_monthly_"))
    # This benchmark runs the real path: tasks in the database queue, e-mails over SMTP.
    _setup.BENCH_ENVIRONMENT.update(
        {
            "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(controller.port),
            "EMAIL_USE_TLS": "0",
            "EMAIL_USE_SSL": "0",
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
        }
    )
    try:
        with throwaway_database():
            results = run(
                households=options.households,
                debits=options.debits,
                workers_wanted=options.workers,
                sink=sink,
                logs=logs,
            )
            section = record(
                title=(
                    f"Monthly run: {options.households:,} invoices with PDFs and e-mails over "
                    f"SMTP, {options.debits:,}-debit SEPA batch"
                ),
                command=(
                    f"python bench/monthly_run.py --households {options.households} "
                    f"--debits {options.debits} --workers {options.workers}"
                ),
                body=report(results, options.workers),
                append=not options.no_append,
            )
    finally:
        controller.stop()
    print(section)
    return section


if __name__ == "__main__":
    main()
