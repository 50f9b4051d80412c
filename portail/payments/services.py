"""Every write about money received: counter payments, credit used, refunds."""

import hashlib
import logging
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from portail.billing.models import ZERO, CreditNote, Invoice, NumberSequence
from portail.billing.services import (
    CENT,
    BillingError,
    format_number,
    set_invoice_status,
    take_numbers,
)
from portail.lib.money import format_euros

from . import payfip
from .models import OnlinePayment, Payment, PaymentAllocation, PaymentMethod

logger = logging.getLogger(__name__)


def _allocate(payment: Payment, invoices: list[Invoice]) -> None:
    """Spread the payment over the (locked) invoices in order, never beyond what each owes."""
    remaining = payment.amount - payment.allocated_amount
    allocations = []
    for invoice in invoices:
        if remaining <= 0:
            break
        if not invoice.is_payable:
            continue
        share = min(remaining, invoice.amount_due)
        if share <= 0:
            continue
        allocations.append(PaymentAllocation(payment=payment, invoice=invoice, amount=share))
        invoice.amount_paid += share
        set_invoice_status(invoice)
        invoice.save(update_fields=["amount_paid", "status"])
        remaining -= share
    PaymentAllocation.objects.bulk_create(allocations)
    payment.allocated_amount = payment.amount - remaining
    payment.save(update_fields=["allocated_amount"])


def _locked_invoices(*, regie, payer, invoices: Iterable[Invoice] | None) -> list[Invoice]:
    queryset = Invoice.objects.select_for_update().filter(regie=regie, payer=payer)
    if invoices is None:
        queryset = queryset.unpaid()
        return list(queryset.order_by("due_on", "issued_on", "pk"))
    wanted = [invoice.pk for invoice in invoices]
    found = {invoice.pk: invoice for invoice in queryset.filter(pk__in=wanted)}
    missing = [pk for pk in wanted if pk not in found]
    if missing:
        raise BillingError("Un paiement ne règle que des factures de ce payeur dans cette régie.")
    return [found[pk] for pk in wanted]


def _in_running_debit(invoice_ids: list[int]) -> set[int]:
    """The invoices (of these) a direct debit on its way will pay."""
    from portail.direct_debits.models import Debit

    if not invoice_ids:
        return set()
    return set(
        Debit.objects.filter(invoice_id__in=invoice_ids, status__in=Debit.RUNNING).values_list(
            "invoice_id", flat=True
        )
    )


def _receipt_number(regie, received_on: date) -> str:
    number = take_numbers(
        regie=regie, series=NumberSequence.Series.RECEIPT, year=received_on.year, count=1
    )[0]
    return format_number(regie.receipt_number_format, year=received_on.year, number=number)


@transaction.atomic
def record_payment(
    *,
    regie,
    payer,
    method: str,
    amount: Decimal,
    received_on: date | None = None,
    invoices: Iterable[Invoice] | None = None,
    bank_reference: str = "",
    recorded_by=None,
    credit_note: CreditNote | None = None,
    despite_running_debit: bool = False,
) -> Payment:
    """Record money received and settle invoices with it: the given ones in order, else
    the payer's unpaid invoices of the régie, oldest due first. What is left over stays on
    the payment as an overpayment staff can see.

    An invoice a direct debit on its way will pay cannot be paid another way (the family
    would pay twice): given, it is refused; chosen by default, it is skipped. Only the
    debit's own settlement and a card payment the bank already took pass
    ``despite_running_debit``."""
    from .tasks import render_receipt_pdf

    amount = Decimal(amount).quantize(CENT)
    if amount <= 0:
        raise BillingError("Le montant d'un paiement doit être positif.")
    if method not in PaymentMethod.values:
        raise BillingError(f"Moyen de paiement inconnu : {method}.")
    received_on = received_on or timezone.localdate()
    locked = _locked_invoices(regie=regie, payer=payer, invoices=invoices)
    if not despite_running_debit:
        debited = _in_running_debit([invoice.pk for invoice in locked])
        if debited and invoices is not None:
            numbers = ", ".join(invoice.number for invoice in locked if invoice.pk in debited)
            raise BillingError(
                f"La facture {numbers} est dans un prélèvement en cours : elle sera payée par "
                "prélèvement. Attendez son résultat (ou un rejet) avant d'encaisser un autre "
                "paiement."
            )
        locked = [invoice for invoice in locked if invoice.pk not in debited]
    payment = Payment.objects.create(
        regie=regie,
        household_id=payer.household_id,
        payer=payer,
        method=method,
        amount=amount,
        received_on=received_on,
        bank_reference=bank_reference.strip(),
        receipt_number=_receipt_number(regie, received_on),
        credit_note=credit_note,
        recorded_by=recorded_by,
    )
    _allocate(payment, locked)
    transaction.on_commit(lambda: render_receipt_pdf.enqueue(payment.pk))
    return payment


@transaction.atomic
def use_credit_note(
    *, credit_note: CreditNote, invoice: Invoice, amount: Decimal | None = None, recorded_by=None
) -> Payment:
    """Settle a later invoice of the same payer with the credit an avoir left."""
    note = CreditNote.objects.select_for_update().get(pk=credit_note.pk)
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.payer_id != note.payer_id or invoice.regie_id != note.regie_id:
        raise BillingError("Un avoir ne règle que des factures du même payeur et de la même régie.")
    amount = min(
        Decimal(amount).quantize(CENT) if amount is not None else note.available_credit,
        note.available_credit,
        invoice.amount_due,
    )
    if amount <= ZERO:
        raise BillingError(
            f"Rien à imputer : l'avoir {note.number} n'a plus de crédit "
            f"ou la facture {invoice.number} est déjà réglée."
        )
    CreditNote.objects.filter(pk=note.pk).update(used_amount=F("used_amount") + amount)
    return record_payment(
        regie=invoice.regie,
        payer=invoice.payer,
        method=PaymentMethod.CREDIT_NOTE,
        amount=amount,
        invoices=[invoice],
        bank_reference=note.number,
        recorded_by=recorded_by,
        credit_note=note,
    )


@transaction.atomic
def refund_credit_note(*, credit_note: CreditNote, amount: Decimal, recorded_by=None) -> CreditNote:
    """Record that the régie paid back (part of) a credit to the family."""
    note = CreditNote.objects.select_for_update().get(pk=credit_note.pk)
    amount = Decimal(amount).quantize(CENT)
    if amount <= 0 or amount > note.available_credit:
        raise BillingError(
            f"Le remboursement doit être compris entre 0,01 € et le crédit restant "
            f"({note.available_credit} €)."
        )
    note.refunded_amount += amount
    note.save(update_fields=["refunded_amount"])
    return note


def store_receipt_pdf(*, payment_id: int) -> Payment:
    from portail.billing import pdf

    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update(of=("self",))
            .select_related("regie", "household", "payer__user")
            .get(pk=payment_id)
        )
        if payment.receipt_pdf:
            return payment
        content = pdf.render_receipt(payment)
        name = "recu-" + "".join(
            c if c.isalnum() or c in "-_" else "-" for c in payment.receipt_number
        )
        payment.receipt_pdf.save(f"{name}.pdf", ContentFile(content), save=False)
        payment.receipt_sha256 = hashlib.sha256(content).hexdigest()
        payment.save(update_fields=["receipt_pdf", "receipt_sha256"])
        return payment


# --- Online payment (PayFiP) -------------------------------------------------------------
#
# An attempt (OnlinePayment) is written before PayFiP is asked for an idop, so nothing is
# ever « in progress » without a trace. Its result always comes from PayFiP itself
# (recupererDetailPaiementSecurise), whoever brings the news: the notification, the family's
# return, or the reconciliation pass. Results are applied under a lock on the invoice then the
# attempt, and a paid attempt points to its Payment through a one-to-one link, so the same
# result applied twice, or ten times at once, records one payment.

RECONCILE_FROM = timedelta(minutes=5)
RECONCILE_UNTIL = timedelta(hours=3)


class OnlinePaymentError(Exception):
    """Why an online payment cannot start, in a sentence for the family."""


class OnlinePaymentInProgress(OnlinePaymentError):
    def __init__(self, message: str, online_payment: OnlinePayment | None = None):
        super().__init__(message)
        self.online_payment = online_payment


def _absolute(name: str, reference) -> str:
    return settings.SITE_URL + reverse(name, kwargs={"reference": reference})


def _payer_email(invoice: Invoice, user) -> str:
    payer = invoice.payer
    for email in (payer.email, payer.user.email if payer.user_id else "", user.email):
        email = (email or "").strip()
        if "@" in email and 6 <= len(email) <= 80:
            return email
    return ""


def _subject(invoice: Invoice) -> str:
    return gettext("Invoice {number} {kind}").format(number=invoice.number, kind=invoice.kind.label)


def _release_stale_attempts(invoice: Invoice) -> None:
    """Attempts holding the invoice whose idop can no longer open PayFiP's page are asked
    about once more; those PayFiP still calls « waiting » let a new attempt start (they stay
    checked by the reconciliation until PayFiP gives their result)."""
    stale_before = timezone.now() - timedelta(minutes=payfip.IDOP_LIFETIME_MINUTES)
    for attempt in OnlinePayment.objects.filter(
        invoice=invoice,
        status__in=OnlinePayment.RUNNING,
        holds_invoice=True,
        created_at__lte=stale_before,
    ):
        refresh_online_payment(online_payment=attempt)
    OnlinePayment.objects.filter(
        invoice=invoice,
        status__in=OnlinePayment.RUNNING,
        holds_invoice=True,
        created_at__lte=stale_before,
    ).update(holds_invoice=False)


def start_online_payment(*, invoice: Invoice, user) -> OnlinePayment:
    """Open a PayFiP payment of what is left to pay on the invoice. Returns the attempt with
    ``payment_url``, the PayFiP page to send the family to. Raises OnlinePaymentError
    (nothing is recorded but the failed attempt) when it cannot start."""
    _release_stale_attempts(invoice)
    with transaction.atomic():
        locked = (
            Invoice.objects.select_for_update(of=("self",))
            .select_related("regie", "kind", "payer__user")
            .get(pk=invoice.pk)
        )
        regie = locked.regie
        if not locked.is_payable:
            raise OnlinePaymentError(gettext("This invoice has nothing left to pay."))
        if not regie.has_online_payment:
            raise OnlinePaymentError(gettext("Online payment is not available for this invoice."))
        if _in_running_debit([locked.pk]):
            raise OnlinePaymentError(
                gettext(
                    "This invoice is in a direct debit on its way: it will be paid by direct "
                    "debit, there is nothing to pay online."
                )
            )
        amount = locked.amount_due
        is_payfip = regie.online_provider == payfip.PAYFIP
        if is_payfip and not payfip.is_amount_accepted(amount):
            raise OnlinePaymentError(
                gettext(
                    "PayFiP accepts payments from {minimum} to {maximum}: please use another way "
                    "to pay this invoice."
                ).format(
                    minimum=format_euros(payfip.MINIMAL_AMOUNT),
                    maximum=format_euros(payfip.MAXIMAL_AMOUNT - CENT),
                )
            )
        email = _payer_email(locked, user)
        if not email:
            raise OnlinePaymentError(
                gettext(
                    "PayFiP needs an e-mail address to send you its receipt: please add one to "
                    "your account first."
                )
            )
        running = (
            OnlinePayment.objects.filter(
                invoice=locked, status__in=OnlinePayment.RUNNING, holds_invoice=True
            )
            .order_by("-created_at")
            .first()
        )
        if running is not None:
            raise OnlinePaymentInProgress(
                gettext(
                    "A payment of this invoice is already in progress. Please wait for its "
                    "result before trying again."
                ),
                running,
            )
        try:
            with transaction.atomic():
                attempt = OnlinePayment.objects.create(
                    invoice=locked,
                    regie=regie,
                    started_by=user,
                    amount=amount,
                    email=email,
                    refdet=payfip.refdet_for(locked.number),
                    exer=str(locked.issued_on.year),
                    mode=regie.payfip_mode
                    if is_payfip
                    else payfip.provider_mode(regie.online_provider, regie.online_provider_options),
                    provider=regie.online_provider,
                )
        except IntegrityError as error:
            raise OnlinePaymentInProgress(
                gettext(
                    "A payment of this invoice is already in progress. Please wait for its "
                    "result before trying again."
                )
            ) from error
    try:
        if is_payfip:
            created = payfip.create_payment(
                regie=regie,
                amount=attempt.amount,
                email=attempt.email,
                refdet=attempt.refdet,
                exer=attempt.exer,
                subject=_subject(locked),
                return_url=_absolute("portal:online-payment-return", attempt.reference),
                notification_url=_absolute("portal:payment-notification", attempt.reference),
            )
        else:
            created = payfip.create_form_payment(
                regie=regie,
                amount=attempt.amount,
                email=attempt.email,
                transaction_id=attempt.reference.hex,
                order_id=attempt.refdet,
                return_url=_absolute("portal:online-payment-return", attempt.reference),
                notification_url=_absolute("portal:payment-notification", attempt.reference),
            )
    except payfip.PayFiPUnavailable as error:
        logger.warning(
            "%s refused to create payment %s: %s", attempt.provider, attempt.reference, error
        )
        OnlinePayment.objects.filter(pk=attempt.pk).update(
            status=OnlinePayment.Status.ERROR,
            error=f"{error.code}: {error.message}"[:300],
            finished_at=timezone.now(),
        )
        raise OnlinePaymentError(
            gettext(
                "The PayFiP payment service cannot be reached right now, and nothing has been "
                "paid. Please try again in a few minutes, or use another way to pay."
            )
            if is_payfip
            else gettext(
                "The online payment service cannot be reached right now, and nothing has been "
                "paid. Please try again in a few minutes, or use another way to pay."
            )
        ) from error
    OnlinePayment.objects.filter(pk=attempt.pk).update(
        idop=created.idop, status=OnlinePayment.Status.WAITING
    )
    attempt.refresh_from_db()
    attempt.payment_url = created.payment_url
    # Redirect-form services: the signed form the family's browser posts (else None).
    attempt.payment_form = created.form
    return attempt


def _anomaly(attempt: OnlinePayment, result: payfip.Result) -> str:
    """What PayFiP's result says that does not match the attempt (PayFiP does not check it
    for us): the amount, the debt reference, the client number, the mode."""
    data = result.bank_data
    problems = []
    if result.amount != attempt.amount:
        problems.append(f"montant {data.get('montant')} != {payfip.to_cents(attempt.amount)}")
    if data.get("refdet") and data["refdet"] != attempt.refdet:
        problems.append(f"refdet {data['refdet']} != {attempt.refdet}")
    if data.get("numcli") and data["numcli"] != attempt.regie.payfip_client_number:
        problems.append(f"numcli {data['numcli']}")
    if data.get("saisie") and data["saisie"] != attempt.mode:
        problems.append(f"saisie {data['saisie']} != {attempt.mode}")
    return "; ".join(problems)


def apply_online_payment_result(*, online_payment_id: int, result: payfip.Result) -> OnlinePayment:
    """Apply what PayFiP said about an attempt. Idempotent: a result already applied changes
    nothing; a payment is recorded once, whatever the number of concurrent callers."""
    invoice_id = OnlinePayment.objects.values_list("invoice_id", flat=True).get(
        pk=online_payment_id
    )
    with transaction.atomic():
        # Invoice first, then the attempt: the same order as record_payment and
        # start_online_payment, so concurrent callers queue instead of deadlocking.
        Invoice.objects.select_for_update().filter(pk=invoice_id).first()
        attempt = (
            OnlinePayment.objects.select_for_update(of=("self",))
            .select_related("regie", "invoice__payer")
            .get(pk=online_payment_id)
        )
        now = timezone.now()
        attempt.checked_at = now
        fields = ["checked_at"]
        late_success = (
            result.status == OnlinePayment.Status.PAID
            and attempt.payment_id is None
            and attempt.status != OnlinePayment.Status.ERROR
        )
        if not attempt.is_running and not late_success:
            attempt.save(update_fields=fields)
            return attempt
        if result.status == OnlinePayment.Status.WAITING:
            attempt.bank_status = result.bank_status
            attempt.save(update_fields=[*fields, "bank_status"])
            return attempt
        if not attempt.is_running:
            # PAY-08: PayFiP took the money after the attempt was closed; never ignore it.
            logger.error(
                "Late PayFiP success on closed attempt %s (%s)", attempt.reference, attempt.status
            )
        attempt.bank_status = result.bank_status
        attempt.bank_data = result.bank_data
        attempt.finished_at = now
        fields += ["bank_status", "bank_data", "finished_at", "status"]
        status = result.status
        if status == OnlinePayment.Status.PAID:
            anomaly = _anomaly(attempt, result)
            if anomaly:
                logger.error(
                    "PayFiP result does not match attempt %s: %s", attempt.reference, anomaly
                )
                attempt.status = OnlinePayment.Status.ERROR
                attempt.error = f"Anomalie de paiement : {anomaly}"[:300]
                attempt.save(update_fields=[*fields, "error"])
                return attempt
            if attempt.invoice.amount_due < attempt.amount:
                # PAY-06: another payment settled the invoice meanwhile (two attempts both
                # paid). The money is recorded all the same, as an overpayment to refund.
                logger.error(
                    "Online payment %s paid on invoice %s already settled: refund needed",
                    attempt.reference,
                    attempt.invoice.number,
                )
                attempt.error = "Facture déjà réglée : trop-perçu à rembourser à la famille."
                fields.append("error")
            paid_at = result.paid_at or now
            payment = record_payment(
                regie=attempt.regie,
                payer=attempt.invoice.payer,
                method=PaymentMethod.CARD_ONLINE,
                amount=attempt.amount,
                received_on=timezone.localdate(paid_at),
                invoices=[attempt.invoice],
                bank_reference=result.numauto or attempt.idop,
                # The bank took the money: it is recorded whatever happens to a debit.
                despite_running_debit=True,
            )
            attempt.payment = payment
            fields.append("payment")
            transaction.on_commit(lambda: _notify_later(payment.pk))
        attempt.status = status
        attempt.save(update_fields=fields)
        return attempt


def _notify_later(payment_id: int) -> None:
    from .tasks import send_payment_received

    send_payment_received.enqueue(payment_id)


def refresh_online_payment(*, online_payment: OnlinePayment) -> OnlinePayment:
    """Ask PayFiP about a running attempt and apply its answer. When PayFiP cannot be
    reached nothing changes: the next check (return page, reconciliation) asks again.
    The redirect-form services cannot be asked: their result comes with their notification."""
    if not online_payment.idop or online_payment.provider != payfip.PAYFIP:
        return online_payment
    try:
        result = payfip.fetch_result(
            regie=online_payment.regie,
            idop=online_payment.idop,
            started_at=online_payment.created_at,
        )
    except payfip.PayFiPUnavailable as error:
        logger.warning("PayFiP did not answer about %s: %s", online_payment.reference, error)
        OnlinePayment.objects.filter(pk=online_payment.pk).update(checked_at=timezone.now())
        return online_payment
    return apply_online_payment_result(online_payment_id=online_payment.pk, result=result)


def handle_payfip_notification(*, reference, idop: str) -> OnlinePayment | None:
    """PayFiP says « something happened to idop ». Nothing in the notification is trusted:
    the attempt must exist and carry that idop, and its result is asked from PayFiP."""
    attempt = OnlinePayment.objects.select_related("regie").filter(reference=reference).first()
    if attempt is None or not idop or attempt.idop != idop:
        logger.warning("PayFiP notification ignored: attempt %s, idop %r", reference, idop[:80])
        return None
    if attempt.payment_id is not None:
        return attempt
    # Closed attempts are asked again too: PayFiP may take the money after we gave up
    # (a late success is recorded, never ignored).
    return refresh_online_payment(online_payment=attempt)


def handle_provider_response(*, reference, query_string: str) -> OnlinePayment | None:
    """A redirect-form service (SystemPay, Paybox) sent a result, to the notification URL or
    with the family's return. Applied only when eopayment verifies its signature and it is
    about this attempt; a forged response changes nothing, a replayed one is a no-op."""
    attempt = OnlinePayment.objects.select_related("regie").filter(reference=reference).first()
    if attempt is None or attempt.provider == payfip.PAYFIP or not attempt.idop:
        logger.warning("Payment service response ignored: attempt %s unknown", reference)
        return None
    try:
        result = payfip.read_form_response(
            regie=attempt.regie,
            provider=attempt.provider,
            transaction_id=attempt.idop,
            query_string=query_string,
        )
    except payfip.ForgedResponse as error:
        logger.warning("Payment service response refused for %s: %s", reference, error)
        return None
    return apply_online_payment_result(online_payment_id=attempt.pk, result=result)


def reconcile_online_payments(*, now=None) -> dict:
    """Ask PayFiP about every attempt still running between 5 minutes and 3 hours old, so a
    payment is recorded even when neither the notification nor the family came back.
    Returns how many attempts ended in each status (and « unchanged »)."""
    now = now or timezone.now()
    counts: dict[str, int] = {}
    running = OnlinePayment.objects.select_related("regie").filter(
        provider=payfip.PAYFIP,
        status__in=OnlinePayment.RUNNING,
        created_at__lte=now - RECONCILE_FROM,
        created_at__gte=now - RECONCILE_UNTIL,
    )
    for attempt in running.order_by("created_at").iterator(chunk_size=500):
        try:
            if not attempt.idop:
                # PayFiP never gave it an idop, so the family never reached its page.
                OnlinePayment.objects.filter(
                    pk=attempt.pk, status=OnlinePayment.Status.CREATED, idop=""
                ).update(
                    status=OnlinePayment.Status.ERROR,
                    error="Pas d'idop : PayFiP n'a jamais reçu cette demande.",
                    finished_at=now,
                )
                outcome = OnlinePayment.Status.ERROR
            else:
                before = attempt.status
                outcome = refresh_online_payment(online_payment=attempt).status
                if outcome == before:
                    outcome = "unchanged"
        except Exception:  # one bad attempt never stops the pass
            logger.exception("Reconciliation of online payment %s failed", attempt.reference)
            outcome = "failed"
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


# --- Direct debit returned after settlement (portail/direct_debits) ------------------------


@transaction.atomic
def cancel_direct_debit_payment(*, payment: Payment) -> str:
    """The bank took back a settled direct debit (a return or a refund): the invoices it
    settled owe again what it paid, and the payment is removed, since the money never stayed.
    Returns its receipt number, which the debit keeps as a trace."""
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.method != PaymentMethod.DIRECT_DEBIT:
        raise BillingError("Seul un paiement par prélèvement peut être annulé par un rejet.")
    allocations = list(payment.allocations.all())
    invoices = {
        invoice.pk: invoice
        for invoice in Invoice.objects.select_for_update().filter(
            pk__in=[allocation.invoice_id for allocation in allocations]
        )
    }
    for allocation in allocations:
        invoice = invoices[allocation.invoice_id]
        invoice.amount_paid -= allocation.amount
        set_invoice_status(invoice)
        invoice.save(update_fields=["amount_paid", "status"])
    receipt_number = payment.receipt_number
    PaymentAllocation.objects.filter(payment=payment).delete()
    if payment.receipt_pdf:
        # The file goes only once the removal is committed: a rollback keeps the payment,
        # which must keep its receipt.
        storage, name = payment.receipt_pdf.storage, payment.receipt_pdf.name
        transaction.on_commit(lambda: storage.delete(name))
    payment.delete()
    return receipt_number
