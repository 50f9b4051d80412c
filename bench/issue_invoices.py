"""The monthly invoicing run: 10,000 households, one invoice each, from draft to e-mail.

    python bench/issue_invoices.py [--households 10000] [--processes 2] [--no-append]
                                   [--one-by-one] [--without-rl-accel]

Stages, each timed on its own and through the same services the back office and the task
worker call:
1. drafts: ``create_draft_invoices`` in bulk, 2 to 4 lines per invoice (per child);
2. issue: ``issue_invoices`` by batches (numbers, dates, payer snapshot);
3. PDFs: ``store_invoice_pdfs`` by batches of 50, as the worker's task after issue (render
   with ReportLab, store, SHA-256; one commit per batch);
4. e-mails: ``notify_invoices_issued`` by the same batches (stored in the outbox).
``--one-by-one`` measures the per-invoice services instead (``create_draft_invoice``,
``store_invoice_pdf``, ``notify_invoice_issued``: one commit per invoice and stage), and
``--without-rl-accel`` hides ReportLab's C accelerator, to compare.
Stages 3 and 4 are what the task worker does after issue; here they run in ``--processes``
processes, as that many workers would (PostgreSQL only: SQLite has one writer at a time).
The households, guardians and children are made beforehand with bulk inserts, not timed.

The database is a throwaway one (see bench/_setup.py); the table is printed and appended to
docs/benchmarks.md unless --no-append."""

import argparse
import multiprocessing
import random
import sys
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._setup import (
    Stage,
    cpu_count,
    markdown_table,
    record,
    stopwatch,
    throwaway_database,
)

TARGET_SECONDS = 60
LABELS = [
    "Accueil régulier — heures du contrat",
    "Heures complémentaires",
    "Accueil occasionnel",
    "Dépassement d'horaire",
]


def create_households(count: int, seed: int = 2026, *, code_prefix: str = "E"):
    """``count`` households, each with one guardian (who has an e-mail address) and one or
    two children at the same nursery. Bulk inserts: this is the data, not the benchmark.
    Family codes are ``code_prefix`` and a number (they are unique)."""
    from portail.households.models import Child, Civility, Guardian, Household, HouseholdChild
    from portail.nurseries.models import Nursery

    rng = random.Random(seed)
    nursery = Nursery.objects.create(name="Crèche des Essais")
    households = Household.objects.bulk_create(
        [
            Household(
                name=f"Famille Essai {number:05d}",
                address_line1=f"{number % 90 + 1} rue des Essais",
                postal_code="74990",
                city="Val-des-Tilleuls",
                nursery=nursery,
                external_code=f"{code_prefix}{number:05d}",
            )
            for number in range(count)
        ],
        batch_size=1000,
    )
    guardians = Guardian.objects.bulk_create(
        [
            Guardian(
                household=household,
                civility=Civility.MADAME,
                first_name="Camille",
                last_name=f"Essai {number:05d}",
                email=f"parent.{number:05d}@example.fr",
            )
            for number, household in enumerate(households)
        ],
        batch_size=1000,
    )
    children = []
    for number, household in enumerate(households):
        for rank in range(rng.choice([1, 1, 2])):
            children.append(
                (
                    household,
                    Child(
                        first_name=f"Enfant {rank + 1}",
                        last_name=f"Essai {number:05d}",
                        birth_date="2024-03-01",
                        nursery=nursery,
                    ),
                )
            )
    Child.objects.bulk_create([child for _, child in children], batch_size=1000)
    HouseholdChild.objects.bulk_create(
        [HouseholdChild(household=household, child=child) for household, child in children],
        batch_size=1000,
    )
    by_household: dict[int, list] = {}
    for household, child in children:
        by_household.setdefault(household.pk, []).append(child)
    return [
        (household, guardian, by_household[household.pk])
        for household, guardian in zip(households, guardians, strict=True)
    ]


def invoice_lines(rng: random.Random, children: list) -> list[dict]:
    """Two to four lines, spread over the children."""
    rate = Decimal(rng.randint(45, 320)) / 100
    return [
        {
            "child": children[position % len(children)],
            "label": LABELS[position],
            "quantity": Decimal(rng.randrange(8, 720)) / 4,
            "unit_price": rate,
        }
        for position in range(rng.randint(2, 4))
    ]


# --- The stages that run in worker processes ----------------------------------------------


def _store_pdfs(ids: list[int]) -> None:
    from portail.billing.issuing import store_invoice_pdfs

    store_invoice_pdfs(invoice_ids=ids)


def _notify_all(ids: list[int]) -> None:
    from portail.billing.notifications import notify_invoices_issued

    notify_invoices_issued(invoice_ids=ids)


def _store_pdf_one_by_one(ids: list[int]) -> None:
    from portail.billing.services import store_invoice_pdf

    for invoice_id in ids:
        store_invoice_pdf(invoice_id=invoice_id)


def _notify_one_by_one(ids: list[int]) -> None:
    from portail.billing.notifications import notify_invoice_issued

    for invoice_id in ids:
        notify_invoice_issued(invoice_id=invoice_id)


WORKER_STAGES = {
    "pdf": _store_pdfs,
    "email": _notify_all,
    "pdf-one-by-one": _store_pdf_one_by_one,
    "email-one-by-one": _notify_one_by_one,
}


def _work(job: tuple[str, list[int]]) -> int:
    stage, ids = job
    WORKER_STAGES[stage](ids)
    return len(ids)


def run_in_workers(stage: str, ids: list[int], processes: int) -> None:
    """Call the stage for every id, in ``processes`` forked processes that each open their
    own database connection, as task workers would."""
    # Batches of 50, as issue_invoices queues the worker's tasks (PDF_BATCH_SIZE).
    chunks = [(stage, ids[start : start + 50]) for start in range(0, len(ids), 50)]
    if processes <= 1:
        assert sum(map(_work, chunks)) == len(ids)
        return
    from django.db import connections

    connections.close_all()  # a forked child must not share the parent's connection
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        done = sum(pool.imap_unordered(_work, chunks))
    assert done == len(ids)


# --- The run -------------------------------------------------------------------------------


def run(
    *,
    households: int,
    processes: int = 1,
    batch_size: int = 500,
    seed: int = 2026,
    one_by_one: bool = False,
):
    """Run the four stages on the current database; returns the timed stages."""
    from django.db import connection, transaction

    from portail.billing.issuing import DraftSpec, create_draft_invoices
    from portail.billing.models import Invoice
    from portail.billing.services import create_draft_invoice, create_regie, issue_invoices
    from portail.notifications.models import OutgoingEmail

    if connection.vendor != "postgresql":
        processes = 1
    rng = random.Random(seed)
    families = create_households(households, seed)
    regie = create_regie(
        name="Régie du banc d'essai",
        address="1 place de la Mairie\n74990 Val-des-Tilleuls",
        email="regie@val-des-tilleuls.example",
        phone="04 50 00 00 30",
        invoice_number_format="F{year}-{number:05d}",
        issuer_name="Mme Sophie Garnier, régisseuse",
        appeal_notice="Vous pouvez contester cette facture dans un délai de deux mois.",
    )
    kind = regie.kinds.get(label="FACTURE JEUNESSE")
    stages: list[Stage] = []

    drafts = []
    name = "create_draft_invoice" if one_by_one else "create_draft_invoices"
    with stopwatch(stages, f"Drafts (`{name}`, 2–4 lines)", households):
        for start in range(0, len(families), batch_size):
            if not one_by_one:
                drafts += create_draft_invoices(
                    regie=regie,
                    kind=kind,
                    period_on=_period(),
                    drafts=[
                        DraftSpec(household, guardian, invoice_lines(rng, children))
                        for household, guardian, children in families[start : start + batch_size]
                    ],
                )
                continue
            with transaction.atomic():
                for household, guardian, children in families[start : start + batch_size]:
                    drafts.append(
                        create_draft_invoice(
                            regie=regie,
                            kind=kind,
                            household=household,
                            payer=guardian,
                            period_on=_period(),
                            lines=invoice_lines(rng, children),
                        )
                    )

    with stopwatch(stages, f"Issue (`issue_invoices`, batches of {batch_size})", households):
        for start in range(0, len(drafts), batch_size):
            issue_invoices(invoices=drafts[start : start + batch_size])

    ids = [invoice.pk for invoice in drafts]
    label = f"{processes} process{'es' if processes > 1 else ''}"
    suffix = "-one-by-one" if one_by_one else ""
    pdf_name = "store_invoice_pdf" if one_by_one else "store_invoice_pdfs"
    with stopwatch(stages, f"PDFs (`{pdf_name}`, {label})", households):
        run_in_workers("pdf" + suffix, ids, processes)
    email_name = "notify_invoice_issued" if one_by_one else "notify_invoices_issued"
    with stopwatch(stages, f"E-mails queued (`{email_name}`, {label})", households):
        run_in_workers("email" + suffix, ids, processes)

    # What the stages were supposed to leave behind, checked so that a fast run is a real one.
    issued = Invoice.objects.filter(pk__in=ids)
    assert issued.filter(status=Invoice.Status.ISSUED).count() == households
    assert issued.exclude(pdf="").exclude(pdf_sha256="").count() == households
    assert issued.filter(notified_at__isnull=False).count() == households
    assert OutgoingEmail.objects.filter(kind="invoice_issued").count() == households
    return stages


def _period():
    from django.utils import timezone

    return timezone.localdate().replace(day=1)


def report(stages: list[Stage]) -> str:
    total = sum(stage.seconds for stage in stages)
    count = stages[0].count
    rows = [
        [stage.name, f"{stage.count:,}", f"{stage.seconds:.1f}", f"{stage.per_second:,.0f}"]
        for stage in stages
    ]
    rows.append(["**Whole run**", f"{count:,}", f"**{total:.1f}**", f"**{count / total:,.0f}**"])
    table = markdown_table(["Stage", "Invoices", "Seconds", "Invoices per second"], rows)
    verdict = "met" if total <= TARGET_SECONDS else "NOT met"
    return f"{table}\n\nTarget: the whole run in {TARGET_SECONDS} s or less: {verdict}."


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=10_000)
    parser.add_argument(
        "--processes",
        type=int,
        default=min(2, cpu_count()),
        help="worker processes for the PDF and e-mail stages (PostgreSQL only)",
    )
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--no-append", action="store_true", help="do not write docs/")
    parser.add_argument(
        "--one-by-one", action="store_true", help="per-invoice services (one commit each)"
    )
    parser.add_argument(
        "--without-rl-accel", action="store_true", help="ReportLab without its C accelerator"
    )
    options = parser.parse_args(argv)
    if options.without_rl_accel:
        sys.modules["_rl_accel"] = None  # ReportLab then falls back to pure Python
    with throwaway_database():
        from reportlab.lib import rl_accel

        accelerated = type(rl_accel.fp_str).__name__ == "builtin_function_or_method"
        stages = run(
            households=options.households,
            processes=options.processes,
            batch_size=options.batch_size,
            one_by_one=options.one_by_one,
        )
        from django.db import connection

        processes = options.processes if connection.vendor == "postgresql" else 1
        section = record(
            title=f"Issuing {options.households:,} invoices",
            command=(
                f"python bench/issue_invoices.py --households {options.households} "
                f"--processes {processes} --batch-size {options.batch_size}"
                + (" --one-by-one" if options.one_by_one else "")
                + (" --without-rl-accel" if options.without_rl_accel else "")
            ),
            body=report(stages)
            + f"\n\nReportLab's C accelerator (rl_accel): {'on' if accelerated else 'off'}.",
            append=not options.no_append,
        )
    print(section)
    return section


if __name__ == "__main__":
    main()
