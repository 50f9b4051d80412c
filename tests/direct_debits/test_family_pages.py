"""« MES PRÉLÈVEMENTS » and invoices paid by direct debit, as the family sees them; constant
query counts; another family sees nothing."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from portail.billing.models import Invoice
from portail.direct_debits import services
from portail.direct_debits.models import Debit, Mandate

from .factories import DEBTOR_IBAN, MandateFactory, due_invoice

TODAY = datetime.datetime(2022, 1, 20, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _january_2022():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def mandate(regie):
    return MandateFactory(regie=regie)


def _batch(regie, capture, collection_on=datetime.date(2022, 2, 10)):
    with capture(execute=True):
        services.queue_debit_batch(regie=regie, collection_on=collection_on, created_by=None)


def _with_history(mandate, regie, capture, count):
    invoices = [due_invoice(mandate) for _ in range(count)]
    _batch(regie, capture)
    for debit in Debit.objects.all()[: max(1, count // 2)]:
        services.record_reject(debit=debit, code="AM04")
    for _ in range(count):
        due_invoice(mandate)
    return invoices


def test_status_page_shows_the_mandate_upcoming_debits_and_rejects(
    client, mandate, regie, django_capture_on_commit_callbacks
):
    client.force_login(mandate.payer.user)
    due_invoice(mandate, amount=Decimal("29.00"))
    due_invoice(mandate, amount=Decimal("41.50"))
    _batch(regie, django_capture_on_commit_callbacks)
    services.record_reject(debit=Debit.objects.first(), code="AM04")
    page = client.get(reverse("portal:direct-debits")).content.decode()
    assert mandate.rum in page and "***0 189" in page and DEBTOR_IBAN not in page
    assert "10/02/2022" in page and "41,50" in page
    from django.utils import translation

    from portail.direct_debits.bank_returns import reason_label

    with translation.override("fr"):
        assert str(reason_label("AM04")) in page


@pytest.mark.parametrize("count", [1, 5])
def test_status_page_query_count_does_not_grow(
    client, mandate, regie, django_capture_on_commit_callbacks, django_assert_num_queries, count
):
    _with_history(mandate, regie, django_capture_on_commit_callbacks, count)
    client.force_login(mandate.payer.user)
    client.get(reverse("portal:direct-debits"))  # session and caches warm
    with django_assert_num_queries(QUERIES_OVERVIEW):
        assert client.get(reverse("portal:direct-debits")).status_code == 200


@pytest.mark.parametrize("count", [1, 5])
def test_invoice_list_query_count_does_not_grow(
    client, mandate, regie, django_capture_on_commit_callbacks, django_assert_num_queries, count
):
    _with_history(mandate, regie, django_capture_on_commit_callbacks, count)
    client.force_login(mandate.payer.user)
    client.get(reverse("portal:invoices"))
    with django_assert_num_queries(QUERIES_INVOICES):
        assert client.get(reverse("portal:invoices")).status_code == 200


# Measured once; the same with 1 and 5 rows of each kind. (The family's invoice scope comes
# from the guardian rows family_required reads; « MES FACTURES » counts its invoices, the
# unpaid ones and the credit left in one query.)
QUERIES_OVERVIEW = 11
QUERIES_INVOICES = 9


def test_covered_invoices_say_when_they_are_debited_and_offer_no_card_payment(
    client, mandate, regie, django_capture_on_commit_callbacks
):
    regie.payfip_client_number = "123456"
    regie.save()
    scheduled = due_invoice(mandate)
    _batch(regie, django_capture_on_commit_callbacks)
    later = due_invoice(mandate, due_on=datetime.date(2022, 3, 9))
    client.force_login(mandate.payer.user)
    listing = client.get(reverse("portal:invoices")).content.decode()
    assert "10/02/2022" in listing
    detail = client.get(reverse("portal:invoice-detail", args=[scheduled.reference]))
    assert "10/02/2022" in detail.content.decode()
    assert reverse("portal:invoice-pay", args=[scheduled.reference]) not in detail.content.decode()
    later_page = client.get(reverse("portal:invoice-detail", args=[later.reference]))
    assert reverse("portal:invoice-pay", args=[later.reference]) not in later_page.content.decode()
    refused = client.post(reverse("portal:invoice-pay", args=[scheduled.reference]))
    assert refused["Location"] == reverse("portal:invoice-detail", args=[scheduled.reference])


def test_card_payment_stays_offered_when_the_regie_allows_it(client, mandate, regie, creditor):
    creditor.card_payment_for_covered_invoices = True
    creditor.save()
    regie.payfip_client_number = "123456"
    regie.save()
    invoice = due_invoice(mandate)
    client.force_login(mandate.payer.user)
    detail = client.get(reverse("portal:invoice-detail", args=[invoice.reference]))
    assert reverse("portal:invoice-pay", args=[invoice.reference]) in detail.content.decode()


def test_another_family_sees_none_of_the_mandate(client, mandate, regie):
    other = MandateFactory(regie=regie)
    client.force_login(other.payer.user)
    page = client.get(reverse("portal:direct-debits")).content.decode()
    assert mandate.rum not in page and other.rum in page


def test_dashboard_tile_shows_the_mandate(client, mandate):
    client.force_login(mandate.payer.user)
    page = client.get(reverse("portal:dashboard")).content.decode()
    assert reverse("portal:direct-debits") in page


def test_ibans_are_encrypted_at_rest(mandate):
    with connection.cursor() as cursor:
        cursor.execute("SELECT iban, bic, holder_address, iban_last4 FROM direct_debits_mandate")
        iban, bic, address, last4 = cursor.fetchone()
    assert DEBTOR_IBAN not in iban and iban.startswith("fernet:")
    assert bic.startswith("fernet:") and address.startswith("fernet:")
    assert last4 == "0189"
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        dump = "\n".join(connection.connection.iterdump())
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM direct_debits_mandate")
            dump = repr(cursor.fetchall())
    assert "FR76" not in dump and "30006000011234567890" not in dump
    assert Mandate.objects.get().iban == DEBTOR_IBAN


def test_creditor_iban_is_encrypted_at_rest(creditor):
    with connection.cursor() as cursor:
        cursor.execute("SELECT creditor_iban FROM direct_debits_creditorsettings")
        (stored,) = cursor.fetchone()
    assert stored.startswith("fernet:") and creditor.creditor_iban not in stored


def test_a_rum_is_never_reused(mandate, regie):
    with pytest.raises(IntegrityError), transaction.atomic():
        MandateFactory(
            regie=regie, rum=mandate.rum, status=Mandate.Status.REVOKED, ended_at=mandate.signed_at
        )


def test_one_live_mandate_per_payer(mandate, regie):
    with pytest.raises(IntegrityError), transaction.atomic():
        MandateFactory(regie=regie, payer=mandate.payer)


def test_a_mandate_without_collection_for_36_months_lapses(regie):
    old = MandateFactory(regie=regie)
    recent = MandateFactory(regie=regie)
    Mandate.objects.filter(pk=recent.pk).update(last_collection_on=datetime.date(2022, 6, 1))
    with time_machine.travel(datetime.datetime(2025, 1, 5, 9, 0, tzinfo=datetime.UTC)):
        call_command("lapse_mandates")
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.status == Mandate.Status.LAPSED and old.ended_at
    assert recent.status == Mandate.Status.ACTIVE
    assert Invoice.objects.count() == 0


def test_dashboard_tile_shows_the_next_debit(
    client, mandate, regie, django_capture_on_commit_callbacks
):
    due_invoice(mandate, amount=Decimal("41.50"))
    _batch(regie, django_capture_on_commit_callbacks)
    client.force_login(mandate.payer.user)
    page = client.get(reverse("portal:dashboard")).content.decode()
    assert "41,50" in page and "10/02/2022" in page
