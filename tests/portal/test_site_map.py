"""« Plan du site » (RGAA 12.1: a second way to reach every page besides the menu)."""

import re

from django.urls import reverse

from .pages import text_of


def links_of(response) -> list[tuple[str, str]]:
    """(href, text) of the links inside the page's main content."""
    main = response.content.decode().split('<main id="contenu"', 1)[1].split("</main>", 1)[0]
    return [
        (href, re.sub(r"<[^>]+>", "", text).strip())
        for href, text in re.findall(r'<a href="([^"]+)">(.*?)</a>', main)
    ]


def test_every_page_is_linked_from_the_footer(client):
    response = client.get(reverse("portal:login"))

    assert f'<a href="{reverse("portal:site-map")}">Plan du site</a>' in response.content.decode()


def test_a_visitor_sees_the_pages_open_to_everyone(client):
    response = client.get(reverse("portal:site-map"))

    assert response.status_code == 200
    assert "<title>Plan du site" in response.content.decode()
    links = links_of(response)
    assert [text for _href, text in links] == [
        "Connexion",
        "J'ai oublié mon mot de passe",
        "Mentions légales",
        "Données personnelles",
        "Accessibilité : partiellement conforme",
    ]
    for href, _text in links:
        assert client.get(href).status_code == 200, href


def test_a_family_sees_every_rubrique_and_each_link_opens(family_client):
    response = family_client.get(reverse("portal:site-map"))

    text = text_of(response)
    for rubrique in [
        "MON ACCUEIL",
        "ACTUALITÉS",
        "ÉDITION DE DOCUMENTS",
        "MENUS RESTAURATION",
        "INFOS PRATIQUES",
        "MON TABLEAU DE BORD",
        "MES FACTURES",
        "MES PRÉLÈVEMENTS",
        "MON ESPACE",
        "MEMBRES FOYER",
        "CONTACTS",
    ]:
        assert rubrique in text
    links = links_of(response)
    assert len(links) == 21
    for href, label in links:
        assert family_client.get(href).status_code == 200, (href, label)
