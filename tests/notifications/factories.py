"""Notifications for the tests: made through the service, as the portal makes them."""

from portail.notifications.models import Notification, NotificationCategory
from tests.portal.families import Family, make_family  # noqa: F401  (re-exported)


def notify(family: Family, category=NotificationCategory.NEWS, label="Fête de l'été", url="/"):
    """One notification for the family's guardian, with no e-mail."""
    return Notification.objects.create(
        recipient=family.user,
        household=family.household,
        category=category,
        label=label,
        url=url,
        delivery="never",
    )
