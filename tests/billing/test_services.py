"""Issuing, numbering, credit notes, counter payments and balances, through the services."""

import datetime
from decimal import Decimal

import pytest

from portail.billing.balances import household_balance
from portail.billing.models import Invoice, InvoiceLine
from portail.billing.notifications import notify_invoice_issued
from portail.billing.services import (
    BillingError,
    cancel_invoice,
    create_credit_note,
    create_draft_invoice,
    create_regie,
    issue_invoices,
    replace_draft_lines,
)
from portail.notifications.models import OutgoingEmail
from portail.payments.models import PaymentMethod
from portail.payments.services import record_payment, refund_credit_note, use_credit_note
from tests.factories import ChildFactory, GuardianFactory, HouseholdFactory

FEB = datetime.date(2022, 2, 1)


@pytest.fixture
def regie():
    return create_regie(name="Régie Petite Enfance", invoice_number_format="F{year}-{number:04d}")


@pytest.fixture
def family():
    household = HouseholdFactory(name="Famille Test")
    payer = GuardianFactory(household=household, first_name="Marie", last_name="TEST")
    child = ChildFactory(household=household, first_name="Léo", last_name="TEST")
    return household, payer, child


def hours(child, quantity, price="2.5", label="Heures d'accueil"):
    return {
        "child": child,
        "label": label,
        "quantity": Decimal(quantity),
        "unit": InvoiceLine.Unit.HOUR,
        "unit_price": Decimal(price),
    }


def draft(regie, family, *lines, kind=None):
    household, payer, child = family
    return create_draft_invoice(
        regie=regie,
        kind=kind or regie.kinds.get(label="FACTURE JEUNESSE"),
        household=household,
        payer=payer,
        period_on=FEB,
        lines=lines or [hours(child, "11.6")],
    )


def issued(regie, family, *lines, on=datetime.date(2022, 2, 9)):
    return issue_invoices(invoices=[draft(regie, family, *lines)], issued_on=on)[0]


def test_a_new_regie_has_the_two_seed_kinds(regie):
    assert list(regie.kinds.values_list("label", flat=True)) == [
        "FACTURE JEUNESSE",
        "FACTURE PÉRISCOLAIRE",
    ]


def test_line_amounts_are_rounded_half_up_to_the_cent_and_summed(regie, family):
    _household, _payer, child = family
    invoice = draft(regie, family, hours(child, "11.6", "2.5"), hours(child, "1", "0.125"))
    amounts = list(invoice.lines.values_list("amount", flat=True))
    assert amounts == [Decimal("29.00"), Decimal("0.13")]
    assert invoice.total == Decimal("29.13")
    assert invoice.status == Invoice.Status.DRAFT
    assert invoice.number == ""


def test_issuing_numbers_invoices_in_sequence_per_regie_and_year(regie, family):
    drafts = [draft(regie, family) for _ in range(3)]
    issued_invoices = issue_invoices(invoices=drafts, issued_on=datetime.date(2022, 2, 9))
    assert [i.number for i in issued_invoices] == ["F2022-0001", "F2022-0002", "F2022-0003"]
    next_year = issue_invoices(invoices=[draft(regie, family)], issued_on=datetime.date(2023, 1, 5))
    assert next_year[0].number == "F2023-0001"
    other = create_regie(name="Régie Périscolaire", invoice_number_format="P{year}-{number}")
    assert issued(other, family).number == "P2022-1"


def test_issuing_sets_due_date_payer_snapshot_and_status(regie, family):
    household, payer, _child = family
    household.address_line1 = "15 rue de la Grenette"
    household.postal_code, household.city = "74370", "EPAGNY METZ-TESSY"
    household.save()
    invoice = issued(regie, family)
    assert invoice.status == Invoice.Status.ISSUED
    assert invoice.issued_on == datetime.date(2022, 2, 9)
    assert invoice.due_on == datetime.date(2022, 3, 11)  # 30 days
    assert invoice.payer_name == payer.full_name
    assert "15 rue de la Grenette" in invoice.payer_address
    # A later move does not change the issued invoice.
    household.address_line1 = "1 place de la Mairie"
    household.save()
    invoice.refresh_from_db()
    assert "15 rue de la Grenette" in invoice.payer_address


def test_an_invoice_of_zero_is_paid_when_issued(regie, family):
    _household, _payer, child = family
    invoice = issued(regie, family, hours(child, "0"))
    assert invoice.status == Invoice.Status.PAID


def test_an_issued_invoice_cannot_be_issued_again_or_edited(regie, family):
    invoice = issued(regie, family)
    with pytest.raises(BillingError):
        issue_invoices(invoices=[invoice])
    with pytest.raises(BillingError, match="émise"):
        replace_draft_lines(invoice=invoice, lines=[])


def test_a_payer_must_belong_to_the_household(regie, family):
    household, _payer, child = family
    stranger = GuardianFactory()
    with pytest.raises(BillingError):
        create_draft_invoice(
            regie=regie,
            kind=regie.kinds.first(),
            household=household,
            payer=stranger,
            period_on=FEB,
            lines=[hours(child, "1")],
        )


def test_a_negative_total_is_refused(regie, family):
    _household, _payer, child = family
    with pytest.raises(BillingError, match="négatif"):
        draft(regie, family, hours(child, "2"), hours(child, "-3", label="Déduction"))


def test_a_credit_note_on_an_unpaid_invoice_reduces_what_is_due(regie, family):
    invoice = issued(regie, family)  # 29.00
    note = create_credit_note(invoice=invoice, amount=Decimal("4.00"), reason="Absence maladie")
    invoice.refresh_from_db()
    assert note.number.startswith("AV2")
    assert invoice.amount_due == Decimal("25.00")
    assert invoice.status == Invoice.Status.ISSUED
    assert note.applied_amount == Decimal("4.00")
    assert note.available_credit == Decimal("0.00")


def test_a_credit_note_on_a_paid_invoice_leaves_a_credit_used_on_the_next_one(regie, family):
    household, payer, child = family
    first = issued(regie, family)
    record_payment(regie=regie, payer=payer, method=PaymentMethod.CASH, amount=Decimal("29.00"))
    first.refresh_from_db()
    assert first.status == Invoice.Status.PAID
    note = create_credit_note(invoice=first, amount=Decimal("5.00"), reason="Erreur d'heures")
    assert note.available_credit == Decimal("5.00")
    assert household_balance(household).available_credit == Decimal("5.00")

    second = issued(regie, family, hours(child, "4"))  # 10.00
    payment = use_credit_note(credit_note=note, invoice=second)
    second.refresh_from_db()
    note.refresh_from_db()
    assert payment.method == PaymentMethod.CREDIT_NOTE
    assert payment.amount == Decimal("5.00")
    assert second.amount_due == Decimal("5.00")
    assert second.status == Invoice.Status.PARTIALLY_PAID
    assert note.available_credit == Decimal("0.00")
    with pytest.raises(BillingError):
        use_credit_note(credit_note=note, invoice=second)


def test_credit_can_be_refunded_but_not_beyond_what_is_left(regie, family):
    _household, payer, _child = family
    invoice = issued(regie, family)
    record_payment(regie=regie, payer=payer, method=PaymentMethod.CHEQUE, amount=Decimal("29"))
    note = create_credit_note(invoice=invoice, amount=Decimal("10"), reason="Fermeture")
    refund_credit_note(credit_note=note, amount=Decimal("6"))
    with pytest.raises(BillingError):
        refund_credit_note(credit_note=note, amount=Decimal("5"))
    note.refresh_from_db()
    assert note.available_credit == Decimal("4.00")


def test_credit_notes_never_exceed_the_invoice_total(regie, family):
    invoice = issued(regie, family)
    create_credit_note(invoice=invoice, amount=Decimal("20"), reason="Erreur")
    with pytest.raises(BillingError, match="dépasseraient"):
        create_credit_note(invoice=invoice, amount=Decimal("9.01"), reason="Erreur")


def test_cancelling_a_partly_paid_invoice_turns_the_paid_part_into_credit(regie, family):
    household, payer, _child = family
    invoice = issued(regie, family)
    record_payment(regie=regie, payer=payer, method=PaymentMethod.CASH, amount=Decimal("10"))
    note = cancel_invoice(invoice=invoice, reason="Facturée à tort")
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.CANCELLED
    assert note.amount == Decimal("29.00")
    assert note.applied_amount == Decimal("19.00")
    assert note.available_credit == Decimal("10.00")
    balance = household_balance(household)
    assert balance.total_due == Decimal("0.00")
    assert balance.available_credit == Decimal("10.00")
    with pytest.raises(BillingError):
        create_credit_note(invoice=invoice, amount=Decimal("1"), reason="Encore")


def test_one_payment_settles_several_invoices_oldest_due_first(regie, family):
    household, payer, child = family
    older = issued(regie, family, on=datetime.date(2022, 2, 9))  # 29.00
    newer = issued(regie, family, hours(child, "8"), on=datetime.date(2022, 3, 9))  # 20.00
    payment = record_payment(
        regie=regie,
        payer=payer,
        method=PaymentMethod.CHEQUE,
        amount=Decimal("40.00"),
        bank_reference="Chèque 1234567",
    )
    older.refresh_from_db()
    newer.refresh_from_db()
    assert older.status == Invoice.Status.PAID
    assert newer.status == Invoice.Status.PARTIALLY_PAID
    assert newer.amount_due == Decimal("9.00")
    assert payment.allocated_amount == Decimal("40.00")
    assert payment.is_subject_to_collection
    assert household_balance(household).total_due == Decimal("9.00")


def test_an_overpayment_stays_visible_on_the_payment(regie, family):
    household, payer, _child = family
    issued(regie, family)
    payment = record_payment(
        regie=regie, payer=payer, method=PaymentMethod.CASH, amount=Decimal("50")
    )
    assert payment.allocated_amount == Decimal("29.00")
    assert payment.unallocated_amount == Decimal("21.00")
    balance = household_balance(household)
    assert balance.unallocated_payments == Decimal("21.00")
    assert balance.net == Decimal("-21.00")


def test_receipts_are_numbered_in_sequence(regie, family):
    _household, payer, _child = family
    issued(regie, family)
    first = record_payment(
        regie=regie,
        payer=payer,
        method=PaymentMethod.CASH,
        amount=Decimal("5"),
        received_on=datetime.date(2022, 2, 10),
    )
    second = record_payment(
        regie=regie,
        payer=payer,
        method=PaymentMethod.CESU,
        amount=Decimal("5"),
        received_on=datetime.date(2022, 2, 11),
    )
    assert (first.receipt_number, second.receipt_number) == ("R2022-00001", "R2022-00002")


def test_a_payment_cannot_settle_another_payers_invoice(regie, family):
    invoice = issued(regie, family)
    stranger = GuardianFactory()
    with pytest.raises(BillingError):
        record_payment(
            regie=regie,
            payer=stranger,
            method=PaymentMethod.CASH,
            amount=Decimal("29"),
            invoices=[invoice],
        )
    invoice.refresh_from_db()
    assert invoice.amount_paid == Decimal("0.00")


def test_amounts_must_be_positive(regie, family):
    _household, payer, _child = family
    invoice = issued(regie, family)
    with pytest.raises(BillingError):
        record_payment(regie=regie, payer=payer, method=PaymentMethod.CASH, amount=Decimal("0"))
    with pytest.raises(BillingError):
        create_credit_note(invoice=invoice, amount=Decimal("-1"), reason="x")


def test_the_family_is_told_once_and_the_co_guardian_only_if_shared(regie, family):
    household, payer, _child = family
    payer.email = "marie.test@example.fr"
    payer.save()
    GuardianFactory(household=household, email="paul.test@example.fr")
    invoice = issued(regie, family)
    assert notify_invoice_issued(invoice_id=invoice.pk) == 2
    assert notify_invoice_issued(invoice_id=invoice.pk) == 0
    emails = OutgoingEmail.objects.filter(kind="invoice_issued")
    assert sorted(emails.values_list("to", flat=True)) == [
        "marie.test@example.fr",
        "paul.test@example.fr",
    ]
    body = emails.first().body_text
    assert "FACTURE JEUNESSE F2022-0001" in body
    assert "29,00" in body
    assert f"/mes-factures/{invoice.reference}/" in body

    household.share_invoices_with_all_guardians = False
    household.save()
    second = issued(regie, family)
    assert notify_invoice_issued(invoice_id=second.pk) == 1
