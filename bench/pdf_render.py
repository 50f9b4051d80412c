"""How long rendering an invoice PDF takes: N one-page invoices rendered in memory.

    .venv/bin/python bench/pdf_render.py            # 1,000 renders, 6 lines for 2 children
    .venv/bin/python bench/pdf_render.py -n 200 --lines 12 --logo

It works in a throw-away test database (SQLite in memory, or test_<name> next to the
DATABASE_URL database), creates one régie, one household and one issued invoice through the
billing services, then renders it N times with billing.pdf.render_invoice and prints the
milliseconds per page (p50 and p95), as wall-clock time and as the process's CPU time
(steadier when other processes share the machine).

Three figures: « cold » fetches the invoice (with its régie, kind, household and payer) before
each render, as a single invoice's task does, so each render pays for all its queries; « warm »
renders the same already-loaded invoice: ReportLab's own cost plus the two queries
render_invoice makes when given nothing else (the organisation, the lines; payments and
credit notes are read only when the invoice has some); « batch » renders it as
``store_invoice_pdfs`` does for a batch, its lines prefetched and the organisation read once:
no query, ReportLab alone."""

import argparse
import io
import os
import statistics
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-not-secret")
os.environ.setdefault("SECURE_SSL", "0")
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "YmVuY2gtb25seS1maWVsZC1lbmNyeXB0aW9uLWtleTA=")
# Issuing enqueues the PDF task on commit: the benchmark renders by itself instead.
os.environ["TASKS_BACKEND"] = "django_tasks.backends.dummy.DummyBackend"


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1000, help="renders per run (default 1000)")
    parser.add_argument("--lines", type=int, default=6, help="invoice lines (default 6)")
    parser.add_argument("--logo", action="store_true", help="give the town a PNG logo")
    return parser.parse_args()


def make_invoice(line_count: int, with_logo: bool):
    from django.core.files.base import ContentFile
    from django.test.utils import override_settings

    from portail.billing.models import InvoiceLine
    from portail.billing.services import create_draft_invoice, create_regie, issue_invoices
    from portail.households.models import Guardian, Household
    from portail.organisation.models import Organisation

    organisation = Organisation.current()
    organisation.town_name = "Bourg-les-Crèches"
    organisation.service_email = "petite-enfance@bourg.example.fr"
    if with_logo:
        from PIL import Image

        buffer = io.BytesIO()
        Image.new("RGB", (600, 240), "navy").save(buffer, format="PNG")
        # Media stay in memory: the benchmark writes nothing to MEDIA_ROOT.
        override_settings(
            STORAGES={"default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
        ).enable()
        organisation.logo.save("logo.png", ContentFile(buffer.getvalue()), save=False)
    organisation.save()
    regie = create_regie(
        name="Régie Petite Enfance",
        address="Hôtel de ville\n1 place de la Mairie\n74000 Bourg-les-Crèches",
        email="regie@bourg.example.fr",
        phone="04 50 22 05 57",
        issuer_name="Mme Anne Martin, régisseuse titulaire",
        appeal_notice=(
            "Vous pouvez contester cette facture dans les deux mois suivant sa réception "
            "devant le tribunal administratif de Grenoble."
        ),
    )
    household = Household.objects.create(
        name="Famille Test",
        address_line1="15 rue de la Grenette",
        postal_code="74370",
        city="Epagny Metz-Tessy",
        external_code="FAM-0764",
    )
    payer = Guardian.objects.create(
        household=household, civility="mme", first_name="Marie", last_name="TEST"
    )
    lines = [
        {
            "child": None,
            "child_name": "Léo TEST" if n % 2 else "Jade TEST",
            "label": f"Heures d'accueil, semaine {n + 1}",
            "quantity": Decimal("31.5"),
            "unit": InvoiceLine.Unit.HOUR,
            "unit_price": Decimal("2.35"),
        }
        for n in range(line_count)
    ]
    draft = create_draft_invoice(
        regie=regie,
        kind=regie.kinds.get(label="FACTURE JEUNESSE"),
        household=household,
        payer=payer,
        period_on=date(2022, 2, 1),
        lines=lines,
    )
    return issue_invoices(invoices=[draft], issued_on=date(2022, 1, 10))[0]


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure(label, renders, render_once):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        pdf = render_once()
    query_count = len(queries)
    wall, cpu = [], []
    for _ in range(renders):
        started, started_cpu = time.perf_counter(), time.process_time()
        render_once()
        cpu.append((time.process_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
    print(
        f"{label:5}  wall p50 {statistics.median(wall):6.2f} ms"
        f"  p95 {percentile(wall, 0.95):6.2f} ms"
        f"   cpu p50 {statistics.median(cpu):6.2f} ms  p95 {percentile(cpu, 0.95):6.2f} ms"
        f"   {query_count} queries   {len(pdf):,} bytes"
    )
    return pdf


def main():
    arguments = parse_arguments()
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment
    from pypdf import PdfReader

    from portail.billing.models import Invoice
    from portail.billing.pdf import render_invoice
    from portail.organisation.models import Organisation

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        invoice = make_invoice(arguments.lines, arguments.logo)
        pages = len(PdfReader(io.BytesIO(render_invoice(invoice))).pages)
        print(
            f"{arguments.n:,} renders of invoice {invoice.number}: {arguments.lines} lines, "
            f"{pages} page(s), logo {'yes' if arguments.logo else 'no'}, "
            f"database {connection.vendor}"
        )

        def cold():
            return render_invoice(
                Invoice.objects.select_related("regie", "kind", "household", "payer__user").get(
                    pk=invoice.pk
                )
            )

        measure("cold", arguments.n, cold)
        measure("warm", arguments.n, lambda: render_invoice(invoice))
        prefetched = (
            Invoice.objects.select_related("regie", "kind", "household", "payer__user")
            .prefetch_related("lines")
            .get(pk=invoice.pk)
        )
        organisation = Organisation.current()
        measure(
            "batch",
            arguments.n,
            lambda: render_invoice(prefetched, organisation=organisation),
        )
        print("(ms per render; each render here is one page)" if pages == 1 else "")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    main()
