"""Rejects by hand and from the bank's files: the invoice is unpaid again, the family is told
in plain French, the mandate is suspended after the second counting reject or at once for a
suspending code; a bad file is refused whole."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.utils import translation

from portail.billing.models import Invoice
from portail.direct_debits import services
from portail.direct_debits.bank_returns import reason_label
from portail.direct_debits.models import Debit, Mandate, SequenceType
from portail.notifications.models import Notification, OutgoingEmail
from portail.payments.models import Payment

from .factories import MandateFactory, due_invoice

SAMPLES = Path(__file__).parent / "samples"
TODAY = datetime.datetime(2022, 1, 20, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _january_2022():
    with time_machine.travel(TODAY, tick=False):
        yield


def _batch(regie, capture, collection_on=datetime.date(2022, 2, 10)):
    with capture(execute=True):
        batch = services.queue_debit_batch(
            regie=regie, collection_on=collection_on, created_by=None
        )
    batch.refresh_from_db()
    return batch


def _settle(batch):
    # Settlement follows the sending of the file (never straight from « ready »).
    services.mark_batch_sent(batch=batch)
    with time_machine.travel(datetime.datetime(2022, 2, 11, 9, 0, tzinfo=datetime.UTC)):
        services.confirm_settlement(batch=batch)


def pain002(*rejects, amounts=None) -> bytes:
    transactions = "".join(
        f"""<TxInfAndSts><OrgnlEndToEndId>{e2e}</OrgnlEndToEndId><TxSts>RJCT</TxSts>
        <StsRsnInf><Rsn><Cd>{code}</Cd></Rsn></StsRsnInf></TxInfAndSts>"""
        for e2e, code in rejects
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt>
<GrpHdr><MsgId>STS-1</MsgId><CreDtTm>2022-02-09T07:00:00</CreDtTm></GrpHdr>
<OrgnlGrpInfAndSts><OrgnlMsgId>X</OrgnlMsgId><OrgnlMsgNmId>pain.008.001.02</OrgnlMsgNmId>
<GrpSts>PART</GrpSts></OrgnlGrpInfAndSts>
<OrgnlPmtInfAndSts><OrgnlPmtInfId>P1</OrgnlPmtInfId>{transactions}</OrgnlPmtInfAndSts>
</CstmrPmtStsRpt></Document>""".encode()


def test_a_reject_after_settlement_cancels_the_payment_and_tells_the_family(
    regie, django_capture_on_commit_callbacks
):
    mandate = MandateFactory(regie=regie)
    invoice = due_invoice(mandate)
    batch = _batch(regie, django_capture_on_commit_callbacks)
    _settle(batch)
    debit = Debit.objects.get()
    receipt = debit.payment.receipt_number
    services.record_reject(debit=debit, code="am04", rejected_on=datetime.date(2022, 2, 14))

    debit.refresh_from_db()
    invoice.refresh_from_db()
    assert debit.status == Debit.Status.REJECTED and debit.reject_code == "AM04"
    assert debit.payment is None and debit.cancelled_receipt_number == receipt
    assert not Payment.objects.exists()
    assert invoice.status == Invoice.Status.ISSUED and invoice.amount_paid == 0
    email = OutgoingEmail.objects.get(kind="direct_debit_rejected")
    with translation.override("fr"):
        assert str(reason_label("AM04")) in email.body_text
    assert invoice.number in email.subject
    assert Notification.objects.filter(category="direct_debit").exists()
    mandate.refresh_from_db()
    assert mandate.status == Mandate.Status.ACTIVE


def test_the_second_counting_reject_suspends_the_mandate(regie, django_capture_on_commit_callbacks):
    mandate = MandateFactory(regie=regie)
    due_invoice(mandate)
    due_invoice(mandate)
    _batch(regie, django_capture_on_commit_callbacks)
    first, second = Debit.objects.order_by("pk")
    services.record_reject(debit=first, code="AM04")
    mandate.refresh_from_db()
    assert mandate.status == Mandate.Status.ACTIVE
    services.record_reject(debit=second, code="MS02")
    mandate.refresh_from_db()
    assert mandate.status == Mandate.Status.SUSPENDED
    suspended = OutgoingEmail.objects.get(kind="direct_debit_suspended")
    assert mandate.rum in suspended.subject
    # The first debit of the series never went through: the next one is a first one again.
    assert mandate.next_sequence == SequenceType.FIRST


def test_a_closed_account_suspends_at_once(regie, django_capture_on_commit_callbacks):
    mandate = MandateFactory(regie=regie, next_sequence=SequenceType.RECURRING)
    due_invoice(mandate)
    _batch(regie, django_capture_on_commit_callbacks)
    services.record_reject(debit=Debit.objects.get(), code="AC04")
    mandate.refresh_from_db()
    assert mandate.status == Mandate.Status.SUSPENDED


def test_a_suspended_mandate_is_not_debited_again(regie, django_capture_on_commit_callbacks):
    mandate = MandateFactory(regie=regie)
    due_invoice(mandate)
    _batch(regie, django_capture_on_commit_callbacks)
    services.record_reject(debit=Debit.objects.get(), code="MD01")
    batch = _batch(regie, django_capture_on_commit_callbacks, datetime.date(2022, 2, 11))
    assert batch.status == "failed"
    assert Debit.objects.count() == 1


def test_a_bank_file_records_every_reject(regie, django_capture_on_commit_callbacks):
    mandate = MandateFactory(regie=regie)
    other = MandateFactory(regie=regie)
    due_invoice(mandate)
    due_invoice(other)
    _batch(regie, django_capture_on_commit_callbacks)
    first, second = Debit.objects.order_by("pk")
    outcome = services.import_bank_return(
        data=pain002((first.end_to_end_id, "AM04"), (second.end_to_end_id, "AC04")), regie=regie
    )
    assert len(outcome.recorded) == 2 and [m.pk for m in outcome.suspended] == [other.pk]
    assert set(Debit.objects.values_list("status", flat=True)) == {Debit.Status.REJECTED}
    again = services.import_bank_return(data=pain002((first.end_to_end_id, "AM04")), regie=regie)
    assert again.recorded == [] and again.already_known == [first.end_to_end_id]


def test_an_unknown_end_to_end_id_refuses_the_whole_file(regie, django_capture_on_commit_callbacks):
    mandate = MandateFactory(regie=regie)
    due_invoice(mandate)
    _batch(regie, django_capture_on_commit_callbacks)
    debit = Debit.objects.get()
    with pytest.raises(services.RejectError) as error:
        services.import_bank_return(
            data=pain002((debit.end_to_end_id, "AM04"), ("B999-00001-NOPE", "AM04")), regie=regie
        )
    assert any("B999-00001-NOPE" in message for message in error.value.errors)
    debit.refresh_from_db()
    assert debit.status == Debit.Status.SCHEDULED


@pytest.mark.parametrize(
    "sample", ["not_xml.csv", "truncated.xml", "xxe_external_entity.xml", "pain002_wrong_root.xml"]
)
def test_a_malformed_file_is_refused_with_clear_messages(regie, sample):
    with pytest.raises(services.RejectError) as error:
        services.import_bank_return(data=(SAMPLES / "malformed" / sample).read_bytes())
    assert error.value.errors and all(message for message in error.value.errors)


def test_a_reject_code_must_look_like_one(regie, django_capture_on_commit_callbacks):
    mandate = MandateFactory(regie=regie)
    due_invoice(mandate, amount=Decimal("10.00"))
    _batch(regie, django_capture_on_commit_callbacks)
    with pytest.raises(services.RejectError):
        services.record_reject(debit=Debit.objects.get(), code="insufficient")
