"""A newly issued invoice is also a notification in the family's notification centre (the
e-mail itself is billing's « Une nouvelle facture est disponible »)."""

import datetime
import math
from decimal import Decimal

from django.db import connection
from django.urls import reverse

from portail.billing.models import InvoiceLine
from portail.billing.notifications import notify_invoice_issued
from portail.billing.services import create_draft_invoice, create_regie, issue_invoices
from portail.notifications.models import Delivery, Notification, NotificationCategory
from portail.notifications.services import Recipient, notify_recipients
from tests.factories import GuardianFactory, UserFactory

from .factories import make_family


def issue(regie, family):
    invoice = create_draft_invoice(
        regie=regie,
        kind=regie.kinds.get(label="FACTURE JEUNESSE"),
        household=family.household,
        payer=family.guardian,
        period_on=datetime.date(2022, 2, 1),
        lines=[
            {
                "child": family.child,
                "label": "Heures d'accueil",
                "quantity": Decimal("10"),
                "unit": InvoiceLine.Unit.HOUR,
                "unit_price": Decimal("2.50"),
            }
        ],
    )
    return issue_invoices(invoices=[invoice], issued_on=datetime.date(2022, 2, 9))[0]


def test_issued_invoice_appears_in_the_payers_notification_centre(
    client, django_capture_on_commit_callbacks
):
    regie = create_regie(name="Régie Petite Enfance", invoice_number_format="F{year}-{number:04d}")
    family = make_family(name="Martin")
    partner = UserFactory(username="paul.martin")
    GuardianFactory(household=family.household, user=partner, email="paul@example.fr")

    with django_capture_on_commit_callbacks(execute=True):  # the PDF, then the notifications
        invoice = issue(regie, family)

    notifications = Notification.objects.filter(category=NotificationCategory.INVOICE)
    assert sorted(notifications.values_list("recipient__username", flat=True)) == [
        "martin.marie",
        "paul.martin",
    ]
    notification = notifications.get(recipient=family.user)
    assert notification.label == "FACTURE JEUNESSE F2022-0001"
    assert notification.url == reverse("portal:invoice-detail", args=[invoice.reference])
    assert notification.delivery == Delivery.IMMEDIATELY

    # Telling the family again (a task run twice) adds nothing.
    assert notify_invoice_issued(invoice_id=invoice.pk) == 0
    assert notifications.count() == 2

    client.force_login(family.user)
    response = client.get(reverse("portal:notification-open", args=[notification.reference]))
    assert response["Location"] == notification.url


def test_ten_thousand_invoice_notifications_are_made_in_bulk(
    django_assert_max_num_queries,
):
    families = [make_family(name=f"F{index}", children=0, contacts=0) for index in range(20)]
    entries = [
        (
            Recipient(families[index % 20].user, families[index % 20].household.pk, "x@e.fr"),
            f"FACTURE JEUNESSE F2026-{index:05d}",
            f"/mes-factures/{index}/",
        )
        for index in range(10_000)
    ]

    fields = [f for f in Notification._meta.concrete_fields if not f.primary_key]
    batch = min(1000, connection.ops.bulk_batch_size(fields, entries))
    # savepoint, one insert per batch (1,000 rows, fewer on SQLite), release: none per invoice.
    with django_assert_max_num_queries(2 + math.ceil(len(entries) / batch)):
        notify_recipients(category=NotificationCategory.INVOICE, entries=entries, send_emails=False)

    assert Notification.objects.count() == 10_000
