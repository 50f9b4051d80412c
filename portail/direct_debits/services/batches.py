"""Debit batches: built in the background (a job staff follow), settled when the bank has
paid, with the pain.008 file kept as it was sent.

Selection: the unpaid invoices of the régie due by the collection date, issued since their
payer's active mandate was signed (« effectif à compter de la prochaine facturation »), not
already in a running debit. The collection date must leave the pre-notification delay
(14 days by default) and the bank's lead time from today; each payer is e-mailed the
amount and date (the pre-notification) when the batch is built."""

import hashlib
import logging
import re
import secrets
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import Greatest
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from portail.billing.models import Invoice
from portail.jobs import services as jobs

from .. import notifications
from ..models import CreditorSettings, Debit, DebitBatch, Mandate, SequenceType
from .mandates import MandateError

logger = logging.getLogger(__name__)

JOB_KIND = "direct_debits.build_batch"
CHUNK = 1000
PRENOTIFY_CHUNK = 500
ZERO = Decimal("0.00")


class BatchError(MandateError):
    """Why a batch cannot be built or changed, in a sentence for staff."""


def earliest_collection_on(creditor: CreditorSettings, today: date | None = None) -> date:
    today = today or timezone.localdate()
    return today + timedelta(days=max(creditor.prenotification_days, creditor.debit_lead_days))


def _message_id(regie_id: int, now) -> str:
    """Unique per file (the bank refuses a message id it has seen): time and randomness."""
    return f"PF{regie_id}-{now:%Y%m%d%H%M%S}-{secrets.token_hex(4).upper()}"[:35]


@transaction.atomic
def queue_debit_batch(*, regie, collection_on: date, created_by) -> DebitBatch:
    """A batch to build for this collection date; the job that builds it starts on commit."""
    from ..tasks import build_debit_batch_in_background

    creditor = CreditorSettings.objects.filter(regie=regie).first()
    if creditor is None:
        raise BatchError(gettext("Set up the creditor settings of this régie first."))
    earliest = earliest_collection_on(creditor)
    if collection_on < earliest:
        raise BatchError(
            gettext(
                "The collection date must leave families {days} days' notice: choose {date} or "
                "later."
            ).format(
                days=max(creditor.prenotification_days, creditor.debit_lead_days),
                date=earliest.strftime("%d/%m/%Y"),
            )
        )
    if DebitBatch.objects.filter(regie=regie, status=DebitBatch.Status.BUILDING).exists():
        raise BatchError(gettext("A batch of this régie is already being built."))
    now = timezone.now()
    batch = DebitBatch.objects.create(
        regie=regie,
        collection_on=collection_on,
        message_id=_message_id(regie.pk, now),
        created_by=created_by,
    )
    job = jobs.start_job(
        kind=JOB_KIND,
        description=gettext("Direct debit batch of {regie} collected on {date}").format(
            regie=regie.name, date=collection_on.strftime("%d/%m/%Y")
        ),
        created_by=created_by,
        parameters={
            "batch_id": batch.pk,
            "language": translation.get_language() or settings.LANGUAGE_CODE,
        },
    )
    batch.job = job
    batch.save(update_fields=["job"])
    transaction.on_commit(lambda: build_debit_batch_in_background.enqueue(job.pk))
    return batch


def due_invoices(*, regie, collection_on: date):
    """The invoices a batch collecting on ``collection_on`` takes, with ``mandate_id``."""
    mandates = Mandate.objects.filter(regie=regie, status=Mandate.Status.ACTIVE)
    signed_on = {
        payer_id: (pk, effective_on)
        for pk, payer_id, effective_on in mandates.values_list("pk", "payer_id", "effective_on")
    }
    from portail.payments.models import OnlinePayment

    running = Debit.objects.filter(status__in=Debit.RUNNING, batch__regie=regie).values(
        "invoice_id"
    )
    # A card payment the family started may still be taken: never debit the invoice too.
    paying_online = OnlinePayment.objects.filter(
        regie=regie, status__in=OnlinePayment.RUNNING
    ).values("invoice_id")
    candidates = (
        Invoice.objects.filter(
            regie=regie, payer_id__in=mandates.values("payer_id"), due_on__lte=collection_on
        )
        .unpaid()
        .exclude(pk__in=running)
        .exclude(pk__in=paying_online)
        .exclude(pk__in=no_more_presented(regie))
        .order_by("payer_id", "due_on", "pk")
        .values_list("pk", "payer_id", "issued_on", "total", "amount_paid", "amount_credited")
    )
    for pk, payer_id, issued_on, total, paid, credited in candidates.iterator(chunk_size=CHUNK):
        mandate_id, mandate_signed_on = signed_on[payer_id]
        amount = total - paid - credited
        if issued_on >= mandate_signed_on and amount > ZERO:
            yield pk, mandate_id, amount


def no_more_presented(regie):
    """The invoices of the régie direct debit no longer pays after a reject: any rejected
    one, or those rejected twice when the régie presents a rejected invoice once more. The
    family was told to pay them another way (the reject e-mail)."""
    represent = CreditorSettings.objects.filter(regie=regie, represent_rejected_once=True).exists()
    rejected = (
        Debit.objects.filter(status=Debit.Status.REJECTED, batch__regie=regie)
        .values("invoice_id")
        .annotate(rejects=Count("pk"))
    )
    return rejected.filter(rejects__gte=2 if represent else 1).values("invoice_id")


def _chunks(values: list, size: int = 900) -> list[list]:
    """Slices small enough for an ``IN (…)`` on every database (SQLite allows 999)."""
    return [values[start : start + size] for start in range(0, len(values), size)]


def _safe_id(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9-]+", "-", value).strip("-")


def run_batch_job(*, job_id: int) -> None:
    job = jobs.claim(job_id)
    if job is None:
        return
    language = job.parameters.get("language") or settings.LANGUAGE_CODE
    with jobs.failing_on_crash(job), translation.override(language):
        batch = DebitBatch.objects.select_related("regie").get(pk=job.parameters["batch_id"])
        try:
            build_batch(batch=batch, job=job)
        except BatchError as error:
            DebitBatch.objects.filter(pk=batch.pk).update(
                status=DebitBatch.Status.FAILED, errors=[str(error)]
            )
            jobs.fail(job, [str(error)])
            return
        except Exception:
            # The job fails with its own message (failing_on_crash); the batch must not stay
            # « being built », which would stop the régie's next batches.
            DebitBatch.objects.filter(pk=batch.pk).update(
                status=DebitBatch.Status.FAILED,
                errors=[gettext("An unexpected error stopped this batch; nothing was debited.")],
            )
            raise
        batch.refresh_from_db()
        jobs.succeed(
            job,
            ngettext(
                "%(count)d debit, %(total)s €, collected on %(date)s.",
                "%(count)d debits, %(total)s €, collected on %(date)s.",
                batch.debit_count,
            )
            % {
                "count": batch.debit_count,
                "total": batch.total_amount,
                "date": batch.collection_on.strftime("%d/%m/%Y"),
            },
        )


def build_batch(*, batch: DebitBatch, job=None) -> DebitBatch:
    """Select the debits, pre-notify the families, write and store the pain.008 file; all or
    nothing. Raises BatchError when the file cannot be made (the batch is then failed)."""
    from ..sepa import Creditor, DebitLine, SepaFileError, build_pain008
    from ..tasks import send_prenotifications

    regie = batch.regie
    creditor = CreditorSettings.objects.get(regie=regie)
    description = gettext("Invoice {number}")
    selected = list(due_invoices(regie=regie, collection_on=batch.collection_on))
    if job is not None:
        jobs.set_total(job, len(selected) * 2 + 1)
    if not selected:
        raise BatchError(gettext("No invoice is due for direct debit by this collection date."))
    with transaction.atomic():
        batch = DebitBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status != DebitBatch.Status.BUILDING:
            raise BatchError(gettext("This batch is not being built any more."))
        # Plain tuples, not model instances: 10,000 rows are read in a blink this way; only
        # the IBAN and BIC are decrypted (the holder's address is not in the file).
        mandate_fields = Mandate.objects.only(
            "pk", "rum", "holder_name", "iban", "bic", "signed_at", "kind", "next_sequence"
        )
        mandates = {}
        for chunk in _chunks(sorted({mandate_id for _pk, mandate_id, _amount in selected})):
            for mandate in mandate_fields.filter(pk__in=chunk):
                mandates[mandate.pk] = mandate
        numbers = {}
        for chunk in _chunks([pk for pk, _mandate_id, _amount in selected]):
            numbers.update(Invoice.objects.filter(pk__in=chunk).values_list("pk", "number"))
        debits, lines = [], []
        mandate_ids = set()
        for index, (invoice_id, mandate_id, amount) in enumerate(selected, start=1):
            mandate = mandates[mandate_id]
            number = numbers[invoice_id]
            sequence = (
                SequenceType.ONE_OFF
                if mandate.kind == Mandate.Kind.ONE_OFF
                else mandate.next_sequence
            )
            end_to_end_id = f"B{batch.pk}-{index:05d}-{_safe_id(number)}"[:35]
            debits.append(
                Debit(
                    batch_id=batch.pk,
                    invoice_id=invoice_id,
                    mandate_id=mandate_id,
                    amount=amount,
                    sequence=sequence,
                    collection_on=batch.collection_on,
                    end_to_end_id=end_to_end_id,
                )
            )
            mandate_ids.add(mandate_id)
            lines.append(
                DebitLine(
                    end_to_end_id=end_to_end_id,
                    amount=amount,
                    debtor_name=mandate.holder_name,
                    debtor_iban=mandate.iban,
                    debtor_bic=mandate.bic or None,
                    rum=mandate.rum,
                    mandate_signed_on=timezone.localdate(mandate.signed_at),
                    sequence=sequence,
                    collection_on=batch.collection_on,
                    description=description.format(number=number),
                )
            )
            if job is not None and index % CHUNK == 0:
                jobs.advance(job, index)
        try:
            xml = build_pain008(
                creditor=Creditor(
                    name=creditor.creditor_name,
                    iban=creditor.creditor_iban,
                    bic=creditor.creditor_bic,
                    ics=creditor.ics,
                ),
                lines=lines,
                message_id=batch.message_id,
            )
        except SepaFileError as error:
            raise BatchError(str(error)) from error
        if job is not None:
            jobs.advance(job, len(selected) + 1)
        Debit.objects.bulk_create(debits, batch_size=CHUNK)
        # The pre-notification e-mails are rendered by the worker, a few hundred payers per
        # task, once the batch is committed: rendering 10,000 e-mails takes minutes, the
        # batch itself seconds (docs/benchmarks.md).
        mandate_ids = sorted(mandate_ids)
        for start in range(0, len(mandate_ids), PRENOTIFY_CHUNK):
            chunk = mandate_ids[start : start + PRENOTIFY_CHUNK]
            transaction.on_commit(
                lambda chunk=chunk: send_prenotifications.enqueue(batch.pk, chunk)
            )
        batch.xml_file.save(f"{batch.message_id}.xml", ContentFile(xml), save=False)
        batch.xml_sha256 = hashlib.sha256(xml).hexdigest()
        batch.debit_count = len(debits)
        batch.total_amount = sum((debit.amount for debit in debits), ZERO)
        batch.status = DebitBatch.Status.READY
        batch.errors = []
        batch.save(
            update_fields=[
                "xml_file",
                "xml_sha256",
                "debit_count",
                "total_amount",
                "status",
                "errors",
            ]
        )
    if job is not None:
        jobs.advance(job, len(selected) * 2 + 1)
    return batch


@transaction.atomic
def prenotify_debits(*, batch_id: int, mandate_ids: list[int]) -> int:
    """E-mail each of these payers the amount and date of their debits in the batch (the
    pre-notification), once: debits already pre-notified are skipped. Returns how many
    e-mails were queued."""
    debits = list(
        Debit.objects.select_for_update(of=("self",))
        .filter(batch_id=batch_id, mandate_id__in=mandate_ids, prenotified_at__isnull=True)
        .select_related("invoice", "mandate__payer__user")
        .order_by("mandate_id", "pk")
    )
    by_mandate: dict[int, list[Debit]] = defaultdict(list)
    for debit in debits:
        by_mandate[debit.mandate_id].append(debit)
    emails = [
        notifications.prenotification_emails(
            mandate=mandate_debits[0].mandate,
            debits=mandate_debits,
            collection_on=mandate_debits[0].collection_on,
            total=sum((debit.amount for debit in mandate_debits), ZERO),
        )
        for mandate_debits in by_mandate.values()
    ]
    notifications.queue_prenotifications(emails)
    Debit.objects.filter(pk__in=[debit.pk for debit in debits]).update(
        prenotified_at=timezone.now()
    )
    return sum(1 for email in emails if email is not None)


@transaction.atomic
def mark_batch_sent(*, batch: DebitBatch) -> DebitBatch:
    """Staff sent the file to the bank: its debits are now « sent ». Refused while a payer
    has not been pre-notified or when the bank's lead time before the collection date has
    passed (the file must then be withdrawn and a new batch built)."""
    batch = DebitBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != DebitBatch.Status.READY:
        raise BatchError(gettext("Only a batch whose file is ready can be marked as sent."))
    scheduled = Debit.objects.filter(batch=batch, status=Debit.Status.SCHEDULED)
    waiting = scheduled.filter(prenotified_at__isnull=True).count()
    if waiting:
        raise BatchError(
            ngettext(
                "%(count)d payer has not been told the amount and date yet (pre-notification): "
                "wait for the e-mails to go, then mark the batch as sent.",
                "%(count)d payers have not been told the amount and date yet "
                "(pre-notification): wait for the e-mails to go, then mark the batch as sent.",
                waiting,
            )
            % {"count": waiting}
        )
    creditor = CreditorSettings.objects.get(regie_id=batch.regie_id)
    latest = batch.collection_on - timedelta(days=creditor.debit_lead_days)
    if latest < timezone.localdate():
        raise BatchError(
            gettext(
                "The bank needs the file {days} days before the collection date: it had to be "
                "sent by {date}. Withdraw this batch and build a new one."
            ).format(days=creditor.debit_lead_days, date=latest.strftime("%d/%m/%Y"))
        )
    batch.status = DebitBatch.Status.SENT
    batch.sent_at = timezone.now()
    batch.save(update_fields=["status", "sent_at"])
    mandate_ids = sorted(set(scheduled.values_list("mandate_id", flat=True)))
    scheduled.update(status=Debit.Status.SENT)
    for chunk in _chunks(mandate_ids):
        # After a first debit the series goes on with RCUR (a rejected first one puts the
        # mandate back to FRST); the lapse clock restarts at this collection date.
        Mandate.objects.filter(pk__in=chunk, next_sequence=SequenceType.FIRST).update(
            next_sequence=SequenceType.RECURRING
        )
        Mandate.objects.filter(pk__in=chunk).update(
            last_collection_on=Greatest(F("last_collection_on"), batch.collection_on)
        )
        Mandate.objects.filter(pk__in=chunk, last_collection_on__isnull=True).update(
            last_collection_on=batch.collection_on
        )
    return batch


@transaction.atomic
def withdraw_batch(*, batch: DebitBatch) -> DebitBatch:
    """Take back a batch not sent after all, or sent and refused whole by the bank: its
    debits stop (their invoices can be paid another way or taken by a new batch), and each
    mandate gets back the sequence and last collection date it had. No e-mail: nothing was
    debited."""
    batch = DebitBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status not in (DebitBatch.Status.READY, DebitBatch.Status.SENT):
        raise BatchError(gettext("Only a batch ready or sent to the bank can be withdrawn."))
    debits = Debit.objects.filter(batch=batch)
    if debits.filter(status__in=[Debit.Status.SETTLED, Debit.Status.REJECTED]).exists():
        raise BatchError(
            gettext(
                "Some debits of this batch are already settled or rejected: record a reject for "
                "each of the others instead."
            )
        )
    was_sent = batch.status == DebitBatch.Status.SENT
    mandate_ids = sorted(set(debits.values_list("mandate_id", flat=True)))
    first_ids = set(debits.filter(sequence=SequenceType.FIRST).values_list("mandate_id", flat=True))
    debits.update(status=Debit.Status.WITHDRAWN)
    batch.status = DebitBatch.Status.WITHDRAWN
    batch.save(update_fields=["status"])
    if was_sent:
        previous = (
            Debit.objects.filter(
                mandate=OuterRef("pk"),
                batch__status__in=[DebitBatch.Status.SENT, DebitBatch.Status.SETTLED],
            )
            .exclude(status=Debit.Status.WITHDRAWN)
            .order_by("-collection_on")
            .values("collection_on")[:1]
        )
        for chunk in _chunks(mandate_ids):
            Mandate.objects.filter(pk__in=chunk).update(last_collection_on=Subquery(previous))
            Mandate.objects.filter(pk__in=[pk for pk in chunk if pk in first_ids]).update(
                next_sequence=SequenceType.FIRST
            )
    return batch


SETTLE_CHUNK = 200
SETTLE_JOB_KIND = "direct_debits.settle_batch"


def _settleable(batch: DebitBatch) -> DebitBatch:
    batch = DebitBatch.objects.select_related("regie").get(pk=batch.pk)
    if batch.status != DebitBatch.Status.SENT:
        raise BatchError(gettext("Only a batch sent to the bank can be settled."))
    if batch.collection_on > timezone.localdate():
        raise BatchError(
            gettext("This batch is collected on {date}: confirm its settlement from then.").format(
                date=batch.collection_on.strftime("%d/%m/%Y")
            )
        )
    return batch


@transaction.atomic
def queue_settlement(*, batch: DebitBatch, recorded_by) -> DebitBatch:
    """Staff confirm the bank has paid the batch; the payments are recorded in the
    background (a job with its progress bar: 10,000 payments take minutes)."""
    from ..tasks import settle_batch_in_background

    batch = _settleable(batch)
    job = jobs.start_job(
        kind=SETTLE_JOB_KIND,
        description=gettext("Settlement of the direct debit batch of {date}").format(
            date=batch.collection_on.strftime("%d/%m/%Y")
        ),
        created_by=recorded_by,
        parameters={
            "batch_id": batch.pk,
            "language": translation.get_language() or settings.LANGUAGE_CODE,
        },
        total=batch.debit_count,
    )
    transaction.on_commit(lambda: settle_batch_in_background.enqueue(job.pk))
    return job


def run_settlement_job(*, job_id: int) -> None:
    job = jobs.claim(job_id)
    if job is None:
        return
    language = job.parameters.get("language") or settings.LANGUAGE_CODE
    with jobs.failing_on_crash(job), translation.override(language):
        batch = DebitBatch.objects.get(pk=job.parameters["batch_id"])
        try:
            batch = confirm_settlement(batch=batch, recorded_by=job.created_by, job=job)
        except BatchError as error:
            jobs.fail(job, [str(error)])
            return
        jobs.succeed(job, gettext("The payments are recorded; the invoices are paid."))


def confirm_settlement(*, batch: DebitBatch, recorded_by=None, job=None) -> DebitBatch:
    """The bank has paid the batch: each debit still running records its payment (method
    « direct debit ») on its invoice; rejected ones stay as they are. Done a few hundred
    debits per transaction: a crash leaves whole chunks settled, and running it again
    settles the rest.

    A debit whose invoice no longer owes its amount (paid another way meanwhile) records
    nothing: it is held for staff, named in the batch's errors, instead of becoming a silent
    overpayment."""
    from portail.payments.models import PaymentMethod
    from portail.payments.services import record_payment

    batch = _settleable(batch)
    done = 0
    held = []
    while True:
        with transaction.atomic():
            running = list(
                Debit.objects.select_for_update(of=("self",))
                .filter(batch=batch, status__in=Debit.RUNNING, held_for_review=False)
                .order_by("pk")[:SETTLE_CHUNK]
            )
            # The invoices are locked before their amount due is compared, as record_payment
            # and start_online_payment lock them.
            invoices = (
                Invoice.objects.select_for_update(of=("self",))
                .select_related("payer")
                .in_bulk([debit.invoice_id for debit in running])
            )
            settled, chunk_held = [], []
            for debit in running:
                debit.invoice = invoices[debit.invoice_id]
                due = due_of(debit)
                if due != debit.amount:
                    logger.error(
                        "Direct debit %s (batch %s) not recorded: the invoice owes %s, the "
                        "debit is %s; held for staff review",
                        debit.end_to_end_id,
                        batch.pk,
                        due,
                        debit.amount,
                    )
                    debit.held_for_review = True
                    chunk_held.append(debit)
                    continue
                debit.payment = record_payment(
                    regie=batch.regie,
                    payer=debit.invoice.payer,
                    method=PaymentMethod.DIRECT_DEBIT,
                    amount=debit.amount,
                    received_on=batch.collection_on,
                    invoices=[debit.invoice],
                    bank_reference=debit.end_to_end_id,
                    recorded_by=recorded_by,
                    despite_running_debit=True,
                )
                debit.status = Debit.Status.SETTLED
                settled.append(debit)
            Debit.objects.bulk_update(settled, ["payment", "status"])
            Debit.objects.bulk_update(chunk_held, ["held_for_review"])
            held += [
                gettext(
                    "Debit {reference} not recorded: invoice {number} owes {due} €, the debit is "
                    "{amount} €. Check how it was paid and refund the family if needed."
                ).format(
                    reference=debit.end_to_end_id,
                    number=debit.invoice.number,
                    due=due_of(debit),
                    amount=debit.amount,
                )
                for debit in chunk_held
            ]
        if not running:
            break
        done += len(running)
        if job is not None:
            jobs.advance(job, done)
    with transaction.atomic():
        batch = DebitBatch.objects.select_for_update().get(pk=batch.pk)
        batch.status = DebitBatch.Status.SETTLED
        batch.settled_at = timezone.now()
        batch.errors = [*batch.errors, *held]
        batch.save(update_fields=["status", "settled_at", "errors"])
    return batch


def due_of(debit: Debit) -> Decimal:
    """What the debit's invoice still owes (nothing once it is paid or cancelled)."""
    return debit.invoice.amount_due if debit.invoice.is_payable else ZERO
