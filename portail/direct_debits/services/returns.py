"""Rejects and returns (R-transactions): entered by hand or imported from the bank's file
(pain.002 before settlement, camt.054 after). Each one puts its invoice back to unpaid
(cancelling the payment when the debit had been settled), records the reason code, tells the
family in plain French, and suspends the mandate at once for a suspending code (closed
account, no mandate…) or after the régie's number of counting rejects (insufficient funds,
refusal…) within twelve months (DOMAIN.md §2.8–2.9)."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from .. import notifications
from ..models import CreditorSettings, Debit, Mandate, SequenceType
from .mandates import MandateError, suspend_mandate

COUNTING_WINDOW = timedelta(days=365)


class RejectError(MandateError):
    """A reject that cannot be recorded, or a return file refused whole (``errors``)."""

    def __init__(self, message: str, errors: list[str] | None = None):
        super().__init__(message)
        self.errors = errors or [message]


@dataclass
class ImportOutcome:
    recorded: list[Debit] = field(default_factory=list)
    already_known: list[str] = field(default_factory=list)
    suspended: list[Mandate] = field(default_factory=list)


def _check_code(code: str) -> str:
    code = (code or "").strip().upper()
    if not (len(code) == 4 and code.isalnum()):
        raise RejectError(gettext("A reason code has 4 letters or digits, e.g. AM04."))
    return code


def _apply_reject(debit: Debit, *, code: str, rejected_on: date) -> Mandate | None:
    """Record one reject on a locked debit; returns the mandate when it got suspended."""
    from portail.payments.services import cancel_direct_debit_payment

    from ..bank_returns import reason_label

    settled_payment = debit.payment if debit.status == Debit.Status.SETTLED else None
    if settled_payment is not None:
        debit.cancelled_receipt_number = settled_payment.receipt_number
    debit.status = Debit.Status.REJECTED
    debit.reject_code = code
    debit.rejected_on = rejected_on
    debit.payment = None
    debit.save(
        update_fields=[
            "status",
            "reject_code",
            "rejected_on",
            "payment",
            "cancelled_receipt_number",
        ]
    )
    if settled_payment is not None:
        # The bank took the money back: the invoice owes it again.
        cancel_direct_debit_payment(payment=settled_payment)
    mandate = Mandate.objects.select_for_update().get(pk=debit.mandate_id)
    if (
        debit.sequence == SequenceType.FIRST
        and not mandate.debits.filter(status=Debit.Status.SETTLED).exists()
    ):
        # The series never started: the next presentation is a first one again.
        Mandate.objects.filter(pk=mandate.pk).update(next_sequence=SequenceType.FIRST)
    label = str(reason_label(code))
    suspended = _suspension(mandate, code=code, label=label, rejected_on=rejected_on)
    mandate.refresh_from_db(fields=["status"])
    notifications.send_debit_rejected(
        debit=debit, reason=label, represented=_represented(debit, mandate)
    )
    return suspended


def _suspension(mandate: Mandate, *, code: str, label: str, rejected_on: date) -> Mandate | None:
    from ..bank_returns import COUNTING_CODES, SUSPENDING_CODES

    if mandate.status not in (Mandate.Status.ACTIVE, Mandate.Status.PENDING):
        return None
    if code in SUSPENDING_CODES:
        return suspend_mandate(mandate=mandate, reason=label)
    if code in COUNTING_CODES:
        creditor = CreditorSettings.objects.get(regie_id=mandate.regie_id)
        counted = mandate.debits.filter(
            status=Debit.Status.REJECTED,
            reject_code__in=list(COUNTING_CODES),
            rejected_on__gte=rejected_on - COUNTING_WINDOW,
        ).count()
        if counted >= creditor.max_rejects_before_suspension:
            return suspend_mandate(
                mandate=mandate,
                reason=gettext("{count} rejected direct debits.").format(count=counted),
            )
    return None


def _represented(debit: Debit, mandate: Mandate) -> bool:
    """Whether the next batch takes the rejected invoice again (the régie presents it once
    more and the mandate still runs), else the family must pay it another way."""
    if mandate.status != Mandate.Status.ACTIVE:
        return False
    if not CreditorSettings.objects.filter(
        regie_id=mandate.regie_id, represent_rejected_once=True
    ).exists():
        return False
    return (
        Debit.objects.filter(invoice_id=debit.invoice_id, status=Debit.Status.REJECTED).count() == 1
    )


def _locked_debit(pk: int) -> Debit:
    return (
        Debit.objects.select_for_update(of=("self",))
        .select_related("invoice", "payment", "mandate__payer__user", "mandate__household")
        .get(pk=pk)
    )


@transaction.atomic
def record_reject(*, debit: Debit, code: str, rejected_on: date | None = None) -> Debit:
    """Staff enter a reject the bank reported (by letter, on the statement…)."""
    code = _check_code(code)
    debit = _locked_debit(debit.pk)
    if debit.status == Debit.Status.REJECTED:
        raise RejectError(
            gettext("The debit {reference} is already rejected.").format(
                reference=debit.end_to_end_id
            )
        )
    _apply_reject(debit, code=code, rejected_on=rejected_on or timezone.localdate())
    return debit


@transaction.atomic
def import_bank_return(*, data: bytes, regie=None) -> ImportOutcome:
    """Apply every reject of a pain.002 or camt.054 file, or none: a malformed file, an
    unknown end-to-end id or a debit of another régie refuses the whole file (RejectError
    with one message per problem). A reject already recorded with the same code is skipped,
    so importing a file twice changes nothing."""
    from ..bank_returns import BankReturnError, parse_bank_return

    try:
        returned = parse_bank_return(data)
    except BankReturnError as error:
        raise RejectError(
            gettext("The bank's file was refused; nothing was recorded."), list(error.errors)
        ) from error
    if not returned:
        raise RejectError(gettext("The bank's file holds no reject; nothing was recorded."))
    ids = [item.end_to_end_id for item in returned]
    found = {
        debit.end_to_end_id: debit
        for debit in Debit.objects.filter(end_to_end_id__in=ids).select_related("batch")
    }
    errors = []
    for item in returned:
        try:
            _check_code(item.reason_code)
        except RejectError:
            errors.append(
                gettext(
                    "The debit {reference} has a reason code that is not one: « {code} » (4 "
                    "letters or digits, e.g. AM04)."
                ).format(reference=item.end_to_end_id, code=(item.reason_code or "")[:10])
            )
        debit = found.get(item.end_to_end_id)
        if debit is None:
            errors.append(
                gettext("Unknown end-to-end id: {reference}.").format(reference=item.end_to_end_id)
            )
        elif regie is not None and debit.batch.regie_id != regie.pk:
            errors.append(
                gettext("The debit {reference} belongs to another régie.").format(
                    reference=item.end_to_end_id
                )
            )
        elif item.amount is not None and item.amount != debit.amount:
            errors.append(
                gettext(
                    "The debit {reference} was of {expected} €, the file says {amount} €."
                ).format(reference=item.end_to_end_id, expected=debit.amount, amount=item.amount)
            )
    if errors:
        raise RejectError(gettext("The bank's file was refused; nothing was recorded."), errors)
    outcome = ImportOutcome()
    today = timezone.localdate()
    for item in returned:
        debit = _locked_debit(found[item.end_to_end_id].pk)
        code = _check_code(item.reason_code)
        if debit.status == Debit.Status.REJECTED:
            outcome.already_known.append(debit.end_to_end_id)
            continue
        suspended = _apply_reject(debit, code=code, rejected_on=item.returned_on or today)
        outcome.recorded.append(debit)
        if suspended is not None:
            outcome.suspended.append(suspended)
    return outcome
