"""After issue the worker renders and notifies by batches: the same e-mails and notification
entries as one by one, in a number of queries that does not grow with the batch."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

from portail.billing.models import Invoice
from portail.billing.notifications import notify_invoices_issued
from portail.billing.services import issue_invoices
from portail.notifications.models import Notification, OutgoingEmail
from tests.factories import ChildFactory, GuardianFactory, HouseholdFactory, UserFactory

from .test_services import draft, hours, regie  # noqa: F401


def issued_for_new_households(regie, count, first=0):  # noqa: F811
    invoices = []
    for number in range(first, first + count):
        household = HouseholdFactory(
            name=f"Famille {number}", share_invoices_with_all_guardians=True
        )
        payer = GuardianFactory(
            household=household,
            email=f"payeur.{number}@example.fr",
            user=UserFactory(username=f"payeur{number}", email=f"payeur.{number}@example.fr"),
        )
        GuardianFactory(household=household, email=f"autre.{number}@example.fr")
        child = ChildFactory(household=household)
        invoices.append(draft(regie, (household, payer, child), hours(child, "4")))
    return issue_invoices(invoices=invoices, issued_on=datetime.date(2022, 2, 9))


def test_a_batch_emails_payer_and_co_guardian_and_fills_the_notification_centre(
    regie,  # noqa: F811
):
    invoices = issued_for_new_households(regie, 3)
    queued = notify_invoices_issued(invoice_ids=[invoice.pk for invoice in invoices])
    assert queued == 6
    sent_to = set(OutgoingEmail.objects.filter(kind="invoice_issued").values_list("to", flat=True))
    assert sent_to == {f"{who}.{n}@example.fr" for who in ("payeur", "autre") for n in range(3)}
    # Only guardians with an account get an entry in their notification centre.
    assert Notification.objects.filter(category="invoice").count() == 3
    assert not Invoice.objects.filter(notified_at__isnull=True).exists()
    # Run twice (a retried task): nothing more.
    assert notify_invoices_issued(invoice_ids=[invoice.pk for invoice in invoices]) == 0
    assert OutgoingEmail.objects.filter(kind="invoice_issued").count() == 6


def test_a_batchs_queries_do_not_grow_with_its_invoices(regie):  # noqa: F811
    warm_up = issued_for_new_households(regie, 1, first=20)  # caches (organisation, URLs)
    notify_invoices_issued(invoice_ids=[warm_up[0].pk])
    small = issued_for_new_households(regie, 2)
    with CaptureQueriesContext(connection) as two:
        notify_invoices_issued(invoice_ids=[invoice.pk for invoice in small])
    big = issued_for_new_households(regie, 8, first=2)
    with CaptureQueriesContext(connection) as eight:
        notify_invoices_issued(invoice_ids=[invoice.pk for invoice in big])
    assert len(eight.captured_queries) == len(two.captured_queries)
