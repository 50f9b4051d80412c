"""The demo town's content: what camille.martin reads after `make run`."""

import datetime
import io
from io import StringIO

import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from portail.accounts.models import User
from portail.content.models import Menu, News, OfficialDocument, PracticalPage
from tests.portal.pages import text_of


def seed():
    call_command("seed_demo", "--quiet", stdout=StringIO())


def test_demo_family_reads_the_demo_content(client):
    seed()
    seed()  # idempotent: nothing is duplicated
    user = User.objects.get(username="camille.martin")
    client.force_login(user)

    assert News.objects.count() == 4
    assert Menu.objects.count() == 2
    assert PracticalPage.objects.count() == 3
    news = text_of(client.get(reverse("portal:news")))
    assert news.index("Bienvenue sur le nouveau portail famille") < news.index("Le jardin partagé")
    assert "Campagne de vaccination" not in news  # scheduled in two days
    assert "Fête de fin d'année des crèches" in news[news.index("Événements à venir") :]
    menus = text_of(client.get(reverse("portal:menus")))
    assert "Poisson meunière, riz Allergènes : Poissons, Céréales contenant du gluten" in menus
    assert "Horaires d'ouverture" in text_of(client.get(reverse("portal:practical-info")))

    document = OfficialDocument.objects.visible_to(user)[0]
    response = client.get(document.download_url)
    pdf = PdfReader(io.BytesIO(b"".join(response.streaming_content)))
    assert "Règlement de fonctionnement" in pdf.pages[0].extract_text()


def test_the_scheduled_demo_news_is_announced_when_due(notified):
    seed()
    call_command("publish_due_content", stdout=StringIO())
    assert notified == []  # what the demo shows as published is already announced

    with time_machine.travel(timezone.now() + datetime.timedelta(days=3)):
        call_command("publish_due_content", stdout=StringIO())

    assert [call["label"] for call in notified] == [
        "Campagne de vaccination contre la grippe pour le personnel"
    ]
