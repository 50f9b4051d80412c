"""The back office: creditor settings, mandates with masked IBANs and their actions, batches
built in the background, settlement, rejects by hand and from a file; nursery staff see only
their nurseries' households."""

import datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portail.direct_debits.models import CreditorSettings, Debit, DebitBatch, Mandate
from portail.jobs.models import Job
from tests.backoffice.conftest import log_in_with_second_factor
from tests.factories import (
    GuardianFactory,
    HouseholdFactory,
    NurseryFactory,
    StaffUserFactory,
    UserFactory,
)

from .factories import DEBTOR_IBAN, MandateFactory, due_invoice
from .test_rejects import pain002

TODAY = datetime.datetime(2022, 1, 20, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _january_2022():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def administrator():
    return StaffUserFactory(is_superuser=True)


@pytest.fixture
def admin_client(client, administrator):
    log_in_with_second_factor(client, administrator)
    return client


def _mandate_in(nursery, regie, **kwargs):
    household = HouseholdFactory(nursery=nursery)
    payer = GuardianFactory(household=household, user=UserFactory())
    return MandateFactory(regie=regie, payer=payer, **kwargs)


def test_mandate_list_shows_masked_ibans_only(admin_client, regie):
    mandate = MandateFactory(regie=regie)
    page = admin_client.get(reverse("admin:direct_debits_mandate_changelist")).content.decode()
    assert mandate.rum in page and "***0 189" in page and DEBTOR_IBAN not in page
    detail = admin_client.get(reverse("admin:direct_debits_mandate_change", args=[mandate.pk]))
    assert DEBTOR_IBAN not in detail.content.decode()


def test_nursery_staff_see_only_their_nurseries_mandates(client, regie):
    mine, theirs = NurseryFactory(), NurseryFactory()
    staff = StaffUserFactory()
    mine.staff.add(staff)
    own = _mandate_in(mine, regie)
    other = _mandate_in(theirs, regie)
    log_in_with_second_factor(client, staff)
    page = client.get(reverse("admin:direct_debits_mandate_changelist")).content.decode()
    assert own.rum in page and other.rum not in page
    response = client.get(reverse("admin:direct_debits_mandate_change", args=[other.pk]))
    assert response.status_code in (302, 404)
    assert client.get(reverse("admin:direct_debits_debitbatch_changelist")).status_code == 403


def test_staff_validate_a_pending_mandate(admin_client, regie):
    mandate = MandateFactory(regie=regie, status=Mandate.Status.PENDING)
    admin_client.post(
        reverse("admin:direct_debits_mandate_changelist"),
        {"action": "validate_selected", "_selected_action": [mandate.pk]},
    )
    mandate.refresh_from_db()
    assert mandate.status == Mandate.Status.ACTIVE and mandate.validated_at


def test_creditor_settings_refuse_a_wrong_ics(admin_client, regie):
    CreditorSettings.objects.all().delete()
    response = admin_client.post(
        reverse("admin:direct_debits_creditorsettings_add"),
        {
            "regie": regie.pk,
            "creditor_name": "Régie",
            "creditor_address": "Mairie",
            "ics": "FR73ZZZ123456",
            "new_creditor_iban": "FR1420041010050500013M02606",
            "creditor_bic": "PSSTFRPP",
            "debit_lead_days": 2,
            "prenotification_days": 14,
            "max_rejects_before_suspension": 2,
        },
    )
    assert response.status_code == 200
    assert not CreditorSettings.objects.exists()


def test_staff_build_a_batch_download_it_and_settle_it(
    admin_client, administrator, regie, django_capture_on_commit_callbacks
):
    mandate = MandateFactory(regie=regie)
    invoice = due_invoice(mandate)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:direct_debits_debitbatch_build"),
            {"regie": regie.pk, "collection_on": "2022-02-10"},
        )
    batch = DebitBatch.objects.get()
    assert response["Location"] == reverse(
        "backoffice:job-detail", kwargs={"reference": batch.job.reference}
    )
    batch.refresh_from_db()
    assert batch.status == DebitBatch.Status.READY
    xml = admin_client.get(reverse("admin:direct_debits_debitbatch_xml", args=[batch.pk]))
    assert mandate.rum.encode() in b"".join(xml.streaming_content)
    page = admin_client.get(reverse("admin:direct_debits_debitbatch_change", args=[batch.pk]))
    assert DEBTOR_IBAN not in page.content.decode()
    admin_client.post(
        reverse("admin:direct_debits_debitbatch_sent", args=[batch.pk]), {"step": "confirm"}
    )
    with time_machine.travel(datetime.datetime(2022, 2, 11, 9, 0, tzinfo=datetime.UTC)):
        log_in_with_second_factor(admin_client, administrator)  # the session timed out
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(
                reverse("admin:direct_debits_debitbatch_settle", args=[batch.pk]),
                {"step": "confirm"},
            )
    settlement = Job.objects.get(kind="direct_debits.settle_batch")
    assert response["Location"] == reverse(
        "backoffice:job-detail", kwargs={"reference": settlement.reference}
    )
    assert settlement.status == Job.Status.SUCCEEDED
    invoice.refresh_from_db()
    assert invoice.status == "paid"


def test_staff_enter_a_reject_by_hand_and_import_a_file(
    admin_client, regie, django_capture_on_commit_callbacks
):
    first, second = MandateFactory(regie=regie), MandateFactory(regie=regie)
    due_invoice(first)
    due_invoice(second)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("admin:direct_debits_debitbatch_build"),
            {"regie": regie.pk, "collection_on": "2022-02-10"},
        )
    one, two = Debit.objects.order_by("pk")
    admin_client.post(
        reverse("admin:direct_debits_debit_reject", args=[one.pk]),
        {"code": "AM04", "rejected_on": "2022-02-12"},
    )
    one.refresh_from_db()
    assert one.status == Debit.Status.REJECTED
    bad = admin_client.post(
        reverse("admin:direct_debits_debitbatch_return_file"),
        {"regie": regie.pk, "file": SimpleUploadedFile("retour.xml", b"<not-xml")},
    )
    assert bad.status_code == 200
    two.refresh_from_db()
    assert two.status == Debit.Status.SCHEDULED
    admin_client.post(
        reverse("admin:direct_debits_debitbatch_return_file"),
        {
            "regie": regie.pk,
            "file": SimpleUploadedFile("retour.xml", pain002((two.end_to_end_id, "AC04"))),
        },
    )
    two.refresh_from_db()
    assert two.status == Debit.Status.REJECTED
    suspended = admin_client.get(
        reverse("admin:direct_debits_mandate_changelist") + "?status__exact=suspended"
    ).content.decode()
    assert second.rum in suspended and first.rum not in suspended
