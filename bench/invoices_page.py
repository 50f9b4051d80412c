"""« MES FACTURES » with 100 invoices in the household and a million in the table.

    python bench/invoices_page.py [--invoices 1000000] [--requests 200] [--no-append]

Two families are made through the services: one with 100 invoices over eight years (most
paid, by cheque, the last three not), one with a single invoice. The rest of the table is
bulk-loaded — COPY on PostgreSQL, executemany on SQLite — as issued or paid invoices of other
households (50 each), without lines: the list shows totals from the invoice row. The page is
then requested ``--requests`` times by the Django test client, logged in as each family; the
run reports the median and 95th percentile time, and the page's queries: how many (the same
for 1 and 100 invoices, or the page does not scale) and the slowest.

The database is a throwaway one (see bench/_setup.py); the result is printed and appended to
docs/benchmarks.md unless --no-append."""

import argparse
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._setup import (
    markdown_table,
    percentile,
    record,
    throwaway_database,
)

PER_HOUSEHOLD = 50
LOAD_CHUNK = 100_000
COLUMNS = [
    "reference",
    "regie_id",
    "kind_id",
    "number",
    "status",
    "household_id",
    "payer_id",
    "payer_name",
    "payer_address",
    "period_on",
    "issued_on",
    "due_on",
    "total",
    "amount_paid",
    "amount_credited",
    "external_reference",
    "pdf",
    "pdf_sha256",
    "notified_at",
    "created_at",
]


def add_months(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return day.replace(year=year, month=month + 1)


# --- The two measured families, made through the services ---------------------------------


def make_family(*, name: str, invoices: int, regie, terms, nursery):
    """A household whose guardian has an activated account and ``invoices`` issued invoices,
    one a month up to last month; all but the last three paid by cheque."""
    from django.utils import timezone

    from portail.accounts.services import accept_terms, ensure_account
    from portail.billing.services import create_draft_invoice, issue_invoices
    from portail.households.models import Child, Civility, Guardian, Household, HouseholdChild
    from portail.payments.models import PaymentMethod
    from portail.payments.services import record_payment

    household = Household.objects.create(
        name=name,
        address_line1="8 allée des Tilleuls",
        postal_code="74990",
        city="Val-des-Tilleuls",
        nursery=nursery,
    )
    surname = name.removeprefix("Famille ")
    guardian = Guardian.objects.create(
        household=household,
        civility=Civility.MADAME,
        first_name="Camille",
        last_name=surname,
        email=f"camille.{surname.lower()}@example.fr",
    )
    child = Child.objects.create(
        first_name="Léa", last_name=surname, birth_date=date(2023, 5, 2), nursery=nursery
    )
    HouseholdChild.objects.create(household=household, child=child)
    user = ensure_account(guardian=guardian)
    user.set_unusable_password()
    user.save()
    accept_terms(user=user, terms=terms, ip_address=None)

    kinds = list(regie.kinds.all())
    this_month = timezone.localdate().replace(day=1)
    issued = []
    for back in range(invoices, 0, -1):
        period_on = add_months(this_month, -back)
        lines = [
            {
                "child": child,
                "label": "Accueil régulier — heures du contrat",
                "quantity": Decimal(120 + back % 30),
                "unit_price": Decimal("1.95"),
            },
            {
                "child": child,
                "label": "Heures complémentaires",
                "quantity": Decimal(back % 7),
                "unit_price": Decimal("1.95"),
            },
        ]
        draft = create_draft_invoice(
            regie=regie,
            kind=kinds[1] if back % 4 == 0 else kinds[0],
            household=household,
            payer=guardian,
            period_on=period_on,
            lines=lines,
        )
        issued_on = add_months(period_on, 1).replace(day=5)
        issued += issue_invoices(invoices=[draft], issued_on=issued_on)
    for invoice in issued[:-3]:
        record_payment(
            regie=regie,
            payer=guardian,
            method=PaymentMethod.CHEQUE,
            amount=invoice.total,
            received_on=invoice.issued_on + timedelta(days=12),
            invoices=[invoice],
        )
    return user


# --- The rest of the table ----------------------------------------------------------------


def make_households(count: int, nursery) -> list[tuple[int, int]]:
    """``count`` households with one guardian each, bulk-inserted: (household id, guardian
    id) pairs."""
    from portail.households.models import Civility, Guardian, Household

    households = Household.objects.bulk_create(
        [
            Household(
                name=f"Famille Volume {number:06d}",
                postal_code="74990",
                city="Val-des-Tilleuls",
                nursery=nursery,
            )
            for number in range(count)
        ],
        batch_size=5000,
    )
    guardians = Guardian.objects.bulk_create(
        [
            Guardian(
                household=household,
                civility=Civility.MONSIEUR,
                first_name="Dominique",
                last_name=f"Volume {number:06d}",
            )
            for number, household in enumerate(households)
        ],
        batch_size=5000,
    )
    return [(h.pk, g.pk) for h, g in zip(households, guardians, strict=True)]


def invoice_rows(*, count: int, regie, households: list[tuple[int, int]]):
    """``count`` invoice rows as tuples of COLUMNS: each household has PER_HOUSEHOLD monthly
    invoices up to last month, all paid but the last."""
    from django.utils import timezone

    kinds = [kind.pk for kind in regie.kinds.all()]
    now = timezone.now()
    this_month = timezone.localdate().replace(day=1)
    months = [add_months(this_month, -back) for back in range(1, PER_HOUSEHOLD + 1)]
    for number in range(count):
        household_id, payer_id = households[number // PER_HOUSEHOLD]
        back = number % PER_HOUSEHOLD
        period_on = months[back]
        issued_on = add_months(period_on, 1).replace(day=5)
        total = Decimal((number * 7919) % 85_000 + 5_000) / 100
        yield (
            uuid.uuid4(),
            regie.pk,
            kinds[1] if back % 4 == 3 else kinds[0],
            f"V{number:07d}",
            "issued" if back == 0 else "paid",
            household_id,
            payer_id,
            f"M. Dominique Volume {number // PER_HOUSEHOLD:06d}",
            "1 rue des Essais\n74990 Val-des-Tilleuls",
            period_on,
            issued_on,
            issued_on + timedelta(days=30),
            total,
            Decimal("0.00") if back == 0 else total,
            Decimal("0.00"),
            "",
            "",
            "",
            now,
            now,
        )


def load_invoices(rows, count: int) -> None:
    """Insert the rows in chunks of LOAD_CHUNK, one transaction each."""
    from django.db import connection, transaction

    columns = ", ".join(COLUMNS)
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == LOAD_CHUNK:
            with transaction.atomic():
                _insert(connection, columns, chunk)
            chunk = []
    if chunk:
        with transaction.atomic():
            _insert(connection, columns, chunk)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # as autovacuum would have, long before a million rows


def _insert(connection, columns: str, rows: list[tuple]) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # psycopg 3's COPY: tens of times faster than INSERTs for a million rows.
            with cursor.cursor.copy(f"COPY billing_invoice ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(COLUMNS))
            cursor.executemany(
                f"INSERT INTO billing_invoice ({columns}) VALUES ({placeholders})",  # noqa: S608
                [tuple(map(_sqlite_value, row)) for row in rows],
            )


def _sqlite_value(value):
    """What Django itself writes in SQLite for these types."""
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
    if isinstance(value, date | Decimal):
        return str(value)
    return value


# --- Measuring the page --------------------------------------------------------------------


def measure_page(user, requests: int) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    client = Client()
    client.force_login(user)
    url = reverse("portal:invoices")
    for _ in range(3):  # the first requests fill the session and the translation caches
        client.get(url)
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    queries = context.captured_queries  # now: the next request empties the log
    assert response.status_code == 200, response.status_code
    assert "FACTURE JEUNESSE" in response.content.decode()
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    # The slowest read: a COMMIT (the session's) may be slower, but has no plan to show.
    reads = [query for query in queries if query["sql"].lstrip().upper().startswith("SELECT")]
    slowest = max(reads, key=lambda query: float(query["time"]))
    plan = ""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF) {slowest['sql']}")
            plan = "\n".join(line for (line,) in cursor.fetchall())
    return {
        "p50": percentile(timings, 0.50),
        "p95": percentile(timings, 0.95),
        "max": max(timings),
        "queries": len(queries),
        "slowest_ms": float(slowest["time"]) * 1000,
        "slowest_sql": slowest["sql"],
        "slowest_plan": plan,
    }


def run(*, invoices: int = 1_000_000, requests: int = 200, household_invoices: int = 100) -> dict:
    from portail.billing.models import Invoice
    from portail.billing.services import create_regie
    from portail.nurseries.models import Nursery
    from portail.organisation.services import draft_terms_version, publish_terms

    regie = create_regie(
        name="Régie du banc d'essai",
        address="1 place de la Mairie\n74990 Val-des-Tilleuls",
        invoice_number_format="F{year}-{number:05d}",
    )
    terms = publish_terms(terms=draft_terms_version(text="CGU du banc d'essai."))
    nursery = Nursery.objects.create(name="Crèche du banc d'essai")
    many = make_family(
        name="Famille Cent", invoices=household_invoices, regie=regie, terms=terms, nursery=nursery
    )
    one = make_family(name="Famille Une", invoices=1, regie=regie, terms=terms, nursery=nursery)

    bulk = max(0, invoices - Invoice.objects.count())
    started = time.perf_counter()
    households = make_households(-(-bulk // PER_HOUSEHOLD), nursery)
    load_invoices(invoice_rows(count=bulk, regie=regie, households=households), bulk)
    load_seconds = time.perf_counter() - started

    return {
        "invoices": Invoice.objects.count(),
        "load_seconds": load_seconds,
        "requests": requests,
        "household_invoices": household_invoices,
        "many": measure_page(many, requests),
        "one": measure_page(one, requests),
    }


def report(result: dict) -> str:
    rows = [
        [
            f"{count} invoice{'s' if count > 1 else ''}",
            f"{page['p50']:.1f}",
            f"{page['p95']:.1f}",
            f"{page['max']:.1f}",
            page["queries"],
            f"{page['slowest_ms']:.0f}",
        ]
        for count, page in ((result["household_invoices"], result["many"]), (1, result["one"]))
    ]
    table = markdown_table(
        ["Household with", "p50 (ms)", "p95 (ms)", "max (ms)", "Queries", "Slowest SELECT (ms)"],
        rows,
    )
    slowest, plan = result["many"]["slowest_sql"], result["many"]["slowest_plan"]
    text = (
        f"{result['invoices']:,} invoices in the table (bulk load: "
        f"{result['load_seconds']:.0f} s); {result['requests']} requests per family, "
        "Django test client, one process.\n\n"
        f"{table}\n\n"
        f"Slowest SELECT of the page (household with {result['household_invoices']} "
        f"invoices):\n\n```sql\n{slowest[:1500]}\n```"
    )
    if plan:
        text += f"\n\nIts plan:\n\n```\n{plan}\n```"
    return text


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument(
        "--household-invoices",
        type=int,
        default=100,
        help="invoices of the measured household (made through the services)",
    )
    parser.add_argument("--no-append", action="store_true", help="do not write docs/")
    options = parser.parse_args(argv)
    with throwaway_database():
        result = run(
            invoices=options.invoices,
            requests=options.requests,
            household_invoices=options.household_invoices,
        )
        section = record(
            title=f"« MES FACTURES » with {result['invoices']:,} invoices in the table",
            command=(
                f"python bench/invoices_page.py --invoices {options.invoices} "
                f"--requests {options.requests} "
                f"--household-invoices {options.household_invoices}"
            ),
            body=report(result),
            append=not options.no_append,
        )
    print(section)
    return section


if __name__ == "__main__":
    main()
