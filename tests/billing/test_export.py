"""CSV exports for the accountant, read back with the csv module."""

# The fixtures come from import_world (tests/billing has no conftest of ours): a test's
# parameter named like an imported fixture is how pytest injects it.
# ruff: noqa: F811

import codecs
import csv
import datetime
import io
from decimal import Decimal

import pytest

from portail.billing.exports import ExportKind, export_csv, queue_accounting_export
from portail.billing.imports import import_invoices
from portail.billing.models import Invoice
from portail.billing.services import create_credit_note
from portail.jobs.models import Job
from portail.payments.models import PaymentMethod
from portail.payments.services import record_payment

from .import_world import (  # noqa: F401 (fixtures)
    GOOD_SAMPLE,
    administrator,
    families,
    loptiou,
    nursery_staff,
    pic_et_plume,
    regie,
    sample,
)

MARCH = (datetime.date(2024, 3, 1), datetime.date(2024, 3, 31))


def read_csv(content: bytes) -> list[list[str]]:
    assert content.startswith(codecs.BOM_UTF8)
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


@pytest.fixture
def billed(regie, families):
    """The sample's invoices (three issued in March, one in April), a cheque and a cash
    payment in March, and a credit note."""
    import_invoices(content=sample(GOOD_SAMPLE), regie=regie)
    invoices = {invoice.number: invoice for invoice in Invoice.objects.all()}
    record_payment(
        regie=regie,
        payer=invoices["764"].payer,
        method=PaymentMethod.CHEQUE,
        amount=Decimal("100.00"),
        received_on=datetime.date(2024, 3, 20),
        invoices=[invoices["764"]],
        bank_reference="Chèque n° 1234567",
    )
    record_payment(
        regie=regie,
        payer=invoices["765"].payer,
        method=PaymentMethod.CASH,
        amount=Decimal("125.23"),
        received_on=datetime.date(2024, 3, 21),
        invoices=[invoices["765"]],
    )
    create_credit_note(invoice=invoices["766"], amount=Decimal("5.00"), reason="Erreur de tarif")
    return invoices


def export(kind, regie, user, period=MARCH):
    content, _count = export_csv(
        kind=kind, regie=regie, start_on=period[0], end_on=period[1], user=user
    )
    return read_csv(content)


def test_the_invoices_export_lists_the_invoices_issued_in_the_period(regie, billed, administrator):
    rows = export(ExportKind.INVOICES, regie, administrator)

    assert rows[0] == [
        "Numéro de facture",
        "Type",
        "Période",
        "Date d'émission",
        "Date d'échéance",
        "Code famille",
        "Foyer",
        "Payeur",
        "Total",
        "Montant payé",
        "Montant des avoirs",
        "Reste à payer",
        "Statut",
    ]
    by_number = {row[0]: row for row in rows[1:]}
    assert sorted(by_number) == ["764", "765", "766"]  # 767 was issued in April
    assert by_number["764"][:7] == [
        "764",
        "FACTURE JEUNESSE",
        "2024-02",
        "05/03/2024",
        "04/04/2024",
        "F001",
        "Famille Martin",
    ]
    assert "Camille Martin" in by_number["764"][7]
    assert by_number["764"][8:12] == ["237,45", "100,00", "0,00", "137,45"]
    assert by_number["764"][12] == str(Invoice.Status.PARTIALLY_PAID.label)
    assert by_number["765"][8:13] == [
        "125,23",
        "125,23",
        "0,00",
        "0,00",
        str(Invoice.Status.PAID.label),
    ]
    assert by_number["766"][8:12] == ["15,00", "0,00", "5,00", "10,00"]


def test_the_payments_export_lists_the_payments_received_and_what_they_settled(
    regie, billed, administrator
):
    rows = export(ExportKind.PAYMENTS, regie, administrator)

    assert rows[0] == [
        "Numéro de reçu",
        "Date de réception",
        "Mode de paiement",
        "Référence",
        "Montant",
        "Montant affecté",
        "Payeur",
        "Code famille",
        "Foyer",
        "Factures réglées",
    ]
    cheque, cash = rows[1:]
    assert cheque[1:6] == [
        "20/03/2024",
        str(PaymentMethod.CHEQUE.label),
        "Chèque n° 1234567",
        "100,00",
        "100,00",
    ]
    assert "Camille Martin" in cheque[6]
    assert cheque[7:] == ["F001", "Famille Martin", "764 (100,00)"]
    assert cash[1] == "21/03/2024"
    assert "Anne Blanc" in cash[6]
    assert cash[7:] == ["F002", "Famille Durand", "765 (125,23)"]


def test_nursery_staff_export_only_their_nurseries_households(regie, billed, nursery_staff):
    invoices = export(ExportKind.INVOICES, regie, nursery_staff)
    payments = export(ExportKind.PAYMENTS, regie, nursery_staff)

    assert [row[0] for row in invoices[1:]] == ["764", "766"]
    assert [row[7] for row in payments[1:]] == ["F001"]


def test_a_period_without_invoices_exports_the_header_only(regie, billed, administrator):
    rows = export(
        ExportKind.INVOICES,
        regie,
        administrator,
        period=(datetime.date(2023, 1, 1), datetime.date(2023, 12, 31)),
    )

    assert len(rows) == 1


def test_text_that_looks_like_a_formula_is_not_run_by_the_spreadsheet(
    regie, billed, administrator, families
):
    families["F001"].name = '=HYPERLINK("http://example.com","Cliquez")'
    families["F001"].save()

    rows = export(ExportKind.INVOICES, regie, administrator)

    assert rows[1][6] == '\'=HYPERLINK("http://example.com","Cliquez")'


def test_the_export_job_stores_the_file_for_download(
    regie, billed, administrator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = queue_accounting_export(
            kind=ExportKind.INVOICES,
            regie=regie,
            start_on=MARCH[0],
            end_on=MARCH[1],
            created_by=administrator,
        )
    job.refresh_from_db()

    assert job.status == Job.Status.SUCCEEDED
    assert job.description == (
        "Export des factures émises par Régie Petite Enfance du 01/03/2024 au 31/03/2024"
    )
    assert job.outcome == "3 factures exportées."
    assert (job.done, job.total) == (3, 3)
    assert job.result_file.name.endswith("factures_regie-petite-enfance_2024-03-01_2024-03-31.csv")
    with job.result_file.open("rb") as stored:
        assert len(read_csv(stored.read())) == 4
