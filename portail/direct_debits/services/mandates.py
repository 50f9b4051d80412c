"""Mandates: asked for online, signed with a one-time code sent by e-mail, validated by staff
when the régie wants it, revoked, replaced (change of account), suspended and lapsed.

A family signs by typing the code e-mailed to them on a page that shows the whole mandate:
the evidence kept is the person, their IP address, the time the code was checked and the PDF
of the mandate as signed, with its SHA-256 (DOMAIN.md §2.3)."""

import hashlib
import logging
import secrets
from datetime import date, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext

from portail.lib.encryption import encrypt_bytes

from .. import notifications as emails
from ..models import CreditorSettings, Mandate, SequenceType, SignatureCode

logger = logging.getLogger(__name__)

CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=10)
CODE_MAX_ATTEMPTS = 5
# A new code may be asked for once a minute, five times per request at most.
RESEND_INTERVAL = timedelta(minutes=1)
MAX_SENDS = 5
LAPSE_AFTER_MONTHS = 36
HOUSEHOLD_CODE_LENGTH = 12


class MandateError(Exception):
    """Why a mandate operation cannot be done, in a sentence for the person who asked."""


def creditor_settings_for(regie) -> CreditorSettings | None:
    return CreditorSettings.objects.filter(regie=regie).first()


def _code_hash(signature_reference, code: str) -> str:
    return salted_hmac(
        "portail.direct_debits.signature_code",
        f"{signature_reference}:{code}",
        algorithm="sha256",
    ).hexdigest()


def _new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def person_email(payer, user=None) -> str:
    for email in (
        payer.email,
        payer.user.email if payer.user_id else "",
        user.email if user else "",
    ):
        email = (email or "").strip()
        if "@" in email:
            return email
    return ""


def _language(user) -> str:
    return getattr(user, "language", "") or settings.LANGUAGE_CODE


def checked_account(*, iban: str, bic: str = "") -> tuple:
    """(IbanInfo, BIC) for what a family typed; raises ValidationError with their words."""
    from ..identifiers import check_bic, check_iban

    info = check_iban(iban)
    bic = check_bic(bic) if (bic or "").strip() else (info.bic or "")
    return info, bic


@transaction.atomic
def request_mandate(
    *,
    user,
    payer,
    regie,
    holder_name: str,
    holder_address: str,
    iban: str,
    bic: str = "",
    replaces: Mandate | None = None,
) -> SignatureCode:
    """Record what the family typed and e-mail them the code that signs the mandate.
    Raises MandateError (or ValidationError for a wrong IBAN/BIC)."""
    if payer.user_id != user.pk:
        raise MandateError(gettext("Only the payer can sign a mandate for their account."))
    creditor = creditor_settings_for(regie)
    if creditor is None or not regie.accepts_direct_debit:
        raise MandateError(gettext("This régie does not collect by direct debit."))
    if replaces is not None:
        if replaces.payer_id != payer.pk or not replaces.is_live:
            raise MandateError(gettext("This mandate can no longer be changed."))
    elif Mandate.objects.live().filter(payer=payer, regie=regie).exists():
        raise MandateError(
            gettext("You already have a direct debit mandate: change its account instead.")
        )
    info, bic = checked_account(iban=iban, bic=bic)
    email = person_email(payer, user)
    if not email:
        raise MandateError(gettext("We need your e-mail address to send you the signature code."))
    holder_name = " ".join(holder_name.split())[:70]
    if not holder_name or not holder_address.strip():
        raise MandateError(gettext("Enter the account holder's name and address."))
    now = timezone.now()
    # A new request ends the codes of earlier ones: only the latest mandate can be signed.
    SignatureCode.objects.filter(user=user, payer=payer, used_at__isnull=True).update(
        expires_at=now
    )
    code = _new_code()
    signature = SignatureCode(
        user=user,
        regie=regie,
        payer=payer,
        replaces=replaces,
        holder_name=holder_name,
        holder_address=holder_address.strip(),
        iban=info.compact,
        iban_last4=info.last4,
        bic=bic,
        sent_at=now,
        expires_at=now + CODE_LIFETIME,
    )
    signature.code_hash = _code_hash(signature.reference, code)
    signature.save()
    emails.send_signature_code(
        to=email, language=_language(user), payer=payer, code=code, creditor=creditor
    )
    return signature


def _refuse_superseded(signature: SignatureCode) -> None:
    """A request replaced by a newer one of the same payer can neither be signed nor get a
    new code (its expiry alone would be undone by « resend the code »)."""
    if SignatureCode.objects.filter(
        user_id=signature.user_id, payer_id=signature.payer_id, pk__gt=signature.pk
    ).exists():
        raise MandateError(
            gettext(
                "You made a newer request since: use the code of your latest request, or start "
                "again."
            )
        )


@transaction.atomic
def resend_signature_code(*, signature: SignatureCode) -> SignatureCode:
    """A new code for the same mandate, at most once a minute and five times in all."""
    signature = (
        SignatureCode.objects.select_for_update(of=("self",))
        .select_related("payer__user", "regie", "user")
        .get(pk=signature.pk)
    )
    now = timezone.now()
    if signature.used_at is not None:
        raise MandateError(gettext("This mandate is already signed."))
    _refuse_superseded(signature)
    if signature.sent_count >= MAX_SENDS:
        raise MandateError(
            gettext("Too many codes were sent for this mandate: please start again.")
        )
    if signature.sent_at > now - RESEND_INTERVAL:
        raise MandateError(
            gettext("A code was sent less than a minute ago: please wait before asking again.")
        )
    code = _new_code()
    signature.code_hash = _code_hash(signature.reference, code)
    signature.sent_at = now
    signature.expires_at = now + CODE_LIFETIME
    signature.sent_count += 1
    signature.attempts = 0
    signature.save(update_fields=["code_hash", "sent_at", "expires_at", "sent_count", "attempts"])
    emails.send_signature_code(
        to=person_email(signature.payer, signature.user),
        language=_language(signature.user),
        payer=signature.payer,
        code=code,
        creditor=creditor_settings_for(signature.regie),
    )
    return signature


def _household_code(household) -> str:
    return (household.external_code or f"F{household.pk:05d}")[:HOUSEHOLD_CODE_LENGTH]


def _take_rum(regie, household) -> str:
    """The next RUM of the creditor: its counter row stays locked until commit, so two
    signatures never get the same number, and a number is never given twice."""
    from ..identifiers import make_rum

    creditor = CreditorSettings.objects.select_for_update().get(regie=regie)
    creditor.last_rum_number += 1
    creditor.save(update_fields=["last_rum_number"])
    return make_rum(
        prefix=creditor.effective_rum_prefix,
        household_code=_household_code(household),
        sequence=creditor.last_rum_number,
    )


def mandate_texts(creditor: CreditorSettings) -> dict:
    """The legal texts of the mandate, as shown on the consent page and printed on the PDF."""
    return {
        "title": gettext("SEPA Direct Debit Mandate"),
        "authorisation_text": gettext(
            "By signing this mandate form, you authorise (A) {creditor} to send instructions "
            "to your bank to debit your account and (B) your bank to debit your account in "
            "accordance with the instructions from {creditor}."
        ).format(creditor=creditor.creditor_name),
        "rights_text": gettext(
            "As part of your rights, you are entitled to a refund from your bank under the "
            "terms and conditions of your agreement with your bank. A refund must be claimed "
            "within 8 weeks starting from the date on which your account was debited. For an "
            "unauthorised debit, you may claim a refund within 13 months."
        ),
    }


def _render_pdf(mandate: Mandate, creditor: CreditorSettings, signed_by_name: str) -> bytes:
    from ..pdf import MandateDocument, render_mandate_pdf

    texts = mandate_texts(creditor)
    return render_mandate_pdf(
        MandateDocument(
            rum=mandate.rum,
            creditor_name=creditor.creditor_name,
            creditor_address=creditor.creditor_address,
            ics=creditor.ics,
            debtor_name=mandate.holder_name,
            debtor_address=mandate.holder_address,
            iban=mandate.iban,
            bic=mandate.bic,
            payment_type_label=gettext("Recurrent payment"),
            signed_at=mandate.signed_at,
            signed_by=signed_by_name,
            authorisation_text=texts["authorisation_text"],
            rights_text=texts["rights_text"],
            title=texts["title"],
        )
    )


def sign_mandate(*, signature: SignatureCode, code: str, ip_address: str | None) -> Mandate:
    """Check the code and, when it is right, create the mandate with its RUM and PDF and
    e-mail the PDF. A wrong code counts as a try even though it raises MandateError."""
    with transaction.atomic():
        locked = (
            SignatureCode.objects.select_for_update(of=("self",))
            .select_related("payer__household", "payer__user", "regie", "user", "replaces")
            .get(pk=signature.pk)
        )
        now = timezone.now()
        if locked.used_at is not None:
            raise MandateError(gettext("This code has already been used."))
        _refuse_superseded(locked)
        if locked.attempts >= CODE_MAX_ATTEMPTS:
            raise MandateError(
                gettext("Too many wrong codes: ask for a new code to sign your mandate.")
            )
        if locked.expires_at <= now:
            raise MandateError(gettext("This code has expired: ask for a new one."))
        typed = "".join((code or "").split())
        if not constant_time_compare(_code_hash(locked.reference, typed), locked.code_hash):
            locked.attempts += 1
            locked.save(update_fields=["attempts"])
            left = CODE_MAX_ATTEMPTS - locked.attempts
            wrong = True
        else:
            wrong = False
            mandate = _create_signed_mandate(locked, now=now, ip_address=ip_address)
    if wrong:
        if left <= 0:
            raise MandateError(
                gettext("Too many wrong codes: ask for a new code to sign your mandate.")
            )
        raise MandateError(
            gettext("This code is not the one we sent. Tries left: {count}.").format(count=left)
        )
    return mandate


def _create_signed_mandate(signature: SignatureCode, *, now, ip_address) -> Mandate:
    payer = signature.payer
    regie = signature.regie
    creditor = CreditorSettings.objects.get(regie=regie)
    replaced = signature.replaces
    if replaced is not None:
        replaced = Mandate.objects.select_for_update().get(pk=replaced.pk)
        if not replaced.is_live:
            raise MandateError(gettext("This mandate can no longer be changed."))
        _end(replaced, Mandate.Status.REVOKED, gettext("Replaced by a new account."), now)
    status = Mandate.Status.PENDING if creditor.mandates_need_validation else Mandate.Status.ACTIVE
    try:
        with transaction.atomic():
            mandate = Mandate.objects.create(
                regie=regie,
                household=payer.household,
                payer=payer,
                rum=_take_rum(regie, payer.household),
                status=status,
                holder_name=signature.holder_name,
                holder_address=signature.holder_address,
                iban=signature.iban,
                iban_last4=signature.iban_last4,
                bic=signature.bic,
                next_sequence=SequenceType.FIRST,
                signed_at=now,
                effective_on=replaced.effective_on
                if replaced is not None
                else timezone.localdate(now),
                signed_by=signature.user,
                signed_from_ip=ip_address or None,
                code_verified_at=now,
                replaces=replaced,
            )
    except IntegrityError as error:
        raise MandateError(
            gettext("You already have a direct debit mandate: change its account instead.")
        ) from error
    signer = payer.full_name
    content = _render_pdf(mandate, creditor, signer)
    # Stored encrypted: the PDF shows the whole IBAN (the hash is the plain PDF's).
    mandate.pdf.save(
        f"mandat-{mandate.rum}.pdf.enc", ContentFile(encrypt_bytes(content)), save=False
    )
    mandate.pdf_sha256 = hashlib.sha256(content).hexdigest()
    mandate.save(update_fields=["pdf", "pdf_sha256"])
    signature.used_at = now
    signature.mandate = mandate
    signature.save(update_fields=["used_at", "mandate"])
    emails.send_mandate_signed(mandate=mandate, creditor=creditor, pdf=content, user=signature.user)
    return mandate


def _end(mandate: Mandate, status: str, reason: str, now) -> Mandate:
    mandate.status = status
    mandate.ended_at = now
    mandate.end_reason = reason[:200]
    mandate.save(update_fields=["status", "ended_at", "end_reason"])
    return mandate


def _locked(mandate: Mandate) -> Mandate:
    return (
        Mandate.objects.select_for_update(of=("self",))
        .select_related("payer__user", "household", "regie")
        .get(pk=mandate.pk)
    )


@transaction.atomic
def validate_mandate(*, mandate: Mandate, validated_by) -> Mandate:
    mandate = _locked(mandate)
    if mandate.status != Mandate.Status.PENDING:
        raise MandateError(
            gettext("Only a mandate waiting for validation can be validated ({rum}).").format(
                rum=mandate.rum
            )
        )
    mandate.status = Mandate.Status.ACTIVE
    mandate.validated_at = timezone.now()
    mandate.validated_by = validated_by
    mandate.save(update_fields=["status", "validated_at", "validated_by"])
    return mandate


@transaction.atomic
def revoke_mandate(*, mandate: Mandate, reason: str = "", revoked_by=None) -> Mandate:
    """The family (or staff at their request) ends the mandate: no new debit is taken."""
    mandate = _locked(mandate)
    if mandate.status in (Mandate.Status.REVOKED, Mandate.Status.LAPSED):
        raise MandateError(gettext("This mandate has already ended."))
    return _end(mandate, Mandate.Status.REVOKED, reason or gettext("Revoked."), timezone.now())


@transaction.atomic
def suspend_mandate(*, mandate: Mandate, reason: str, notify: bool = True) -> Mandate:
    """No more debits on this mandate until the family signs a new one; invoices stay payable
    by the other means. The family is told."""
    mandate = _locked(mandate)
    if mandate.status not in (Mandate.Status.PENDING, Mandate.Status.ACTIVE):
        raise MandateError(gettext("Only a current mandate can be suspended."))
    mandate.status = Mandate.Status.SUSPENDED
    mandate.end_reason = reason[:200]
    mandate.save(update_fields=["status", "end_reason"])
    if notify:
        emails.send_mandate_suspended(mandate=mandate, reason=reason)
    return mandate


def lapse_date(today: date) -> date:
    """Mandates with no collection since before this date lapse (36 months)."""
    months = today.year * 12 + today.month - 1 - LAPSE_AFTER_MONTHS
    year, month = divmod(months, 12)
    day = min(today.day, 28)
    return date(year, month + 1, day)


@transaction.atomic
def lapse_mandates(*, today: date | None = None) -> int:
    """A recurrent mandate with no collection presented for 36 months lapses (counted from
    the last collection date, or from the signature when there was none). Returns how many."""
    today = today or timezone.localdate()
    limit = lapse_date(today)
    stale = (
        Mandate.objects.exclude(status__in=[Mandate.Status.REVOKED, Mandate.Status.LAPSED])
        .annotate(last_on=Coalesce("last_collection_on", TruncDate("signed_at")))
        .filter(last_on__lt=limit)
    )
    return Mandate.objects.filter(pk__in=list(stale.values_list("pk", flat=True))).update(
        status=Mandate.Status.LAPSED,
        ended_at=timezone.now(),
        end_reason=gettext("No collection for 36 months."),
    )
