"""Drafts are editable through ``update_draft_invoice``; issued invoices never change."""

import datetime
from decimal import Decimal

import pytest

from portail.billing.models import Invoice
from portail.billing.services import BillingError, issue_invoices, update_draft_invoice
from tests.factories import GuardianFactory

from .test_services import draft, family, hours, regie  # noqa: F401


def test_a_draft_gets_new_lines_period_and_payer(regie, family):  # noqa: F811
    household, _payer, child = family
    other_guardian = GuardianFactory(household=household, first_name="Paul")
    invoice = draft(regie, family)
    updated = update_draft_invoice(
        invoice=invoice,
        payer=other_guardian,
        period_on=datetime.date(2022, 3, 17),
        kind=regie.kinds.get(label="FACTURE PÉRISCOLAIRE"),
        lines=[hours(child, "10"), hours(child, "2", "3.10", label="Repas")],
    )
    stored = Invoice.objects.get(pk=invoice.pk)
    assert stored.payer == other_guardian and stored.period_on == datetime.date(2022, 3, 1)
    assert stored.kind.label == "FACTURE PÉRISCOLAIRE"
    assert stored.total == Decimal("31.20") == updated.total
    assert list(stored.lines.values_list("label", flat=True)) == ["Heures d'accueil", "Repas"]


def test_a_draft_keeps_its_lines_when_none_are_given(regie, family):  # noqa: F811
    invoice = draft(regie, family)
    update_draft_invoice(invoice=invoice, external_reference="LOGICIEL-42")
    stored = Invoice.objects.get(pk=invoice.pk)
    assert stored.external_reference == "LOGICIEL-42" and stored.total == Decimal("29.00")
    assert stored.lines.count() == 1


def test_an_issued_invoice_is_never_updated(regie, family):  # noqa: F811
    _household, _payer, child = family
    issued_on = datetime.date(2022, 2, 9)
    invoice = issue_invoices(invoices=[draft(regie, family)], issued_on=issued_on)[0]
    with pytest.raises(BillingError, match="avoir"):
        update_draft_invoice(invoice=invoice, lines=[hours(child, "1")])
    with pytest.raises(BillingError, match="émise"):
        update_draft_invoice(invoice=invoice, external_reference="X")
    stored = Invoice.objects.get(pk=invoice.pk)
    assert stored.total == Decimal("29.00") and stored.external_reference == ""


def test_a_draft_cannot_get_a_payer_from_another_household(regie, family):  # noqa: F811
    invoice = draft(regie, family)
    with pytest.raises(BillingError, match="représentant"):
        update_draft_invoice(invoice=invoice, payer=GuardianFactory())
    assert Invoice.objects.get(pk=invoice.pk).payer == family[1]


def test_only_draft_fields_can_be_changed(regie, family):  # noqa: F811
    with pytest.raises(BillingError, match="total"):
        update_draft_invoice(invoice=draft(regie, family), total=Decimal("1"))


def test_drafts_in_bulk_have_their_lines_and_totals(regie):  # noqa: F811
    from portail.billing.issuing import DraftSpec, create_draft_invoices
    from tests.factories import ChildFactory, HouseholdFactory

    specs = []
    for number in range(3):
        household = HouseholdFactory(name=f"Famille {number}")
        payer = GuardianFactory(household=household)
        child = ChildFactory(household=household)
        specs.append(
            DraftSpec(household=household, payer=payer, lines=[hours(child, str(number + 1))])
        )
    created = create_draft_invoices(
        regie=regie,
        kind=regie.kinds.get(label="FACTURE JEUNESSE"),
        period_on=datetime.date(2022, 2, 14),
        drafts=specs,
    )
    stored = Invoice.objects.filter(pk__in=[invoice.pk for invoice in created]).order_by("pk")
    assert [invoice.total for invoice in stored] == [
        Decimal("2.50"),
        Decimal("5.00"),
        Decimal("7.50"),
    ]
    assert all(invoice.status == Invoice.Status.DRAFT for invoice in stored)
    assert all(invoice.period_on == datetime.date(2022, 2, 1) for invoice in stored)
    assert [invoice.lines.count() for invoice in stored] == [1, 1, 1]
    issued = issue_invoices(invoices=list(stored), issued_on=datetime.date(2022, 2, 9))
    assert {invoice.status for invoice in issued} == {Invoice.Status.ISSUED}


def test_drafts_in_bulk_are_all_refused_when_one_payer_is_wrong(regie, family):  # noqa: F811
    from portail.billing.issuing import DraftSpec, create_draft_invoices

    household, payer, child = family
    with pytest.raises(BillingError, match="représentant"):
        create_draft_invoices(
            regie=regie,
            kind=regie.kinds.get(label="FACTURE JEUNESSE"),
            period_on=datetime.date(2022, 2, 1),
            drafts=[
                DraftSpec(household=household, payer=payer, lines=[hours(child, "1")]),
                DraftSpec(household=household, payer=GuardianFactory(), lines=[]),
            ],
        )
    assert not Invoice.objects.exists()


def test_issued_invoices_get_their_pdfs_and_emails_by_batches(
    regie,  # noqa: F811
    family,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    from portail.notifications.models import OutgoingEmail

    _household, payer, _child = family
    payer.email = "marie.test@example.fr"
    payer.save()
    drafts = [draft(regie, family) for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        issue_invoices(invoices=drafts, issued_on=datetime.date(2022, 2, 9))
    # One worker task for the three invoices (then the e-mails' own).
    assert [c.__qualname__ for c in callbacks].count("issue_invoices.<locals>.<lambda>") == 1
    stored = Invoice.objects.filter(pk__in=[invoice.pk for invoice in drafts])
    assert all(invoice.pdf and len(invoice.pdf_sha256) == 64 for invoice in stored)
    assert all(invoice.notified_at for invoice in stored)
    assert OutgoingEmail.objects.filter(kind="invoice_issued").count() == 3
