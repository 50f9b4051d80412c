"""Demo notifications: camille.martin's notification centre shows a few unread items (a news
item, a new official document, an invoice) and one already read (the month's menus), so
the header count, the dashboard tiles and the centre have something to show.

Idempotent: each notification has a fixed reference and is made only when missing. They are
written directly rather than through ``notify_households``: re-running the seed on every
start must not e-mail the demo family again."""

import uuid
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from portail.notifications.models import Delivery, Notification, NotificationCategory

NAMESPACE = uuid.UUID("9b7e3f52-61a4-4c1e-8f0d-1d2c3b4a5e6f")

DEMO = [
    # (name, category, label, URL name, hours ago, read)
    ("news", NotificationCategory.NEWS, "Fête de fin d'année", "portal:news", 3, False),
    (
        "document",
        NotificationCategory.DOCUMENT,
        "Règlement de fonctionnement",
        "portal:documents",
        26,
        False,
    ),
    ("invoice", NotificationCategory.INVOICE, "FACTURE JEUNESSE", "portal:invoices", 50, False),
    ("menu", NotificationCategory.MENU, "Menus du mois", "portal:menus", 80, True),
]


def seed_notifications(*, household, family_user) -> None:
    now = timezone.now()
    for name, category, label, url_name, hours_ago, is_read in DEMO:
        created_at = now - timedelta(hours=hours_ago)
        Notification.objects.get_or_create(
            reference=uuid.uuid5(NAMESPACE, name),
            defaults={
                "recipient": family_user,
                "household": household,
                "category": category,
                "label": label,
                "url": reverse(url_name),
                "delivery": Delivery.IMMEDIATELY,
                "created_at": created_at,
                "read_at": created_at + timedelta(hours=1) if is_read else None,
            },
        )
