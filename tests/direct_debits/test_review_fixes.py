"""Fixes after review: no double payment around a running debit, withdrawing a batch,
rejected invoices, bank return codes, signature evidence, the batch page, superseded
signature requests, checks before sending."""

import datetime
import logging
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from portail.billing.models import Invoice
from portail.billing.services import BillingError
from portail.direct_debits import services
from portail.direct_debits.models import Debit, DebitBatch, Mandate, SequenceType
from portail.notifications.models import OutgoingEmail
from portail.payments import services as payments
from portail.payments.models import OnlinePayment, Payment, PaymentMethod
from tests.backoffice.conftest import log_in_with_second_factor
from tests.factories import StaffUserFactory

from .factories import MandateFactory, due_invoice

COLLECTION_ON = datetime.date(2022, 2, 10)
TODAY = datetime.datetime(2022, 1, 20, 9, 0, tzinfo=datetime.UTC)
AFTER_COLLECTION = datetime.datetime(2022, 2, 11, 9, 0, tzinfo=datetime.UTC)


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


@pytest.fixture
def admin_client(client):
    log_in_with_second_factor(client, StaffUserFactory(is_superuser=True))
    return client


# --- 1. No double payment -----------------------------------------------------------------


def test_a_counter_payment_is_refused_for_an_invoice_in_a_running_debit(
    regie, django_capture_on_commit_callbacks
):
    mandate = MandateFactory(regie=regie)
    invoice = due_invoice(mandate)
    build(regie, django_capture_on_commit_callbacks)

    with pytest.raises(BillingError, match="prélèvement en cours"):
        payments.record_payment(
            regie=regie,
            payer=mandate.payer,
            method=PaymentMethod.CHEQUE,
            amount=Decimal("29.00"),
            invoices=[invoice],
        )
    invoice.refresh_from_db()
    assert invoice.amount_paid == 0 and not Payment.objects.exists()


def test_a_counter_payment_without_invoices_skips_those_in_a_running_debit(
    regie, django_capture_on_commit_callbacks
):
    mandate = MandateFactory(regie=regie)
    debited = due_invoice(mandate)
    build(regie, django_capture_on_commit_callbacks)
    later = due_invoice(mandate, due_on=datetime.date(2022, 3, 9))

    payments.record_payment(
        regie=regie, payer=mandate.payer, method=PaymentMethod.CASH, amount=Decimal("29.00")
    )
    debited.refresh_from_db()
    later.refresh_from_db()
    assert debited.amount_paid == 0
    assert later.status == Invoice.Status.PAID


def test_the_family_sees_its_invoice_in_a_running_debit_with_the_collection_date(
    client, regie, django_capture_on_commit_callbacks
):
    regie.payfip_client_number = "123456"
    regie.accepts_card_online = True
    regie.save()
    mandate = MandateFactory(regie=regie)
    invoice = due_invoice(mandate)
    build(regie, django_capture_on_commit_callbacks)
    client.force_login(mandate.payer.user)

    detail = client.get(reverse("portal:invoice-detail", kwargs={"reference": invoice.reference}))
    listing = client.get(reverse("portal:invoices"))

    for page in (detail, listing):
        assert "Prélèvement en cours : sera prélevée le 10/02/2022." in page.content.decode()
    assert "Payer par carte bancaire" not in detail.content.decode()


def test_a_card_payment_cannot_start_for_an_invoice_in_a_running_debit(
    regie, django_capture_on_commit_callbacks
):
    regie.payfip_client_number = "123456"
    regie.accepts_card_online = True
    regie.save()
    mandate = MandateFactory(regie=regie)
    invoice = due_invoice(mandate)
    build(regie, django_capture_on_commit_callbacks)

    with pytest.raises(payments.OnlinePaymentError) as refusal:
        payments.start_online_payment(invoice=invoice, user=mandate.payer.user)
    assert "prélèvement en cours" in str(refusal.value)
    assert not OnlinePayment.objects.exists()


def test_a_batch_skips_an_invoice_with_a_card_payment_in_progress(
    regie, django_capture_on_commit_callbacks
):
    mandate = MandateFactory(regie=regie)
    paying = due_invoice(mandate)
    taken = due_invoice(mandate)
    OnlinePayment.objects.create(
        invoice=paying,
        regie=regie,
        amount=paying.amount_due,
        email="camille@example.fr",
        refdet="R1",
        exer="2022",
        mode="T",
        status=OnlinePayment.Status.WAITING,
    )

    build(regie, django_capture_on_commit_callbacks)

    assert list(Debit.objects.values_list("invoice_id", flat=True)) == [taken.pk]


def test_settlement_holds_a_debit_whose_invoice_was_paid_meanwhile_for_staff(
    regie, django_capture_on_commit_callbacks, caplog
):
    mandate = MandateFactory(regie=regie)
    invoice = due_invoice(mandate)
    other = due_invoice(mandate)
    batch = build(regie, django_capture_on_commit_callbacks)
    services.mark_batch_sent(batch=batch)
    # Paid by card after all (the bank took it before the debit was known).
    payments.record_payment(
        regie=regie,
        payer=mandate.payer,
        method=PaymentMethod.CARD_ONLINE,
        amount=Decimal("29.00"),
        invoices=[invoice],
        despite_running_debit=True,
    )

    with (
        time_machine.travel(AFTER_COLLECTION),
        caplog.at_level(logging.ERROR, logger="portail.direct_debits.services.batches"),
    ):
        batch = services.confirm_settlement(batch=batch)

    held = Debit.objects.get(invoice=invoice)
    assert held.held_for_review and held.payment is None and held.status == Debit.Status.SENT
    assert Debit.objects.get(invoice=other).status == Debit.Status.SETTLED
    assert Payment.objects.filter(method=PaymentMethod.DIRECT_DEBIT).count() == 1
    invoice.refresh_from_db()
    assert invoice.amount_paid == Decimal("29.00")
    assert any(held.end_to_end_id in error for error in batch.errors)
    assert held.end_to_end_id in caplog.text
    assert mandate.holder_name not in caplog.text and mandate.iban not in caplog.text


# --- 2. Withdrawing a batch -------------------------------------------------------------


def test_a_ready_batch_is_withdrawn_and_its_invoices_are_free_again(
    regie, django_capture_on_commit_callbacks
):
    mandate = MandateFactory(regie=regie)
    invoice = due_invoice(mandate)
    batch = build(regie, django_capture_on_commit_callbacks)
    emails_before = OutgoingEmail.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        batch = services.withdraw_batch(batch=batch)

    assert batch.status == DebitBatch.Status.WITHDRAWN
    assert Debit.objects.get().status == Debit.Status.WITHDRAWN
    assert OutgoingEmail.objects.count() == emails_before
    mandate.refresh_from_db()
    assert mandate.next_sequence == SequenceType.FIRST and mandate.last_collection_on is None
    # Nothing runs any more: the invoice can be paid at the counter or debited again.
    payments.record_payment(
        regie=regie,
        payer=mandate.payer,
        method=PaymentMethod.CHEQUE,
        amount=Decimal("29.00"),
        invoices=[invoice],
    )
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID


def test_a_sent_batch_refused_by_the_bank_is_withdrawn_and_mandates_restored(
    regie, django_capture_on_commit_callbacks
):
    renewed = MandateFactory(regie=regie, next_sequence=SequenceType.RECURRING)
    new = MandateFactory(regie=regie)
    due_invoice(renewed)
    due_invoice(new)
    batch = build(regie, django_capture_on_commit_callbacks)
    services.mark_batch_sent(batch=batch)
    new.refresh_from_db()
    assert new.next_sequence == SequenceType.RECURRING

    services.withdraw_batch(batch=batch)

    renewed.refresh_from_db()
    new.refresh_from_db()
    assert renewed.next_sequence == SequenceType.RECURRING
    # Rebuilt from the debits sent or settled before (none here).
    assert renewed.last_collection_on is None
    assert new.next_sequence == SequenceType.FIRST and new.last_collection_on is None
    rebuilt = build(regie, django_capture_on_commit_callbacks, datetime.date(2022, 2, 11))
    assert rebuilt.debit_count == 2
    assert Debit.objects.get(batch=rebuilt, mandate=new).sequence == SequenceType.FIRST


def test_a_settled_batch_cannot_be_withdrawn_and_a_ready_one_cannot_be_settled(
    regie, django_capture_on_commit_callbacks
):
    mandate = MandateFactory(regie=regie)
    due_invoice(mandate)
    batch = build(regie, django_capture_on_commit_callbacks)
    with (
        time_machine.travel(AFTER_COLLECTION),
        pytest.raises(services.BatchError, match="transmis"),
    ):
        services.confirm_settlement(batch=batch)
    services.mark_batch_sent(batch=batch)
    with time_machine.travel(AFTER_COLLECTION):
        services.confirm_settlement(batch=batch)
    with pytest.raises(services.BatchError):
        services.withdraw_batch(batch=batch)


def test_staff_withdraw_a_batch_from_its_page(
    admin_client, regie, django_capture_on_commit_callbacks
):
    mandate = MandateFactory(regie=regie)
    due_invoice(mandate)
    batch = build(regie, django_capture_on_commit_callbacks)
    page = admin_client.get(reverse("admin:direct_debits_debitbatch_change", args=[batch.pk]))
    url = reverse("admin:direct_debits_debitbatch_withdraw", args=[batch.pk])
    assert url in page.content.decode()
    assert reverse("admin:direct_debits_debitbatch_settle", args=[batch.pk]) not in (
        page.content.decode()
    )

    admin_client.post(url, {"step": "confirm"})

    assert DebitBatch.objects.get().status == DebitBatch.Status.WITHDRAWN


# --- 3. After a reject ----------------------------------------------------------------------


def _says_presented_again(text: str) -> bool:
    # French once the lead compiles the catalogue, English msgid until then.
    return "présentée une nouvelle fois" in text or "presented once more" in text


def _rejected(regie, django_capture_on_commit_callbacks, mandate, collection_on=COLLECTION_ON):
    batch = build(regie, django_capture_on_commit_callbacks, collection_on)
    services.mark_batch_sent(batch=batch)
    debit = Debit.objects.get(batch=batch)
    with django_capture_on_commit_callbacks(execute=True):
        services.record_reject(debit=debit, code="AM04", rejected_on=datetime.date(2022, 1, 21))
    return debit


def test_a_rejected_invoice_is_no_longer_covered_and_can_be_paid_by_card(
    regie, django_capture_on_commit_callbacks
):
    from portail.direct_debits.coverage import card_payment_refusal, coverage_of

    mandate = MandateFactory(regie=regie, next_sequence=SequenceType.RECURRING)
    invoice = due_invoice(mandate)
    assert coverage_of([invoice])  # « sera prélevée » before the debit
    _rejected(regie, django_capture_on_commit_callbacks, mandate)
    invoice.refresh_from_db()

    assert coverage_of([invoice]) == {}
    assert card_payment_refusal(invoice) == ""
    assert list(services.due_invoices(regie=regie, collection_on=datetime.date(2022, 2, 11))) == []
    email = OutgoingEmail.objects.get(kind="direct_debit_rejected")
    assert "par un autre moyen" in email.body_text
    assert not _says_presented_again(email.body_text)


def test_a_regie_presenting_rejects_once_more_takes_the_invoice_again_once(
    creditor, regie, django_capture_on_commit_callbacks
):
    from portail.direct_debits.coverage import coverage_of

    creditor.represent_rejected_once = True
    creditor.save()
    mandate = MandateFactory(regie=regie, next_sequence=SequenceType.RECURRING)
    invoice = due_invoice(mandate)
    _rejected(regie, django_capture_on_commit_callbacks, mandate)
    email = OutgoingEmail.objects.get(kind="direct_debit_rejected")
    assert _says_presented_again(email.body_text)
    assert "par un autre moyen" not in email.body_text
    invoice.refresh_from_db()
    assert coverage_of([invoice])

    _rejected(regie, django_capture_on_commit_callbacks, mandate, datetime.date(2022, 2, 11))

    invoice.refresh_from_db()
    assert coverage_of([invoice]) == {}
    assert list(services.due_invoices(regie=regie, collection_on=datetime.date(2022, 2, 12))) == []


# --- 4. Bank return codes, files deleted on commit ---------------------------------------


def test_a_return_file_with_a_bad_reason_code_is_refused_whole_naming_the_debit(
    regie, django_capture_on_commit_callbacks
):
    from .test_rejects import pain002

    for _ in range(2):
        due_invoice(MandateFactory(regie=regie))
    batch = build(regie, django_capture_on_commit_callbacks)
    services.mark_batch_sent(batch=batch)
    good, bad = Debit.objects.order_by("pk")

    with pytest.raises(services.RejectError) as refusal:
        services.import_bank_return(
            data=pain002((good.end_to_end_id, "AM04"), (bad.end_to_end_id, "A-4")), regie=regie
        )

    assert len(refusal.value.errors) == 1
    assert bad.end_to_end_id in refusal.value.errors[0]
    assert set(Debit.objects.values_list("status", flat=True)) == {Debit.Status.SENT}
    assert not OutgoingEmail.objects.filter(kind="direct_debit_rejected").exists()


def test_a_cancelled_direct_debit_payment_keeps_its_receipt_file_until_commit(
    regie, django_capture_on_commit_callbacks
):
    from django.core.files.base import ContentFile
    from django.db import transaction

    mandate = MandateFactory(regie=regie)
    invoice = due_invoice(mandate)
    payment = payments.record_payment(
        regie=regie,
        payer=mandate.payer,
        method=PaymentMethod.DIRECT_DEBIT,
        amount=Decimal("29.00"),
        invoices=[invoice],
    )
    payment.receipt_pdf.save("recu-test.pdf", ContentFile(b"%PDF-1.4 receipt"))
    storage, name = payment.receipt_pdf.storage, payment.receipt_pdf.name

    with pytest.raises(RuntimeError), transaction.atomic():
        payments.cancel_direct_debit_payment(payment=payment)
        raise RuntimeError("rolled back")
    assert storage.exists(name) and Payment.objects.filter(pk=payment.pk).exists()

    with django_capture_on_commit_callbacks(execute=True):
        payments.cancel_direct_debit_payment(payment=payment)
    assert not storage.exists(name)


# --- 5. Signature evidence: the client's address behind the proxy -------------------------


def test_the_signature_records_the_client_address_given_by_the_trusted_proxy(
    client, family, creditor, settings
):
    from .test_mandate_flow import _ask, _code_from_outbox

    settings.TRUSTED_PROXY_COUNT = 1
    response = _ask(client)
    client.post(
        response["Location"],
        {"consent": "on", "code": _code_from_outbox()},
        HTTP_X_FORWARDED_FOR="203.0.113.7",
        REMOTE_ADDR="10.0.0.2",
    )

    assert Mandate.objects.get(payer=family).signed_from_ip == "203.0.113.7"


# --- 7. A superseded signature request stays dead -----------------------------------------


def test_an_older_request_cannot_get_a_new_code_nor_be_signed(client, family, creditor):
    from portail.direct_debits.models import SignatureCode

    from .test_mandate_flow import OTHER_IBAN, _ask, _code_from_outbox

    _ask(client)
    old_code = _code_from_outbox()
    older = SignatureCode.objects.get()
    _ask(client, iban=OTHER_IBAN)
    SignatureCode.objects.update(sent_at=timezone.now() - datetime.timedelta(minutes=2))
    codes_sent = OutgoingEmail.objects.filter(kind="direct_debit_code").count()

    client.post(reverse("portal:direct-debit-resend-code", args=[older.reference]))
    assert OutgoingEmail.objects.filter(kind="direct_debit_code").count() == codes_sent
    with pytest.raises(services.MandateError, match=r"récente"):
        services.resend_signature_code(signature=older)
    # Even revived by other means, the older request does not sign.
    SignatureCode.objects.filter(pk=older.pk).update(
        expires_at=timezone.now() + datetime.timedelta(minutes=10)
    )
    with pytest.raises(services.MandateError, match=r"récente"):
        services.sign_mandate(signature=older, code=old_code, ip_address=None)
    assert not Mandate.objects.exists()


# --- 8. Checks before the file goes to the bank -------------------------------------------


def test_a_batch_is_not_marked_sent_before_every_payer_is_prenotified(
    regie, django_capture_on_commit_callbacks
):
    due_invoice(MandateFactory(regie=regie))
    batch = build(regie, django_capture_on_commit_callbacks)
    Debit.objects.update(prenotified_at=None)

    with pytest.raises(services.BatchError, match=r"pré-notification"):
        services.mark_batch_sent(batch=batch)
    assert DebitBatch.objects.get().status == DebitBatch.Status.READY


def test_a_batch_is_not_marked_sent_once_the_bank_lead_time_has_passed(
    creditor, regie, django_capture_on_commit_callbacks
):
    due_invoice(MandateFactory(regie=regie))
    batch = build(regie, django_capture_on_commit_callbacks)
    # Two days' lead time: the file had to leave by 08/02 for a collection on 10/02.
    with (
        time_machine.travel(datetime.datetime(2022, 2, 9, 9, 0, tzinfo=datetime.UTC)),
        pytest.raises(services.BatchError, match="08/02/2022"),
    ):
        services.mark_batch_sent(batch=batch)
    with time_machine.travel(datetime.datetime(2022, 2, 8, 9, 0, tzinfo=datetime.UTC)):
        services.mark_batch_sent(batch=batch)
    assert DebitBatch.objects.get().status == DebitBatch.Status.SENT


# --- 6. The batch page stays fast -----------------------------------------------------------


def _batch_page_queries(admin_client, batch) -> tuple[int, str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("admin:direct_debits_debitbatch_change", args=[batch.pk])
    with CaptureQueriesContext(connection) as queries:
        page = admin_client.get(url)
    assert page.status_code == 200
    return len(queries), page.content.decode()


def test_the_batch_page_makes_the_same_queries_for_one_or_five_debits(
    admin_client, regie, django_capture_on_commit_callbacks
):
    due_invoice(MandateFactory(regie=regie))
    small = build(regie, django_capture_on_commit_callbacks)
    for _ in range(5):
        due_invoice(MandateFactory(regie=regie))
    large = build(regie, django_capture_on_commit_callbacks, datetime.date(2022, 2, 11))
    assert large.debit_count == 5

    _batch_page_queries(admin_client, small)  # warms the per-process caches
    small_count, _page = _batch_page_queries(admin_client, small)
    large_count, page = _batch_page_queries(admin_client, large)

    assert large_count == small_count
    assert Debit.objects.filter(batch=large).first().end_to_end_id in page


def test_a_big_batch_shows_counts_and_a_link_to_its_debits_instead_of_every_row(
    admin_client, regie, django_capture_on_commit_callbacks, monkeypatch
):
    from portail.direct_debits import admin as debit_admin

    monkeypatch.setattr(debit_admin, "INLINE_DEBITS_LIMIT", 2)
    for _ in range(3):
        due_invoice(MandateFactory(regie=regie))
    batch = build(regie, django_capture_on_commit_callbacks)

    _count, page = _batch_page_queries(admin_client, batch)

    link = reverse("admin:direct_debits_debit_changelist") + f"?batch__id__exact={batch.pk}"
    assert link.replace("&", "&amp;") in page or link in page
    assert ": 3" in page
    for debit in Debit.objects.all():
        assert debit.end_to_end_id not in page
    listing = admin_client.get(link)
    assert listing.status_code == 200
    assert all(debit.end_to_end_id in listing.content.decode() for debit in Debit.objects.all())


# --- 9. The signed mandate's PDF is stored encrypted ------------------------------------------


def test_the_signed_mandate_pdf_is_stored_encrypted_and_served_decrypted(client, family, creditor):
    import hashlib
    import io

    from pypdf import PdfReader

    from .factories import DEBTOR_IBAN
    from .test_mandate_flow import _ask, _sign

    _sign(client, _ask(client))
    mandate = Mandate.objects.get(payer=family)

    with mandate.pdf.open("rb") as stored:
        raw = stored.read()
    assert not raw.startswith(b"%PDF") and DEBTOR_IBAN.encode() not in raw
    plain = mandate.read_pdf()
    assert plain.startswith(b"%PDF")
    assert hashlib.sha256(plain).hexdigest() == mandate.pdf_sha256

    response = client.get(reverse("portal:direct-debit-mandate-pdf", args=[mandate.reference]))
    served = b"".join(response.streaming_content)
    assert served == plain
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(served)).pages)
    assert mandate.rum in text


def test_staff_download_the_decrypted_mandate_pdf(admin_client, regie):
    from django.core.files.base import ContentFile

    from portail.lib.encryption import encrypt_bytes

    mandate = MandateFactory(regie=regie)
    mandate.pdf.save("mandat.pdf.enc", ContentFile(encrypt_bytes(b"%PDF-1.4 mandate")))

    response = admin_client.get(reverse("admin:direct_debits_mandate_pdf", args=[mandate.pk]))

    assert b"".join(response.streaming_content) == b"%PDF-1.4 mandate"
