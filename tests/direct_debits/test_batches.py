"""Debit batches: selection, pre-notifications, the pain.008 file as stored, settlement."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone
from lxml import etree

from portail.billing.models import Invoice
from portail.direct_debits import services
from portail.direct_debits.models import Debit, DebitBatch, Mandate, SequenceType
from portail.jobs.models import Job
from portail.notifications.models import OutgoingEmail
from portail.payments.models import PaymentMethod

from .factories import DEBTOR_IBAN, MandateFactory, due_invoice

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}
COLLECTION_ON = datetime.date(2022, 2, 10)
TODAY = datetime.datetime(2022, 1, 20, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _january_2022():
    with time_machine.travel(TODAY, tick=False):
        yield


def build(regie, django_capture_on_commit_callbacks, collection_on=COLLECTION_ON) -> DebitBatch:
    with django_capture_on_commit_callbacks(execute=True):
        batch = services.queue_debit_batch(
            regie=regie, collection_on=collection_on, created_by=None
        )
    batch.refresh_from_db()
    return batch


def xml_of(batch):
    return etree.fromstring(batch.xml_file.read())


def test_batch_takes_due_invoices_of_active_mandates_and_writes_a_valid_pain008(
    regie, django_capture_on_commit_callbacks
):
    mandate = MandateFactory(regie=regie)
    first = due_invoice(mandate, amount=Decimal("29.00"))
    second = due_invoice(mandate, amount=Decimal("41.50"))
    other = MandateFactory(regie=regie, next_sequence=SequenceType.RECURRING)
    third = due_invoice(other, amount=Decimal("12.34"))
    # Not taken: due after the collection date, issued before the mandate, no mandate,
    # suspended mandate, already paid.
    due_invoice(mandate, due_on=datetime.date(2022, 3, 1))
    due_invoice(mandate, issued_on=datetime.date(2021, 12, 1))
    suspended = MandateFactory(regie=regie, status=Mandate.Status.SUSPENDED)
    due_invoice(suspended)
    due_invoice(mandate, status=Invoice.Status.PAID, amount_paid=Decimal("29.00"))

    batch = build(regie, django_capture_on_commit_callbacks)

    assert batch.status == DebitBatch.Status.READY
    assert batch.debit_count == 3 and batch.total_amount == Decimal("82.84")
    assert Job.objects.get(pk=batch.job_id).status == Job.Status.SUCCEEDED
    debits = {debit.invoice_id: debit for debit in Debit.objects.all()}
    assert set(debits) == {first.pk, second.pk, third.pk}
    assert debits[first.pk].sequence == "FRST" and debits[third.pk].sequence == "RCUR"
    # The series goes on with RCUR once the file is sent, not when it is built.
    mandate.refresh_from_db()
    assert mandate.next_sequence == SequenceType.FIRST and mandate.last_collection_on is None
    services.mark_batch_sent(batch=batch)
    mandate.refresh_from_db()
    assert mandate.next_sequence == SequenceType.RECURRING
    assert mandate.last_collection_on == COLLECTION_ON

    root = xml_of(batch)
    assert root.findtext("p:CstmrDrctDbtInitn/p:GrpHdr/p:NbOfTxs", namespaces=NS) == "3"
    assert root.findtext("p:CstmrDrctDbtInitn/p:GrpHdr/p:CtrlSum", namespaces=NS) == "82.84"
    for info in root.iterfind(".//p:PmtInf", NS):
        assert info.findtext("p:ReqdColltnDt", namespaces=NS) == "2022-02-10"
        assert (
            info.findtext(".//p:CdtrSchmeId/p:Id/p:PrvtId/p:Othr/p:Id", namespaces=NS)
            == "FR72ZZZ123456"
        )
    transactions = {
        tx.findtext("p:PmtId/p:EndToEndId", namespaces=NS): tx
        for tx in root.iterfind(".//p:DrctDbtTxInf", NS)
    }
    tx = transactions[debits[second.pk].end_to_end_id]
    assert tx.findtext("p:InstdAmt", namespaces=NS) == "41.50"
    assert tx.findtext(".//p:MndtId", namespaces=NS) == mandate.rum
    assert tx.findtext(".//p:DtOfSgntr", namespaces=NS) == "2022-01-01"
    assert tx.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) == DEBTOR_IBAN
    sequences = {
        info.findtext("p:PmtTpInf/p:SeqTp", namespaces=NS): info.findtext(
            "p:NbOfTxs", namespaces=NS
        )
        for info in root.iterfind(".//p:PmtInf", NS)
    }
    assert sequences == {"FRST": "2", "RCUR": "1"}


def test_each_payer_is_prenotified_once_with_amount_and_date(
    regie, django_capture_on_commit_callbacks
):
    mandate = MandateFactory(regie=regie)
    due_invoice(mandate, amount=Decimal("29.00"))
    due_invoice(mandate, amount=Decimal("41.50"))
    build(regie, django_capture_on_commit_callbacks)
    email = OutgoingEmail.objects.get(kind="direct_debit_prenotification")
    assert email.to == mandate.payer.email
    assert "70,50" in email.subject and "10/02/2022" in email.subject
    assert "29,00" in email.body_text and "41,50" in email.body_text
    assert DEBTOR_IBAN not in email.body_text + email.body_html
    assert Debit.objects.filter(prenotified_at__isnull=True).count() == 0


def test_collection_date_must_leave_the_prenotification_delay(regie):
    with pytest.raises(services.BatchError, match="14"):
        services.queue_debit_batch(
            regie=regie, collection_on=datetime.date(2022, 2, 1), created_by=None
        )


def test_an_invoice_in_a_running_debit_is_not_taken_twice(
    regie, django_capture_on_commit_callbacks
):
    mandate = MandateFactory(regie=regie)
    due_invoice(mandate)
    build(regie, django_capture_on_commit_callbacks)
    second = build(regie, django_capture_on_commit_callbacks, datetime.date(2022, 2, 11))
    assert second.status == DebitBatch.Status.FAILED
    assert Job.objects.get(pk=second.job_id).status == Job.Status.FAILED
    assert Debit.objects.count() == 1


def test_settlement_records_direct_debit_payments_and_pays_the_invoices(
    regie, django_capture_on_commit_callbacks
):
    mandate = MandateFactory(regie=regie)
    invoice = due_invoice(mandate)
    batch = build(regie, django_capture_on_commit_callbacks)
    with pytest.raises(services.BatchError):
        services.confirm_settlement(batch=batch)
    services.mark_batch_sent(batch=batch)
    assert Debit.objects.get().status == Debit.Status.SENT
    with time_machine.travel(datetime.datetime(2022, 2, 11, 9, 0, tzinfo=datetime.UTC)):
        services.confirm_settlement(batch=batch)
    debit = Debit.objects.get()
    invoice.refresh_from_db()
    assert debit.status == Debit.Status.SETTLED
    assert debit.payment.method == PaymentMethod.DIRECT_DEBIT
    assert debit.payment.received_on == COLLECTION_ON
    assert debit.payment.bank_reference == debit.end_to_end_id
    assert invoice.status == Invoice.Status.PAID
    assert DebitBatch.objects.get().status == DebitBatch.Status.SETTLED


def test_a_bad_debtor_account_fails_the_batch_with_a_message_and_no_debit(
    regie, django_capture_on_commit_callbacks
):
    mandate = MandateFactory(regie=regie, iban="FR7630006000011234567890180")
    due_invoice(mandate)
    batch = build(regie, django_capture_on_commit_callbacks)
    assert batch.status == DebitBatch.Status.FAILED and batch.errors
    assert not Debit.objects.exists()
    assert not OutgoingEmail.objects.filter(kind="direct_debit_prenotification").exists()
    assert timezone.now()


def test_a_crash_fails_the_batch_so_the_next_one_can_be_built(
    regie, django_capture_on_commit_callbacks, monkeypatch
):
    from portail.direct_debits import sepa

    mandate = MandateFactory(regie=regie)
    due_invoice(mandate)

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(sepa, "build_pain008", broken)
    build(regie, django_capture_on_commit_callbacks)  # the task backend records the crash
    batch = DebitBatch.objects.get()
    assert batch.status == DebitBatch.Status.FAILED and batch.errors
    assert Job.objects.get().status == Job.Status.FAILED
    monkeypatch.undo()
    assert build(regie, django_capture_on_commit_callbacks, datetime.date(2022, 2, 11)).status == (
        DebitBatch.Status.READY
    )
