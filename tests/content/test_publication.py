"""Scheduled publication, end dates, pinned items first, and the announcement of what
became visible — once, whether by the back office's save or the periodic command."""

import datetime
import io
import zoneinfo

import time_machine
from django.core.management import call_command
from django.urls import reverse

from portail.content.models import News
from portail.content.services import announce_due_content
from tests.portal.pages import text_of

from .factories import MenuFactory, NewsFactory, OfficialDocumentFactory, add_version

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
MONDAY_9AM = datetime.datetime(2026, 9, 7, 9, 0, tzinfo=PARIS)


def news_page(client, family) -> str:
    """The news page as the family reads it then (logged in again: hours pass in these tests,
    longer than a session lasts)."""
    client.force_login(family.user)
    return text_of(client.get(reverse("portal:news")))


def test_scheduled_news_appears_at_its_publication_time(durand, durand_client):
    with time_machine.travel(MONDAY_9AM, tick=False):
        NewsFactory(
            title="Rentrée des crèches", publish_at=MONDAY_9AM + datetime.timedelta(hours=2)
        )
        assert "Rentrée des crèches" not in news_page(durand_client, durand)

    with time_machine.travel(MONDAY_9AM + datetime.timedelta(hours=2), tick=False):
        assert "Rentrée des crèches" in news_page(durand_client, durand)


def test_news_disappears_at_its_end_date(durand, durand_client):
    with time_machine.travel(MONDAY_9AM, tick=False):
        item = NewsFactory(
            title="Inscriptions ouvertes",
            publish_at=MONDAY_9AM - datetime.timedelta(days=1),
            unpublish_at=MONDAY_9AM + datetime.timedelta(days=7),
        )
        assert "Inscriptions ouvertes" in news_page(durand_client, durand)

    with time_machine.travel(MONDAY_9AM + datetime.timedelta(days=7), tick=False):
        assert "Inscriptions ouvertes" not in news_page(durand_client, durand)
        durand_client.force_login(durand.user)
        detail = reverse("portal:news-detail", kwargs={"reference": item.reference})
        assert durand_client.get(detail).status_code == 404


def test_pinned_news_come_first_then_the_newest(durand):
    now = datetime.datetime.now(tz=PARIS)
    NewsFactory(title="Ancienne", publish_at=now - datetime.timedelta(days=10))
    NewsFactory(title="Épinglée", is_pinned=True, publish_at=now - datetime.timedelta(days=30))
    NewsFactory(title="Récente", publish_at=now - datetime.timedelta(days=1))

    titles = [item.title for item in News.objects.visible_to(durand.user)]

    assert titles == ["Épinglée", "Récente", "Ancienne"]


def test_upcoming_events_are_listed_soonest_first_and_past_ones_leave(durand, durand_client):
    with time_machine.travel(MONDAY_9AM, tick=False):
        NewsFactory(
            title="Spectacle de Noël", event_starts_at=MONDAY_9AM + datetime.timedelta(days=20)
        )
        NewsFactory(title="Pique-nique", event_starts_at=MONDAY_9AM + datetime.timedelta(days=3))
        NewsFactory(title="Réunion passée", event_starts_at=MONDAY_9AM - datetime.timedelta(days=1))

        text = news_page(durand_client, durand)

    agenda = text[text.index("Événements à venir") :]
    assert agenda.index("Pique-nique") < agenda.index("Spectacle de Noël")
    assert "Réunion passée" not in agenda


def test_announcing_notifies_the_audience_once(durand, bernard, notified):
    with time_machine.travel(MONDAY_9AM, tick=False):
        NewsFactory(title="Pour Durand", nurseries=[durand.nursery])
        NewsFactory(title="Pour tous")
        NewsFactory(title="Programmée", publish_at=MONDAY_9AM + datetime.timedelta(days=1))
        add_version(OfficialDocumentFactory(title="Tarifs 2026", nurseries=[bernard.nursery]))
        MenuFactory(nursery=durand.nursery, month=datetime.date(2026, 9, 1))

        first = announce_due_content()
        second = announce_due_content()

    assert (first.news, first.documents, first.menus) == (2, 1, 1)
    assert second.total == 0
    by_label = {call["label"]: call for call in notified}
    assert by_label["Pour Durand"]["households"] == ["Famille Durand"]
    assert by_label["Pour Durand"]["category"] == "news"
    assert by_label["Pour tous"]["households"] == ["Famille Bernard", "Famille Durand"]
    assert by_label["Tarifs 2026"] == {
        "households": ["Famille Bernard"],
        "category": "document",
        "label": "Tarifs 2026",
        "url": reverse("portal:documents"),
    }
    assert by_label["Crèche Durand — 09/2026"]["category"] == "menu"
    assert "Programmée" not in by_label


def test_scheduled_news_is_announced_by_the_command_when_due(durand, notified):
    with time_machine.travel(MONDAY_9AM, tick=False):
        item = NewsFactory(title="Programmée", publish_at=MONDAY_9AM + datetime.timedelta(hours=1))
        call_command("publish_due_content", stdout=io.StringIO())
        assert notified == []

    with time_machine.travel(MONDAY_9AM + datetime.timedelta(hours=1, minutes=5), tick=False):
        output = io.StringIO()
        call_command("publish_due_content", stdout=output)
        call_command("publish_due_content", stdout=io.StringIO())

    assert [call["label"] for call in notified] == ["Programmée"]
    assert notified[0]["url"] == item.get_absolute_url()
    assert "1 news" in output.getvalue()
    item.refresh_from_db()
    assert item.notified_at == MONDAY_9AM + datetime.timedelta(hours=1, minutes=5)


def test_news_whose_publication_ended_unannounced_notifies_nobody(durand, notified):
    with time_machine.travel(MONDAY_9AM, tick=False):
        NewsFactory(
            publish_at=MONDAY_9AM - datetime.timedelta(days=3),
            unpublish_at=MONDAY_9AM - datetime.timedelta(days=1),
        )
        announced = announce_due_content()

    assert announced.total == 0
    assert notified == []
    assert News.objects.get().notified_at is not None


def test_a_new_document_version_replaces_the_previous_for_families(durand, durand_client):
    document = OfficialDocumentFactory(title="Règlement de fonctionnement")
    with time_machine.travel(MONDAY_9AM, tick=False):
        add_version(document, label="2025", published_at=MONDAY_9AM - datetime.timedelta(days=300))
        add_version(document, label="2026", published_at=MONDAY_9AM + datetime.timedelta(days=1))
        from portail.content.models import OfficialDocument

        assert (
            OfficialDocument.objects.visible_to(durand.user)[0].current_version.version_label
            == "2025"
        )
    with time_machine.travel(MONDAY_9AM + datetime.timedelta(days=1), tick=False):
        assert (
            OfficialDocument.objects.visible_to(durand.user)[0].current_version.version_label
            == "2026"
        )
    assert document.versions.count() == 2  # the history is kept


def test_publication_reaches_the_notification_centre_of_the_audience_only(durand, bernard):
    from portail.notifications.models import Notification, OutgoingEmail

    item = NewsFactory(title="Sortie à la ferme", nurseries=[durand.nursery])
    MenuFactory(nursery=bernard.nursery)

    announce_due_content()
    announce_due_content()

    news = Notification.objects.get(category="news")
    assert news.recipient == durand.user
    assert news.label == "Sortie à la ferme"
    assert news.url == item.get_absolute_url()
    menu = Notification.objects.get(category="menu")
    assert menu.recipient == bernard.user
    assert menu.url == reverse("portal:menus")
    assert sorted(OutgoingEmail.objects.values_list("to", flat=True)) == [
        bernard.user.email,
        durand.user.email,
    ]


def test_an_event_downloads_as_a_calendar_file(durand, durand_client, settings):
    settings.SITE_URL = "https://portail.example.fr"
    event = NewsFactory(
        title="Fête de fin d'année, goûter; spectacle",
        nurseries=[durand.nursery],
        event_starts_at=datetime.datetime(2026, 12, 9, 16, 30, tzinfo=PARIS),
        event_location="Salle des fêtes",
    )
    plain = NewsFactory(nurseries=[durand.nursery])

    response = durand_client.get(
        reverse("portal:news-event-ics", kwargs={"reference": event.reference})
    )

    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    ics = response.content.decode()
    assert "DTSTART:20261209T153000Z\r\n" in ics
    assert "SUMMARY:Fête de fin d'année\\, goûter\\; spectacle\r\n" in ics
    assert "LOCATION:Salle des fêtes\r\n" in ics
    unfolded = ics.replace("\r\n ", "")  # long lines are folded (RFC 5545 3.1)
    assert f"URL:https://portail.example.fr{event.get_absolute_url()}\r\n" in unfolded
    assert all(len(line.encode()) <= 75 for line in ics.split("\r\n"))
    no_event = reverse("portal:news-event-ics", kwargs={"reference": plain.reference})
    assert durand_client.get(no_event).status_code == 404


def test_another_nurserys_event_is_not_downloadable(durand_client, bernard):
    event = NewsFactory(nurseries=[bernard.nursery], event_starts_at=MONDAY_9AM)

    url = reverse("portal:news-event-ics", kwargs={"reference": event.reference})
    assert durand_client.get(url).status_code == 404
