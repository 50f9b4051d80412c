"""A family sees what is addressed to all families or to its children's nurseries, and
nothing else: another nursery's news, files, menus and documents answer 404."""

import pytest
from django.urls import reverse

from portail.content.models import News, OfficialDocument
from tests.portal.pages import text_of

from .factories import (
    MenuDishFactory,
    MenuFactory,
    NewsFactory,
    OfficialDocumentFactory,
    PracticalPageFactory,
    add_version,
)


def test_family_sees_news_for_all_families_and_for_its_nursery_only(durand, bernard, durand_client):
    NewsFactory(title="Fête de la commune")
    NewsFactory(title="Sortie au parc de Durand", nurseries=[durand.nursery])
    NewsFactory(title="Réunion des parents de Bernard", nurseries=[bernard.nursery])

    text = text_of(durand_client.get(reverse("portal:news")))

    assert "Fête de la commune" in text
    assert "Sortie au parc de Durand" in text
    assert "Réunion des parents de Bernard" not in text


def test_news_for_two_nurseries_reaches_both_families(durand, bernard, client):
    NewsFactory(title="Portes ouvertes", nurseries=[durand.nursery, bernard.nursery])

    for family in (durand, bernard):
        client.force_login(family.user)
        assert "Portes ouvertes" in text_of(client.get(reverse("portal:news")))
        assert News.objects.visible_to(family.user).count() == 1


def test_family_cannot_open_another_nurserys_news_nor_its_files(durand, bernard, durand_client):
    other = NewsFactory(title="Réservé à Bernard", nurseries=[bernard.nursery], with_files=True)

    for name in ("portal:news-detail", "portal:news-image", "portal:news-attachment"):
        response = durand_client.get(reverse(name, kwargs={"reference": other.reference}))
        assert response.status_code == 404, name


def test_family_downloads_the_picture_and_attachment_of_its_news(durand, durand_client):
    item = NewsFactory(nurseries=[durand.nursery], with_files=True)

    image = durand_client.get(reverse("portal:news-image", kwargs={"reference": item.reference}))
    attachment = durand_client.get(
        reverse("portal:news-attachment", kwargs={"reference": item.reference})
    )

    assert image.status_code == 200
    assert image["Content-Type"] == "image/png"
    assert image["Cache-Control"] == "private, no-store"
    assert b"".join(image.streaming_content).startswith(b"\x89PNG")
    assert attachment["Content-Type"] == "application/pdf"
    assert "attachment" in attachment["Content-Disposition"]


def test_news_media_are_not_served_from_a_public_address(durand):
    item = NewsFactory(nurseries=[durand.nursery], with_files=True)

    assert reverse("portal:news-image", kwargs={"reference": item.reference}).startswith(
        "/actualites/"
    )
    from django.test import Client

    response = Client().get(f"/media/{item.image.name}")
    assert response.status_code in (302, 404)


def test_family_sees_menus_of_its_nurseries_only(durand, bernard, durand_client):
    MenuDishFactory(menu=MenuFactory(nursery=durand.nursery), name="Gratin dauphinois")
    other = MenuFactory(nursery=bernard.nursery)
    MenuDishFactory(menu=other, name="Couscous de Bernard")

    text = text_of(durand_client.get(reverse("portal:menus")))

    assert "Gratin dauphinois" in text
    assert "Couscous de Bernard" not in text
    response = durand_client.get(reverse("portal:menu-pdf", kwargs={"reference": other.reference}))
    assert response.status_code == 404


def test_official_documents_visible_to_gives_the_latest_published_version(durand, bernard):
    rules = OfficialDocumentFactory(title="Règlement de fonctionnement")
    add_version(rules, label="2025")
    current = add_version(rules, label="2026")
    OfficialDocumentFactory(title="Tarifs de Bernard", nurseries=[bernard.nursery])
    OfficialDocumentFactory(title="Sans version publiée")

    documents = OfficialDocument.objects.visible_to(durand.user)

    assert [document.title for document in documents] == ["Règlement de fonctionnement"]
    assert documents[0].current_version == current
    assert documents[0].download_url == reverse(
        "portal:official-document-file", kwargs={"reference": current.reference}
    )


def test_family_cannot_download_another_nurserys_official_document(durand, bernard, durand_client):
    theirs = add_version(
        OfficialDocumentFactory(title="Projet Bernard", nurseries=[bernard.nursery])
    )
    ours = add_version(OfficialDocumentFactory(title="Projet Durand", nurseries=[durand.nursery]))

    url = "portal:official-document-file"
    assert (
        durand_client.get(reverse(url, kwargs={"reference": theirs.reference})).status_code == 404
    )
    response = durand_client.get(reverse(url, kwargs={"reference": ours.reference}))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_practical_pages_follow_their_audience_and_publication(durand, bernard, durand_client):
    PracticalPageFactory(title="Horaires d'ouverture", body="<p>De 7 h 30 à 18 h 30.</p>")
    PracticalPageFactory(title="Fermetures de Bernard", nurseries=[bernard.nursery])
    PracticalPageFactory(title="Brouillon", is_published=False)

    text = text_of(durand_client.get(reverse("portal:practical-info")))

    assert "Horaires d'ouverture De 7 h 30 à 18 h 30." in text
    assert "Fermetures de Bernard" not in text
    assert "Brouillon" not in text


@pytest.mark.parametrize(
    "name", ["portal:news-detail", "portal:news-image", "portal:news-attachment", "portal:menu-pdf"]
)
def test_unknown_references_answer_404(durand_client, name):
    response = durand_client.get(
        reverse(name, kwargs={"reference": "00000000-0000-0000-0000-000000000000"})
    )
    assert response.status_code == 404
