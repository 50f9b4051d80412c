"""The notification centre, the unread counts (header, dashboard tiles) and the e-mail
preferences page in MON ESPACE."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext, ngettext

from portail.notifications.models import (
    Delivery,
    Notification,
    NotificationCategory,
    NotificationPreference,
)
from portail.notifications.services import preferences_of

from .factories import make_family, notify

CENTRE = reverse("portal:notifications")
PREFERENCES = reverse("portal:notification-preferences")


def french(message: str, **values) -> str:
    with translation.override("fr"):
        return gettext(message).format(**values)


def french_plural(singular: str, plural: str, count: int) -> str:
    with translation.override("fr"):
        return ngettext(singular, plural, count).replace("%(counter)s", str(count))


@pytest.fixture
def family(client):
    family = make_family(name="Martin")
    client.force_login(family.user)
    return family


def open_url(notification):
    return reverse("portal:notification-open", args=[notification.reference])


def test_centre_lists_the_familys_notifications_newest_first(client, family):
    notify(family, label="Fête de l'été", url="/actualites/")
    notify(family, NotificationCategory.INVOICE, label="F-2026-0042", url="/mes-factures/")
    other = make_family(name="Durand")
    notify(other, label="Réservé aux Durand")

    html = client.get(CENTRE).content.decode()

    assert escape(french("A new invoice is available: {label}.", label="F-2026-0042")) in html
    assert escape(french("A news item has been published: {label}.", label="Fête de l'été")) in html
    assert html.index("F-2026-0042") < html.index("Fête de l")
    assert "Réservé aux Durand" not in html
    assert html.count("notification--unread") == 2
    assert "INVALID_TEMPLATE_VARIABLE" not in html


def test_centre_says_when_there_is_nothing(client, family):
    html = client.get(CENTRE).content.decode()
    assert escape(french("No notifications for the moment.")) in html


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(client, family):
    notification = notify(family, url="/actualites/?page=2")

    response = client.get(open_url(notification))

    assert response.status_code == 302
    assert response["Location"] == "/actualites/?page=2"
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert "notification--unread" not in client.get(CENTRE).content.decode()


@pytest.mark.parametrize(
    "url", ["https://evil.example.com/", "//evil.example.com/x", "/\\evil.example.com"]
)
def test_opening_a_notification_never_leaves_the_site(client, family, url):
    # Written past the service's check (as a bad migration or a staff shell could).
    notification = notify(family)
    Notification.objects.filter(pk=notification.pk).update(url="/ok/")
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA ignore_check_constraints = 1")
        try:
            Notification.objects.filter(pk=notification.pk).update(url=url)
        except Exception:
            pytest.skip("the database itself refuses the link")
        finally:
            if connection.vendor == "sqlite":
                cursor.execute("PRAGMA ignore_check_constraints = 0")

    response = client.get(open_url(notification))

    assert response.status_code == 302
    assert response["Location"] == CENTRE


def test_database_refuses_a_link_to_another_site(family):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        notify(family, url="https://evil.example.com/")


def test_family_cannot_open_another_households_notification(client, family):
    notification = notify(make_family(name="Durand"))

    assert client.get(open_url(notification)).status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_mark_all_read_reads_only_the_familys_notifications(client, family):
    notify(family), notify(family)
    theirs = notify(make_family(name="Durand"))

    response = client.post(reverse("portal:notifications-mark-all-read"), follow=True)

    assert not Notification.objects.filter(recipient=family.user).unread().exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None
    html = response.content.decode()
    assert (
        escape(
            french_plural(
                "{count} notification marked as read.", "{count} notifications marked as read.", 2
            ).format(count=2)
        )
        in html
    )


def test_mark_all_read_needs_a_post(client, family):
    assert client.get(reverse("portal:notifications-mark-all-read")).status_code == 405


def test_header_shows_the_unread_count(client, family):
    notify(family), notify(family), notify(family)

    html = client.get(reverse("portal:my-space")).content.decode()

    assert f'href="{CENTRE}"' in html
    with translation.override("fr"):
        expected = ngettext(
            "%(counter)s unread notification", "%(counter)s unread notifications", 3
        ) % {"counter": 3}
    assert escape(expected) in html


def test_header_count_drops_as_soon_as_a_notification_is_read(client, family):
    first = notify(family)
    notify(family)
    client.get(reverse("portal:my-space"))  # the count is now kept in the session

    client.get(open_url(first))
    html = client.get(reverse("portal:my-space")).content.decode()

    with translation.override("fr"):
        expected = ngettext(
            "%(counter)s unread notification", "%(counter)s unread notifications", 1
        ) % {"counter": 1}
    assert escape(expected) in html


def test_dashboard_tiles_show_their_unread_counts(client, family):
    notify(family, NotificationCategory.INVOICE)
    notify(family, NotificationCategory.PAYMENT_PROBLEM)
    notify(family, NotificationCategory.NEWS)
    notify(family, NotificationCategory.MENU)
    notify(family, NotificationCategory.DOCUMENT)
    notify(family, NotificationCategory.REQUEST)
    notify(family, NotificationCategory.DIRECT_DEBIT)
    read = notify(family, NotificationCategory.DOCUMENT)
    Notification.objects.filter(pk=read.pk).update(read_at=read.created_at)
    notify(make_family(name="Durand"), NotificationCategory.REQUEST)

    html = client.get(reverse("portal:dashboard")).content.decode()

    def badge(count):
        return french_plural("%(counter)s new notification", "%(counter)s new notifications", count)

    tiles = html.split('class="tile"')
    by_title = {}
    for tile in tiles[1:]:
        title = tile.split("<h2>", 1)[1].split("</h2>", 1)[0]
        by_title[title] = tile.split("</li>", 1)[0]
    with translation.override("fr"):
        invoices, news = gettext("My invoices"), gettext("My news")
        documents, requests = gettext("Documents to print"), gettext("Latest requests")
        debits = gettext("My direct debits")
    assert badge(2) in by_title[invoices]
    assert badge(2) in by_title[news]
    assert badge(1) in by_title[documents]
    assert badge(1) in by_title[requests]
    assert badge(1) in by_title[debits]


def test_dashboard_tiles_show_no_badge_without_unread_notifications(client, family):
    html = client.get(reverse("portal:dashboard")).content.decode()
    assert "tile__unread" not in html


# --- Preferences ------------------------------------------------------------------------------


def test_preferences_page_offers_every_category_but_invoices_and_payment_problems(client, family):
    html = client.get(PREFERENCES).content.decode()

    for category in ("news", "document", "menu", "request", "direct_debit"):
        assert f'name="{category}"' in html
    assert 'name="invoice"' not in html
    assert 'name="payment_problem"' not in html
    assert (
        escape(
            french("New invoices and payment problems are always e-mailed to you, straight away.")
        )
        in html
    )
    assert "INVALID_TEMPLATE_VARIABLE" not in html


def test_guardian_saves_a_choice_per_category(client, family):
    data = {
        "news": Delivery.DAILY_DIGEST,
        "document": Delivery.NEVER,
        "menu": Delivery.IMMEDIATELY,
        "request": Delivery.IMMEDIATELY,
        "direct_debit": Delivery.DAILY_DIGEST,
        "invoice": Delivery.NEVER,  # not in the form: ignored
    }

    response = client.post(PREFERENCES, data, follow=True)

    assert escape(french("Your e-mail preferences have been saved.")) in response.content.decode()
    chosen = preferences_of(family.user)
    assert chosen["news"] == Delivery.DAILY_DIGEST
    assert chosen["document"] == Delivery.NEVER
    assert chosen["invoice"] == Delivery.IMMEDIATELY
    assert not NotificationPreference.objects.filter(category="invoice").exists()
    # The form shows the saved choice.
    html = client.get(PREFERENCES).content.decode()
    assert 'value="daily_digest" id="id_news_1" checked' in html.replace("\n", " ") or (
        'name="news" value="daily_digest"' in html and "checked" in html
    )


def test_preferences_refuse_an_unknown_choice(client, family):
    response = client.post(PREFERENCES, {"news": "sometimes"})

    assert response.status_code == 200
    assert not NotificationPreference.objects.exists()


# --- Query counts -----------------------------------------------------------------------------


def count_queries(client, url) -> int:
    client.get(url)  # the first request of a session also records when it started
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        # 5 for every family page (tests/portal/test_query_counts.py), then the page's own.
        # + count, one page of notifications, unread count, and the session saved (the count
        # kept there for the header: savepoint, update, release)
        ("portal:notifications", 11),
        ("portal:notification-preferences", 6),  # + the person's preferences
    ],
)
def test_page_query_count_does_not_grow_with_the_notifications(client, page, expected):
    small = make_family(name="Petit")
    notify(small)
    client.force_login(small.user)
    small_count = count_queries(client, reverse(page))

    big = make_family(name="Grand")
    for _index in range(5):
        notify(big)
        notify(big, NotificationCategory.INVOICE)
    NotificationPreference.objects.create(user=big.user, category="news", delivery="never")
    client.force_login(big.user)
    big_count = count_queries(client, reverse(page))

    assert small_count == big_count == expected
