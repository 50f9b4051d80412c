"""CSV import of invoices: the good sample, idempotence, separators and BOM, scope."""

# The fixtures come from import_world (tests/billing has no conftest of ours): a test's
# parameter named like an imported fixture is how pytest injects it.
# ruff: noqa: F811

import codecs
import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage

from portail.billing.imports import import_invoices
from portail.billing.models import Invoice, InvoiceLine
from portail.billing.services import create_regie
from portail.jobs.models import Job
from portail.notifications.models import OutgoingEmail
from tests.factories import InvoiceFactory

from .import_world import (  # noqa: F401 (fixtures)
    GOOD_SAMPLE,
    administrator,
    families,
    import_as_staff,
    loptiou,
    nursery_staff,
    pic_et_plume,
    regie,
    sample,
)


def summary(regie):
    """What the import created, in a form two imports can be compared by."""
    return [
        (
            invoice.number,
            invoice.household.external_code,
            invoice.payer.first_name,
            invoice.kind.label,
            invoice.period_on,
            invoice.issued_on,
            invoice.due_on,
            invoice.total,
            [
                (
                    line.child_name,
                    line.label,
                    line.quantity,
                    line.unit,
                    line.unit_price,
                    line.amount,
                )
                for line in invoice.lines.order_by("position")
            ],
        )
        for invoice in Invoice.objects.filter(regie=regie).order_by("number")
    ]


def test_the_sample_file_imports_its_invoices_issued_with_their_numbers_and_lines(regie, families):
    result = import_invoices(content=sample(GOOD_SAMPLE), regie=regie)

    assert result.errors == []
    assert result.outcome() == "4 factures importées."
    invoices = {invoice.number: invoice for invoice in Invoice.objects.filter(regie=regie)}
    assert sorted(invoices) == ["764", "765", "766", "767"]

    first = invoices["764"]
    assert first.external_reference == "764"
    assert first.status == Invoice.Status.ISSUED
    assert first.household == families["F001"]
    assert first.payer.first_name == "Camille"  # by her e-mail, whatever its case
    assert first.kind.label == "FACTURE JEUNESSE"
    assert first.period_on == datetime.date(2024, 2, 1)
    assert first.issued_on == datetime.date(2024, 3, 5)
    assert first.due_on == datetime.date(2024, 4, 4)
    assert first.total == Decimal("237.45")
    assert "Camille Martin" in first.payer_name
    assert [
        (line.child.first_name, line.label, line.quantity, line.unit, line.amount)
        for line in first.lines.order_by("position")
    ] == [
        ("Léa", "Accueil régulier février", Decimal("120"), "hour", Decimal("222.00")),
        ("Léa", "Repas", Decimal("18"), "meal", Decimal("43.20")),
        ("Léa", "Déduction maladie (3 jours)", Decimal("-3"), "day", Decimal("-27.75")),
    ]

    second = invoices["765"]
    assert second.payer.first_name == "Anne"  # no e-mail: the first guardian by last name
    assert second.total == Decimal("125.23")  # 12,5 × 0,85 = 10,625 → 10,63
    assert sorted(line.child.first_name for line in second.lines.all()) == ["Hugo", "Zoé"]

    third = invoices["766"]
    assert third.kind.label == "FACTURE PÉRISCOLAIRE"  # « facture périscolaire » in the file
    assert third.issued_on == datetime.date(2024, 3, 6)
    assert [(line.child, line.unit, line.amount) for line in third.lines.all()] == [
        (None, InvoiceLine.Unit.UNIT, Decimal("15.00"))
    ]
    assert invoices["767"].lines.get().unit == InvoiceLine.Unit.MONTH
    assert invoices["767"].total == Decimal("310.00")


def test_importing_the_same_file_twice_creates_nothing_new(
    regie, families, administrator, django_capture_on_commit_callbacks
):
    first = import_as_staff(
        sample(GOOD_SAMPLE),
        regie=regie,
        user=administrator,
        capture=django_capture_on_commit_callbacks,
    )
    counts = (Invoice.objects.count(), InvoiceLine.objects.count())

    second = import_as_staff(
        sample(GOOD_SAMPLE),
        regie=regie,
        user=administrator,
        capture=django_capture_on_commit_callbacks,
    )

    assert first.status == Job.Status.SUCCEEDED
    assert second.status == Job.Status.SUCCEEDED
    assert (Invoice.objects.count(), InvoiceLine.objects.count()) == counts == (4, 7)
    assert second.outcome == (
        "Aucune nouvelle facture : les 4 factures du fichier étaient déjà importées."
    )


def rewrite(content: bytes, *, separator: str, bom: bool, newline: str = "\r\n") -> bytes:
    rows = list(csv.reader(io.StringIO(content.decode("utf-8")), delimiter=";"))
    out = io.StringIO()
    csv.writer(out, delimiter=separator, lineterminator=newline).writerows(rows)
    return (codecs.BOM_UTF8 if bom else b"") + out.getvalue().encode("utf-8")


@pytest.mark.parametrize(
    "separator, bom, newline",
    [
        (";", True, "\r\n"),
        (",", False, "\r\n"),
        (",", True, "\n"),
        (";", False, "\n"),
    ],
    ids=["semicolon-bom-crlf", "comma", "comma-bom", "semicolon-lf"],
)
def test_separators_and_a_bom_read_the_same_invoices(regie, families, separator, bom, newline):
    import_invoices(content=sample(GOOD_SAMPLE), regie=regie)
    other_regie = create_regie(name="Régie Périscolaire")

    content = rewrite(sample(GOOD_SAMPLE), separator=separator, bom=bom, newline=newline)
    result = import_invoices(content=content, regie=other_regie)

    assert result.errors == []
    assert summary(other_regie) == summary(regie)


def test_the_comma_file_quotes_french_decimals(regie, families):
    content = rewrite(sample(GOOD_SAMPLE), separator=",", bom=False)

    assert b'"1,85"' in content


def test_an_invoice_imported_with_other_content_refuses_the_whole_file(regie, families):
    import_invoices(content=sample(GOOD_SAMPLE), regie=regie)
    changed = sample(GOOD_SAMPLE).replace(b";120;heure;1,85;222,00", b";121;heure;1,85;223,85")

    result = import_invoices(content=changed, regie=regie)

    assert result.errors == [
        "Ligne 2 : la facture 764 existe déjà dans cette régie avec un contenu différent."
    ]
    assert Invoice.objects.count() == 4
    assert Invoice.objects.get(number="764").total == Decimal("237.45")


def test_a_number_used_by_an_invoice_made_on_the_portal_is_refused(regie, families):
    InvoiceFactory(regie=regie, number="766", household=families["F003"])

    result = import_invoices(content=sample(GOOD_SAMPLE), regie=regie)

    assert result.errors == [
        "Ligne 7 : la facture 766 existe déjà dans cette régie avec un contenu différent."
    ]
    assert Invoice.objects.count() == 1


def test_lines_of_an_invoice_may_be_apart_in_the_file(regie, families):
    lines = sample(GOOD_SAMPLE).decode().splitlines()
    reordered = "\n".join([lines[0], lines[1], lines[4], lines[2], lines[5], lines[3]]) + "\n"

    result = import_invoices(content=reordered.encode(), regie=regie)

    assert result.errors == []
    assert Invoice.objects.get(number="764").lines.count() == 3


def test_the_job_records_progress_and_deletes_the_uploaded_file(
    regie, families, administrator, django_capture_on_commit_callbacks
):
    job = import_as_staff(
        sample(GOOD_SAMPLE),
        regie=regie,
        user=administrator,
        capture=django_capture_on_commit_callbacks,
    )

    assert job.status == Job.Status.SUCCEEDED
    assert (job.done, job.total, job.percent) == (7, 7, 100)
    assert job.outcome == "4 factures importées."
    assert job.errors == []
    assert job.finished_at is not None
    assert not default_storage.exists(job.parameters["file"])


def test_imported_invoices_get_their_pdf_and_the_families_an_email(
    regie, families, administrator, django_capture_on_commit_callbacks
):
    import_as_staff(
        sample(GOOD_SAMPLE),
        regie=regie,
        user=administrator,
        capture=django_capture_on_commit_callbacks,
    )

    invoice = Invoice.objects.get(number="764")
    assert invoice.pdf and len(invoice.pdf_sha256) == 64
    assert OutgoingEmail.objects.filter(to="Camille.Martin@example.fr").exists()


def test_nursery_staff_import_only_for_their_nurseries_households(
    regie, families, nursery_staff, django_capture_on_commit_callbacks
):
    job = import_as_staff(
        sample(GOOD_SAMPLE),
        regie=regie,
        user=nursery_staff,
        capture=django_capture_on_commit_callbacks,
    )

    assert job.status == Job.Status.FAILED
    assert job.errors == [
        "Ligne 5 : aucun foyer avec le code famille « F002 ».",
        "Ligne 6 : aucun foyer avec le code famille « F002 ».",
    ]
    assert Invoice.objects.count() == 0
