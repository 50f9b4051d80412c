"""Direct debit for the demo: the régie's creditor settings (a test ICS and account), and
another household already paying by direct debit (an active mandate and a settled debit), so
that « MES PRÉLÈVEMENTS » has something to show; the demo family (camille.martin) has no
mandate and sets one up online. Idempotent: nothing is created twice."""

import hashlib
from datetime import date, datetime, time, timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from portail.billing.models import Invoice, Regie
from portail.direct_debits.models import (
    CreditorSettings,
    Debit,
    DebitBatch,
    Mandate,
    SequenceType,
)
from portail.direct_debits.sepa import Creditor, DebitLine, build_pain008
from portail.direct_debits.services import confirm_settlement
from portail.households.models import Household

# Test identifiers only: the ICS of the EPC examples and an IBAN with a valid RIB key.
DEMO_ICS = "FR72ZZZ123456"
DEMO_CREDITOR_IBAN = "FR1420041010050500013M02606"
DEMO_CREDITOR_BIC = "PSSTFRPP"
DEMO_DEBTOR_IBAN = "FR7630006000011234567890189"
DEMO_DEBTOR_BIC = "AGRIFRPPXXX"
DEMO_RUM = "TILLEULS-DEMO-001"


def seed_direct_debits(*, regie: Regie, households: list[Household], today: date) -> None:
    creditor, _created = CreditorSettings.objects.get_or_create(
        regie=regie,
        defaults={
            "creditor_name": regie.name[:70],
            "creditor_address": regie.address or regie.name,
            "ics": DEMO_ICS,
            "creditor_iban": DEMO_CREDITOR_IBAN,
            "creditor_iban_last4": DEMO_CREDITOR_IBAN[-4:],
            "creditor_bic": DEMO_CREDITOR_BIC,
            "rum_prefix": "TILLEULS",
        },
    )
    if Mandate.objects.filter(rum=DEMO_RUM).exists():
        return
    # A household other than the demo family's, with an unpaid invoice to have been debited.
    invoice = (
        Invoice.objects.filter(regie=regie, household__in=households[2:])
        .unpaid()
        .select_related("payer__household", "payer__user")
        .order_by("pk")
        .first()
    )
    if invoice is None:
        return
    payer = invoice.payer
    signed_on = invoice.issued_on - timedelta(days=20)
    signed_at = timezone.make_aware(datetime.combine(signed_on, time(10, 30)))
    mandate = Mandate.objects.create(
        regie=regie,
        household=payer.household,
        payer=payer,
        rum=DEMO_RUM,
        status=Mandate.Status.ACTIVE,
        holder_name=f"{payer.first_name} {payer.last_name}",
        holder_address="\n".join(payer.address_lines),
        iban=DEMO_DEBTOR_IBAN,
        iban_last4=DEMO_DEBTOR_IBAN[-4:],
        bic=DEMO_DEBTOR_BIC,
        next_sequence=SequenceType.RECURRING,
        signed_at=signed_at,
        effective_on=signed_on,
        signed_by=payer.user,
        code_verified_at=signed_at,
    )
    collection_on = min(invoice.due_on or today, today - timedelta(days=1))
    batch = DebitBatch.objects.create(
        regie=regie,
        collection_on=collection_on,
        message_id=f"PF{regie.pk}-DEMO-{collection_on:%Y%m%d}",
        debit_count=1,
        total_amount=invoice.amount_due,
    )
    end_to_end_id = f"B{batch.pk}-00001-{invoice.number}"[:35]
    content = build_pain008(
        creditor=Creditor(
            name=creditor.creditor_name,
            iban=creditor.creditor_iban,
            bic=creditor.creditor_bic,
            ics=creditor.ics,
        ),
        lines=[
            DebitLine(
                end_to_end_id=end_to_end_id,
                amount=invoice.amount_due,
                debtor_name=mandate.holder_name,
                debtor_iban=mandate.iban,
                debtor_bic=mandate.bic,
                rum=mandate.rum,
                mandate_signed_on=signed_on,
                sequence=SequenceType.FIRST,
                collection_on=collection_on,
                description=f"Facture {invoice.number}",
            )
        ],
        message_id=batch.message_id,
    )
    batch.xml_file.save(f"{batch.message_id}.xml", ContentFile(content), save=False)
    batch.xml_sha256 = hashlib.sha256(content).hexdigest()
    batch.status = DebitBatch.Status.SENT
    batch.sent_at = timezone.now()
    batch.save(update_fields=["xml_file", "xml_sha256", "status", "sent_at"])
    Debit.objects.create(
        batch=batch,
        invoice=invoice,
        mandate=mandate,
        amount=invoice.amount_due,
        sequence=SequenceType.FIRST,
        collection_on=collection_on,
        end_to_end_id=end_to_end_id,
        status=Debit.Status.SENT,
        prenotified_at=timezone.now(),
    )
    Mandate.objects.filter(pk=mandate.pk).update(last_collection_on=collection_on)
    confirm_settlement(batch=batch)
