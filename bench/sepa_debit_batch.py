"""A direct debit batch of 10,000 debits, through the same service the back office's job calls.

    python bench/sepa_debit_batch.py [--debits 10000] [--no-append]

10,000 payers each have an active mandate (IBAN encrypted at rest) and one unpaid invoice due
by the collection date (bulk inserts, not timed). Timed:
1. selection: ``due_invoices`` (the invoices of payers with an active mandate, due, not in a
   running debit);
2. the whole ``build_batch``: selection again, the debits written, the pain.008.001.02 file
   built by ``sepa.build_pain008`` (XSD-validated) and stored with its SHA-256, and the
   pre-notification tasks queued (one per 500 payers);
3. what those tasks do in the worker, here in this process one after the other:
   ``prenotify_debits`` renders one e-mail per payer (3 templates) and stores it in the
   outbox.
Target: the whole batch (2) in 10 s or less on 2 cores; the e-mails (3) follow in the
background. The pure pain.008 build alone is measured by C's bench/sepa_batch.py.

The database is a throwaway one (see bench/_setup.py); the table is printed and appended to
docs/benchmarks.md unless --no-append."""

import argparse
import sys
from datetime import datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import time as clock
from contextlib import contextmanager

from bench._setup import Stage, markdown_table, record, throwaway_database


@contextmanager
def stopwatch(stages: list, name: str, count: int):
    """Wall-clock and CPU seconds of this process: the machine is shared, and the CPU time
    is what the load does not inflate (the database server's own CPU is not in it)."""
    wall, cpu = clock.perf_counter(), clock.process_time()
    yield
    stage = Stage(name, count, clock.perf_counter() - wall)
    stage.cpu = clock.process_time() - cpu
    stages.append(stage)


TARGET_SECONDS = 10
DEBTOR_IBAN = "FR7630006000011234567890189"


def create_world(count: int):
    """A régie with its creditor settings and ``count`` payers, each with an active mandate
    and one invoice of 10 to 90 € due before the collection date."""
    from django.utils import timezone

    from portail.billing.models import Invoice
    from portail.billing.services import create_regie
    from portail.direct_debits.models import CreditorSettings, Mandate, SequenceType
    from portail.households.models import Civility, Guardian, Household
    from portail.nurseries.models import Nursery

    today = timezone.localdate()
    regie = create_regie(name="Régie du banc d'essai")
    CreditorSettings.objects.create(
        regie=regie,
        creditor_name="Régie du banc d'essai",
        creditor_address="Mairie\n74990 Val-des-Tilleuls",
        ics="FR72ZZZ123456",
        creditor_iban="FR1420041010050500013M02606",
        creditor_iban_last4="2606",
        creditor_bic="PSSTFRPP",
        rum_prefix="BENCH",
    )
    kind = regie.kinds.first()
    nursery = Nursery.objects.create(name="Crèche du banc d'essai")
    households = Household.objects.bulk_create(
        [
            Household(name=f"Famille Essai {n:05d}", nursery=nursery, external_code=f"E{n:05d}")
            for n in range(count)
        ],
        batch_size=1000,
    )
    guardians = Guardian.objects.bulk_create(
        [
            Guardian(
                household=household,
                civility=Civility.MADAME,
                first_name="Camille",
                last_name=f"Essai {n:05d}",
                address_line1=f"{n % 90 + 1} rue des Essais",
                postal_code="74990",
                city="Val-des-Tilleuls",
                email=f"parent.{n:05d}@example.fr",
            )
            for n, household in enumerate(households)
        ],
        batch_size=1000,
    )
    signed_on = today - timedelta(days=90)
    signed_at = timezone.make_aware(datetime.combine(signed_on, time(10)))
    Mandate.objects.bulk_create(
        [
            Mandate(
                regie=regie,
                household_id=guardian.household_id,
                payer=guardian,
                rum=f"BENCH-E{n:05d}-{n + 1:03d}",
                status=Mandate.Status.ACTIVE,
                holder_name=f"Camille Essai {n:05d}",
                holder_address=f"{n % 90 + 1} rue des Essais\n74990 Val-des-Tilleuls",
                iban=DEBTOR_IBAN,
                iban_last4=DEBTOR_IBAN[-4:],
                bic="AGRIFRPPXXX",
                next_sequence=SequenceType.RECURRING if n % 4 else SequenceType.FIRST,
                signed_at=signed_at,
                effective_on=signed_on,
                code_verified_at=signed_at,
            )
            for n, guardian in enumerate(guardians)
        ],
        batch_size=1000,
    )
    issued_on = today - timedelta(days=10)
    Invoice.objects.bulk_create(
        [
            Invoice(
                regie=regie,
                kind=kind,
                household_id=guardian.household_id,
                payer=guardian,
                payer_name=f"Madame Camille Essai {n:05d}",
                period_on=issued_on.replace(day=1),
                number=f"B{n + 1:06d}",
                status=Invoice.Status.ISSUED,
                issued_on=issued_on,
                due_on=issued_on + timedelta(days=20),
                total=Decimal(10 + n % 80) + Decimal("0.45"),
            )
            for n, guardian in enumerate(guardians)
        ],
        batch_size=1000,
    )
    return regie, today + timedelta(days=20)


def run(count: int) -> tuple[list[Stage], dict]:
    from portail.direct_debits.models import Debit, DebitBatch
    from portail.direct_debits.services import build_batch, due_invoices, prenotify_debits
    from portail.direct_debits.services.batches import PRENOTIFY_CHUNK
    from portail.notifications.models import OutgoingEmail

    regie, collection_on = create_world(count)
    stages: list[Stage] = []
    with stopwatch(stages, "Selection (`due_invoices`)", count):
        selected = list(due_invoices(regie=regie, collection_on=collection_on))
    assert len(selected) == count, len(selected)
    batch = DebitBatch.objects.create(
        regie=regie, collection_on=collection_on, message_id="PF-BENCH-1"
    )
    with stopwatch(
        stages,
        "**Whole batch (`build_batch`): selection, debits, pain.008, pre-notifications queued**",
        count,
    ):
        build_batch(batch=batch)
    whole = stages[-1]
    mandate_ids = sorted(set(Debit.objects.filter(batch=batch).values_list("mandate", flat=True)))
    with stopwatch(stages, "Pre-notification e-mails rendered and stored (worker tasks)", count):
        for start in range(0, len(mandate_ids), PRENOTIFY_CHUNK):
            prenotify_debits(
                batch_id=batch.pk, mandate_ids=mandate_ids[start : start + PRENOTIFY_CHUNK]
            )
    stages.append(whole)
    stages.pop(1)
    batch.refresh_from_db()
    facts = {
        "debits": Debit.objects.filter(batch=batch).count(),
        "e-mails": OutgoingEmail.objects.filter(kind="direct_debit_prenotification").count(),
        "file": batch.xml_file.size,
        "status": batch.status,
        "total": batch.total_amount,
    }
    assert facts["debits"] == count and facts["e-mails"] == count, facts
    return stages, facts


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--debits", type=int, default=10_000)
    parser.add_argument("--no-append", action="store_true")
    options = parser.parse_args(argv)
    with throwaway_database():
        stages, facts = run(options.debits)
        rows = [
            [
                stage.name,
                f"{stage.count:,}",
                f"{stage.seconds:.2f}",
                f"{stage.cpu:.2f}",
                f"{stage.per_second:,.0f}",
            ]
            for stage in stages
        ]
        whole = stages[-1].seconds  # stages: selection, e-mails, whole batch
        verdict = "met" if whole <= TARGET_SECONDS else "NOT met"
        body = "\n\n".join(
            [
                markdown_table(
                    ["Stage", "Debits", "Wall s", "CPU s (this process)", "Per wall second"], rows
                ),
                f"Target: the whole batch in {TARGET_SECONDS} s or less — {verdict} "
                f"({whole:.2f} s wall, {stages[-1].cpu:.2f} s CPU). {facts['debits']:,} debits, "
                f"{facts['e-mails']:,} "
                f"pre-notification e-mails in the outbox, pain.008 file of "
                f"{facts['file'] / 1e6:.1f} MB, total {facts['total']} €.",
            ]
        )
        section = record(
            title=f"SEPA debit batch of {options.debits:,} debits",
            command=f"python bench/sepa_debit_batch.py --debits {options.debits}",
            body=body,
            append=not options.no_append,
        )
    print(section)
    return section


if __name__ == "__main__":
    main()
