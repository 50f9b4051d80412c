"""PayFiP against the simulator over HTTP: notifications handled per second, and one
reconciliation pass over 10,000 running attempts.

    python bench/payfip_notifications.py [--notifications 500] [--threads 4]
                                         [--attempts 10000] [--paid-share 0.5]
                                         [--tcp-nodelay] [--no-append]

The portal runs as a real server process in the background (``manage.py runserver
--noreload`` on a free loopback port, DEBUG off, the PayFiP simulator mounted, ``SITE_URL``
and ``PAYFIP_ENDPOINT_URL`` pointing at it) on the throwaway database, so every SOAP call of
the adapter (eopayment + zeep) really goes over HTTP to the simulator. ``--tcp-nodelay``
makes that server set TCP_NODELAY on its connections, as gunicorn does: without it each SOAP
exchange waits about 40 ms for a delayed ACK (runserver sends headers and body apart).

1. Notifications: ``--notifications`` invoices, each with an attempt opened through
   ``start_online_payment`` (SOAP ``creerPaiementSecurise`` to the simulator; timed too) and
   paid on the simulator's side (``record_result(result="P")``, without notifying). Then
   ``--threads`` client threads POST ``idOp=<idop>`` to the portal's notification URL of each
   attempt; for each one the portal asks the simulator (SOAP
   ``recupererDetailPaiementSecurise``) and records the payment. Reported: notifications per
   second, p50/p95/max latency; checked: every answer is « OK » and exactly one Payment
   exists per attempt.
2. Reconciliation: ``--attempts`` running attempts aged between 6 minutes and 2 h 55 (inside
   the 5 minutes – 3 hours window), bulk-inserted with their invoices and their simulator
   records: ``--paid-share`` of them paid by card, the others without a result yet (P5).
   One ``reconcile_payments`` pass runs in this process, its SOAP calls going to the server.
   Reported: attempts per second and the outcome of each; checked: every paid one has exactly
   one Payment, the others none.

Everything stays on 127.0.0.1, every HTTP call has a timeout and the server is stopped at the
end, even when the run fails. The database is a throwaway one (see bench/_setup.py); the table
is printed and appended to docs/benchmarks.md unless --no-append."""

import argparse
import io
import os
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._setup import (
    BENCH_ENVIRONMENT,
    ROOT,
    markdown_table,
    percentile,
    record,
    throwaway_database,
)

HOST = "127.0.0.1"
SERVER_START_SECONDS = 60
HTTP_TIMEOUT_SECONDS = 10
CLIENT_NUMBER = "123456"
# runserver writes a response's headers and body in two small sends; without TCP_NODELAY the
# second one waits for the client's delayed ACK (about 40 ms on Linux) on every exchange.
# Production servers (gunicorn) set TCP_NODELAY; ``--tcp-nodelay`` makes runserver do so too.
NODELAY_LAUNCHER = (
    "import socketserver, sys\n"
    "socketserver.StreamRequestHandler.disable_nagle_algorithm = True\n"
    "from django.core.management import execute_from_command_line\n"
    "execute_from_command_line(['manage.py', *sys.argv[1:]])\n"
)


def server_description(nodelay: bool) -> str:
    return "`manage.py runserver --noreload` (threaded, DEBUG off" + (
        ", TCP_NODELAY on its connections)" if nodelay else ")"
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def configure(port: int) -> str:
    """The settings of this run: the portal at ``http://127.0.0.1:<port>`` with the
    simulator mounted there. Must run before Django is set up (throwaway_database)."""
    site = f"http://{HOST}:{port}"
    BENCH_ENVIRONMENT.update(
        {
            "SITE_URL": site,
            "PAYFIP_SIMULATOR_ENABLED": "1",
            "PAYFIP_SIMULATOR_DROP_NOTIFICATIONS": "1",
            "PAYFIP_ENDPOINT_URL": f"{site}/payfip-simulateur/tpa/services/securite",
            "PAYFIP_PAYMENT_URL": f"{site}/payfip-simulateur/tpa/paiementws.web",
            "PAYFIP_TIMEOUT": str(HTTP_TIMEOUT_SECONDS),
        }
    )
    return site


@contextmanager
def portal_server(site: str, port: int, *, nodelay: bool = False):
    """``manage.py runserver`` on the throwaway database, in the background; stopped (and
    killed if need be) on the way out. Its output goes to a temporary file, shown if it
    never answers."""
    import requests

    log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed in the finally below)
    server = subprocess.Popen(  # noqa: S603 (our own manage.py)
        [
            sys.executable,
            *(["-c", NODELAY_LAUNCHER] if nodelay else ["manage.py"]),
            "runserver",
            "--noreload",
            "--skip-checks",
            f"{HOST}:{port}",
        ],
        cwd=ROOT,
        env=dict(os.environ),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            if server.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError(f"the portal server did not start:\n{log.read()[-3000:]}")
            try:
                if requests.get(f"{site}/payfip-simulateur/ws.wsdl", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.2)
        yield server
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()


# --- The data -----------------------------------------------------------------------------


def make_regie(name: str):
    from portail.billing.services import create_regie

    return create_regie(
        name=name,
        address="1 place de la Mairie\n74990 Val-des-Tilleuls",
        email="regie@val-des-tilleuls.example",
        invoice_number_format="F{year}-{number:05d}",
        payfip_client_number=CLIENT_NUMBER,
    )


def make_invoices(*, regie, count: int, prefix: str, seed: int) -> list:
    """``count`` issued invoices of 10 € to 850 €, one per household, each household with a
    guardian who has an e-mail address. Bulk inserts: the data, not the benchmark."""
    from django.utils import timezone

    from portail.billing.models import Invoice
    from portail.households.models import Civility, Guardian, Household
    from portail.nurseries.models import Nursery

    rng = random.Random(seed)
    nursery = Nursery.objects.create(name=f"Crèche {prefix}")
    households = Household.objects.bulk_create(
        [
            Household(
                name=f"Famille {prefix} {number:05d}",
                postal_code="74990",
                city="Val-des-Tilleuls",
                nursery=nursery,
            )
            for number in range(count)
        ],
        batch_size=2000,
    )
    guardians = Guardian.objects.bulk_create(
        [
            Guardian(
                household=household,
                civility=Civility.MADAME,
                first_name="Camille",
                last_name=f"{prefix} {number:05d}",
                email=f"{prefix.lower()}.{number:05d}@example.fr",
            )
            for number, household in enumerate(households)
        ],
        batch_size=2000,
    )
    kind = regie.kinds.order_by("position").first()
    today = timezone.localdate()
    return Invoice.objects.bulk_create(
        [
            Invoice(
                regie=regie,
                kind=kind,
                number=f"{prefix}{today.year}-{number:05d}",
                status=Invoice.Status.ISSUED,
                household=household,
                payer=guardian,
                payer_name=f"Mme Camille {prefix} {number:05d}",
                payer_address="1 rue des Essais\n74990 Val-des-Tilleuls",
                period_on=today.replace(day=1),
                issued_on=today,
                due_on=today + timedelta(days=30),
                total=Decimal(rng.randint(1_000, 85_000)) / 100,
            )
            for number, (household, guardian) in enumerate(zip(households, guardians, strict=True))
        ],
        batch_size=2000,
    )


def staff_user():
    from portail.accounts.models import User

    return User.objects.create(username="banc.essai", email="banc.essai@example.fr")


# --- 1. Notifications ---------------------------------------------------------------------


def measure_notifications(*, site: str, count: int, threads: int, seed: int = 2026) -> dict:
    import requests
    from django.urls import reverse

    from portail.payfip_simulator import services as simulator
    from portail.payments.models import OnlinePayment, Payment
    from portail.payments.services import start_online_payment

    regie = make_regie("Régie des notifications")
    invoices = make_invoices(regie=regie, count=count, prefix="NOTIF", seed=seed)
    user = staff_user()

    started = time.perf_counter()
    attempts = [start_online_payment(invoice=invoice, user=user) for invoice in invoices]
    start_seconds = time.perf_counter() - started
    for attempt in attempts:
        simulator.record_result(idop=attempt.idop, result="P")

    jobs = [
        (
            site + reverse("portal:payment-notification", kwargs={"reference": attempt.reference}),
            attempt.idop,
        )
        for attempt in attempts
    ]
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    cursor = iter(jobs)

    def client() -> None:
        with requests.Session() as session:
            while True:
                with lock:
                    job = next(cursor, None)
                if job is None:
                    return
                url, idop = job
                sent = time.perf_counter()
                try:
                    response = session.post(url, data={"idOp": idop}, timeout=HTTP_TIMEOUT_SECONDS)
                    outcome = (
                        None
                        if response.status_code == 200 and response.text == "OK"
                        else f"HTTP {response.status_code}"
                    )
                except requests.RequestException as error:
                    outcome = type(error).__name__
                elapsed = time.perf_counter() - sent
                with lock:
                    latencies.append(elapsed)
                    if outcome:
                        failures.append(outcome)

    workers = [threading.Thread(target=client, daemon=True) for _ in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=HTTP_TIMEOUT_SECONDS * count + 60)
    seconds = time.perf_counter() - started

    ids = [attempt.pk for attempt in attempts]
    payments = Payment.objects.filter(online_payment__pk__in=ids).count()
    paid = OnlinePayment.objects.filter(pk__in=ids, status=OnlinePayment.Status.PAID).count()
    assert not failures, f"{len(failures)} notifications failed: {sorted(set(failures))}"
    assert len(latencies) == count
    assert Payment.objects.filter(regie=regie).count() == count == payments == paid, (
        f"{count} notifications: {paid} attempts paid, {payments} payments"
    )
    return {
        "count": count,
        "threads": threads,
        "start_seconds": start_seconds,
        "seconds": seconds,
        "p50": percentile(latencies, 0.50) * 1000,
        "p95": percentile(latencies, 0.95) * 1000,
        "max": max(latencies) * 1000,
    }


# --- 2. Reconciliation --------------------------------------------------------------------


def make_running_attempts(*, count: int, paid_share: float, seed: int = 2027) -> dict:
    """``count`` attempts waiting for PayFiP's answer, aged 6 minutes to 2 h 55, with their
    simulator records: the paid ones as the simulator's page records them (result P,
    numauto, date and time), the others without a result (P5). An unfinished record is
    dated now so that the simulator's nightly purge has not forgotten it (that would be P1)."""
    from django.utils import timezone

    from portail.payfip_simulator.models import SimulatedPayment
    from portail.payments import payfip
    from portail.payments.models import OnlinePayment

    rng = random.Random(seed)
    regie = make_regie("Régie de la réconciliation")
    invoices = make_invoices(regie=regie, count=count, prefix="RECON", seed=seed)
    now = timezone.now()
    attempts, records = [], []
    paid_idops = set()
    for invoice in invoices:
        idop = str(uuid.uuid4())
        created_at = now - timedelta(seconds=rng.randint(6 * 60, 175 * 60))
        attempt = OnlinePayment(
            invoice=invoice,
            regie=regie,
            amount=invoice.total,
            email=invoice.payer.email,
            refdet=payfip.refdet_for(invoice.number),
            exer=str(invoice.issued_on.year),
            mode=regie.payfip_mode,
            idop=idop,
            status=OnlinePayment.Status.WAITING,
            created_at=created_at,
        )
        attempts.append(attempt)
        paid = rng.random() < paid_share
        paid_at = timezone.localtime(created_at + timedelta(minutes=3))
        records.append(
            SimulatedPayment(
                idop=idop,
                numcli=CLIENT_NUMBER,
                exer=attempt.exer,
                refdet=attempt.refdet,
                montant=payfip.to_cents(attempt.amount),
                mel=attempt.email,
                objet=f"Facture {invoice.number}",
                saisie=attempt.mode,
                urlnotif="http://127.0.0.1/notification",
                urlredirect="http://127.0.0.1/retour",
                created_at=created_at if paid else now,
                result=SimulatedPayment.Result.PAID_BY_CARD if paid else "",
                numauto=f"{secrets.randbelow(10**12):012d}-tip" if paid else "",
                dattrans=paid_at.strftime("%d%m%Y") if paid else "",
                heurtrans=paid_at.strftime("%H%M") if paid else "",
            )
        )
        if paid:
            paid_idops.add(idop)
    OnlinePayment.objects.bulk_create(attempts, batch_size=2000)
    SimulatedPayment.objects.bulk_create(records, batch_size=2000)
    return {"regie": regie, "paid_idops": paid_idops}


def measure_reconciliation(*, count: int, paid_share: float) -> dict:
    from django.core.management import call_command

    from portail.payments.models import OnlinePayment, Payment

    made = make_running_attempts(count=count, paid_share=paid_share)
    regie, paid_idops = made["regie"], made["paid_idops"]
    output = io.StringIO()
    started = time.perf_counter()
    call_command("reconcile_payments", stdout=output)
    seconds = time.perf_counter() - started

    attempts = OnlinePayment.objects.filter(regie=regie)
    outcomes: dict[str, int] = {}
    for status in attempts.values_list("status", flat=True):
        outcomes[status] = outcomes.get(status, 0) + 1
    paid = set(
        attempts.filter(status=OnlinePayment.Status.PAID, payment__isnull=False).values_list(
            "idop", flat=True
        )
    )
    payments = Payment.objects.filter(regie=regie)
    assert paid == paid_idops, (
        f"{len(paid_idops)} paid at the simulator, {len(paid)} paid attempts; outcomes {outcomes}"
    )
    assert payments.count() == len(paid_idops), f"{payments.count()} payments"
    assert not attempts.exclude(idop__in=paid_idops).filter(payment__isnull=False).exists()
    return {
        "count": count,
        "paid": len(paid_idops),
        "seconds": seconds,
        "outcomes": outcomes,
        "summary": output.getvalue().strip(),
    }


# --- The run -------------------------------------------------------------------------------


def run(*, site: str, notifications: int, threads: int, attempts: int, paid_share: float) -> dict:
    """Both measures against the server already answering at ``site``."""
    result = {}
    if notifications:
        result["notifications"] = measure_notifications(
            site=site, count=notifications, threads=threads
        )
    if attempts:
        result["reconciliation"] = measure_reconciliation(count=attempts, paid_share=paid_share)
    return result


def report(result: dict, *, nodelay: bool = False) -> str:
    parts = [
        f"Server: {server_description(nodelay)} on 127.0.0.1; client and server on this machine."
    ]
    notes = result.get("notifications")
    if notes:
        parts += [
            "",
            markdown_table(
                [
                    "Notifications",
                    "Client threads",
                    "Seconds",
                    "Per second",
                    "p50 (ms)",
                    "p95 (ms)",
                    "max (ms)",
                ],
                [
                    [
                        f"{notes['count']:,}",
                        notes["threads"],
                        f"{notes['seconds']:.1f}",
                        f"{notes['count'] / notes['seconds']:,.1f}",
                        f"{notes['p50']:.1f}",
                        f"{notes['p95']:.1f}",
                        f"{notes['max']:.1f}",
                    ]
                ],
            ),
            "",
            f"Each notification: one SOAP `recupererDetailPaiementSecurise` to the simulator, "
            f"then the payment recorded; all answered « OK », and exactly {notes['count']:,} "
            f"payments exist, one per attempt. Opening the {notes['count']:,} attempts "
            f"(`start_online_payment`, one SOAP `creerPaiementSecurise` each, one at a time) "
            f"took {notes['start_seconds']:.1f} s: "
            f"{notes['count'] / notes['start_seconds']:,.1f} per second.",
        ]
    recon = result.get("reconciliation")
    if recon:
        outcomes = ", ".join(
            f"{name}: {number:,}" for name, number in sorted(recon["outcomes"].items())
        )
        parts += [
            "",
            markdown_table(
                ["Reconciliation pass", "Attempts", "Paid at PayFiP", "Seconds", "Per second"],
                [
                    [
                        "`reconcile_payments` (one process)",
                        f"{recon['count']:,}",
                        f"{recon['paid']:,}",
                        f"{recon['seconds']:.1f}",
                        f"{recon['count'] / recon['seconds']:,.1f}",
                    ]
                ],
            ),
            "",
            f"Attempts after the pass: {outcomes}. Every attempt paid at the simulator got "
            f"exactly one payment ({recon['paid']:,}), the others none. The unpaid ones had no "
            f"result yet (P5): « waiting » under two hours, « expired » after (eopayment's rule).",
        ]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notifications", type=int, default=500)
    parser.add_argument("--threads", type=int, default=4, help="client threads posting")
    parser.add_argument("--attempts", type=int, default=10_000, help="for the reconciliation")
    parser.add_argument("--paid-share", type=float, default=0.5)
    parser.add_argument(
        "--tcp-nodelay",
        action="store_true",
        help="the server sets TCP_NODELAY, as gunicorn does (runserver does not)",
    )
    parser.add_argument("--no-append", action="store_true", help="do not write docs/")
    options = parser.parse_args(argv)
    port = free_port()
    site = configure(port)
    with throwaway_database(), portal_server(site, port, nodelay=options.tcp_nodelay):
        result = run(
            site=site,
            notifications=options.notifications,
            threads=options.threads,
            attempts=options.attempts,
            paid_share=options.paid_share,
        )
        section = record(
            title=(
                f"PayFiP: {options.notifications:,} notifications, reconciliation of "
                f"{options.attempts:,} attempts"
            ),
            command=(
                f"python bench/payfip_notifications.py --notifications {options.notifications} "
                f"--threads {options.threads} --attempts {options.attempts} "
                f"--paid-share {options.paid_share}"
                + (" --tcp-nodelay" if options.tcp_nodelay else "")
            ),
            body=report(result, nodelay=options.tcp_nodelay),
            append=not options.no_append,
        )
    print(section)
    return section


if __name__ == "__main__":
    main()
