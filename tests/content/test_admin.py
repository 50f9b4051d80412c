"""The back office: administrators publish for everyone, nursery staff only for their
nurseries; every item has a preview rendered as families will see it."""

import datetime

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portail.content.models import Menu, News
from tests.backoffice.conftest import text_of

from .factories import (
    MenuDishFactory,
    MenuFactory,
    NewsFactory,
    OfficialDocumentFactory,
    add_version,
)


def news_post(**overrides) -> dict:
    now = timezone.localtime()
    data = {
        "title": "Semaine du goût",
        "body": "<p>Les enfants goûteront <strong>cinq</strong> fromages.</p><script>x</script>",
        "image_alt": "",
        "attachment_label": "",
        "event_location": "",
        "event_starts_at_0": "",
        "event_starts_at_1": "",
        "publish_at_0": now.strftime("%d/%m/%Y"),
        "publish_at_1": now.strftime("%H:%M:%S"),
        "unpublish_at_0": "",
        "unpublish_at_1": "",
    }
    data.update(overrides)
    return data


def test_administrator_publishes_news_for_all_families(
    admin_client, durand, notified, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:content_news_add"), news_post(for_all_families="on")
        )

    assert response.status_code == 302, text_of(response)
    item = News.objects.get()
    assert item.for_all_families
    assert item.body == "<p>Les enfants goûteront <strong>cinq</strong> fromages.</p>"
    assert [call["label"] for call in notified] == ["Semaine du goût"]


def test_news_needs_an_audience(admin_client):
    response = admin_client.post(reverse("admin:content_news_add"), news_post())

    assert response.status_code == 200
    assert "Choisissez les structures dont les familles le verront" in text_of(response)
    assert not News.objects.exists()


def test_nursery_staff_publish_only_for_their_nurseries(staff_client, durand, bernard):
    form = staff_client.get(reverse("admin:content_news_add"))
    page = form.content.decode()
    assert "Crèche Durand" in page
    assert "Crèche Bernard" not in page
    assert 'name="for_all_families"' not in page  # read-only for nursery staff

    refused = staff_client.post(
        reverse("admin:content_news_add"),
        news_post(nurseries=[bernard.nursery.pk], for_all_families="on"),
    )
    assert refused.status_code == 200
    assert not News.objects.exists()

    accepted = staff_client.post(
        reverse("admin:content_news_add"),
        news_post(nurseries=[durand.nursery.pk], for_all_families="on"),
    )
    assert accepted.status_code == 302
    item = News.objects.get()
    assert not item.for_all_families
    assert list(item.nurseries.all()) == [durand.nursery]


def test_nursery_staff_see_only_items_for_their_nurseries(staff_client, durand, bernard):
    NewsFactory(title="Pour Durand", nurseries=[durand.nursery])
    NewsFactory(title="Pour Bernard", nurseries=[bernard.nursery])
    NewsFactory(title="Pour les deux", nurseries=[durand.nursery, bernard.nursery])
    NewsFactory(title="Pour tous")
    theirs = MenuFactory(nursery=durand.nursery)
    other = MenuFactory(nursery=bernard.nursery)

    text = text_of(staff_client.get(reverse("admin:content_news_changelist")))
    assert "Pour Durand" in text
    for hidden in ("Pour Bernard", "Pour les deux", "Pour tous", "Crèche Bernard"):
        assert hidden not in text

    menus = text_of(staff_client.get(reverse("admin:content_menu_changelist")))
    assert str(theirs) in menus and str(other) not in menus
    hidden = News.objects.get(title="Pour Bernard")
    for url in (
        reverse("admin:content_news_change", args=[hidden.pk]),
        reverse("admin:content_news_preview", args=[hidden.pk]),
        reverse("admin:content_menu_preview", args=[other.pk]),
    ):
        response = staff_client.get(url)
        assert response.status_code in (302, 404), url
        assert "Pour Bernard" not in response.content.decode()


def family_client(family) -> Client:
    """The family's own browser, beside the staff member's."""
    client = Client()
    client.force_login(family.user)
    return client


def test_preview_renders_a_scheduled_item_as_families_will_see_it(admin_client, durand):
    item = NewsFactory(
        title="Spectacle de fin d'année",
        body="<p>Rendez-vous à la salle des fêtes.</p>",
        nurseries=[durand.nursery],
        publish_at=timezone.now() + datetime.timedelta(days=3),
        with_files=True,
    )

    preview = admin_client.get(reverse("admin:content_news_preview", args=[item.pk]))

    text = text_of(preview)
    assert "Aperçu pour le personnel" in text
    assert "Destinataires : Crèche Durand." in text
    assert "Les familles ne la voient pas encore" in text
    assert "Spectacle de fin d'année" in text
    assert "Rendez-vous à la salle des fêtes." in text
    image_url = reverse("admin:content_news_image", args=[item.pk])
    assert f'src="{image_url}"' in preview.content.decode()
    assert admin_client.get(image_url)["Content-Type"] == "image/png"
    # Families do not see it before its publication time.
    detail = reverse("portal:news-detail", kwargs={"reference": item.reference})
    assert family_client(durand).get(detail).status_code == 404


def test_preview_of_the_news_uses_the_familys_template(admin_client, durand):
    item = NewsFactory(title="Même rendu", body="<p>Identique</p>", nurseries=[durand.nursery])

    preview = admin_client.get(reverse("admin:content_news_preview", args=[item.pk]))
    family = family_client(durand).get(
        reverse("portal:news-detail", kwargs={"reference": item.reference})
    )

    def article(response):
        content = response.content.decode()
        return content[content.index("<article") : content.index("</article>")]

    assert article(preview) == article(family)


def test_menu_preview_shows_the_week_table(admin_client, durand):
    menu = MenuFactory(nursery=durand.nursery, month=datetime.date(2026, 9, 1))
    MenuDishFactory(
        menu=menu, served_on=datetime.date(2026, 9, 7), name="Hachis parmentier", allergens=["milk"]
    )

    text = text_of(admin_client.get(reverse("admin:content_menu_preview", args=[menu.pk])))

    assert "Semaine du lundi 7 septembre" in text
    assert "Hachis parmentier Allergènes : Lait" in text


def test_staff_see_the_history_of_an_official_document(admin_client):
    document = OfficialDocumentFactory(title="Tarifs")
    old = add_version(document, label="2025")
    add_version(document, label="2026")

    response = admin_client.get(
        reverse("admin:content_officialdocument_change", args=[document.pk])
    )

    page = text_of(response)
    assert "2025" in page and "2026" in page
    file_url = reverse("admin:content_officialdocument_version_file", args=[old.pk])
    assert f'href="{file_url}"' in response.content.decode()
    assert "/media/" not in response.content.decode()
    assert admin_client.get(file_url)["Content-Type"] == "application/pdf"


def test_stored_files_link_to_checked_views_not_to_media(admin_client, durand):
    item = NewsFactory(nurseries=[durand.nursery], with_files=True)

    page = admin_client.get(reverse("admin:content_news_change", args=[item.pk])).content.decode()

    assert f'href="{reverse("admin:content_news_image", args=[item.pk])}"' in page
    assert f'href="{reverse("admin:content_news_attachment", args=[item.pk])}"' in page
    assert "/media/" not in page


def test_menu_dish_days_must_be_in_the_menus_month(admin_client, durand):
    data = {
        "nursery": durand.nursery.pk,
        "month": "2026-09-01",
        "note": "",
        "publish_at_0": "01/09/2026",
        "publish_at_1": "08:00:00",
        "dishes-TOTAL_FORMS": "1",
        "dishes-INITIAL_FORMS": "0",
        "dishes-MIN_NUM_FORMS": "0",
        "dishes-MAX_NUM_FORMS": "1000",
        "dishes-0-served_on": "2026-10-02",
        "dishes-0-course": "main",
        "dishes-0-name": "Lasagnes",
        "dishes-0-allergens": ["gluten", "milk"],
    }

    response = admin_client.post(reverse("admin:content_menu_add"), data)
    assert "Ce jour n'est pas dans le mois du menu." in text_of(response)
    assert not Menu.objects.exists()

    data["dishes-0-served_on"] = "2026-09-02"
    response = admin_client.post(reverse("admin:content_menu_add"), data)
    assert response.status_code == 302, text_of(response)
    assert Menu.objects.get().dishes.get().allergens == ["gluten", "milk"]


def test_nursery_staff_cannot_file_menus_for_another_nursery(staff_client, durand, bernard):
    data = {
        "nursery": bernard.nursery.pk,
        "month": "2026-09-01",
        "note": "",
        "publish_at_0": "01/09/2026",
        "publish_at_1": "08:00:00",
        "dishes-TOTAL_FORMS": "0",
        "dishes-INITIAL_FORMS": "0",
        "dishes-MIN_NUM_FORMS": "0",
        "dishes-MAX_NUM_FORMS": "1000",
    }

    refused = staff_client.post(reverse("admin:content_menu_add"), data)
    assert refused.status_code == 200
    assert "Crèche Bernard" not in refused.content.decode()
    assert not Menu.objects.exists()

    data["nursery"] = durand.nursery.pk
    assert staff_client.post(reverse("admin:content_menu_add"), data).status_code == 302
    assert Menu.objects.get().nursery == durand.nursery


def test_a_malformed_preview_address_is_not_an_error(admin_client):
    response = admin_client.get("/gestion/content/news/abc/preview/")

    assert response.status_code in (302, 404)


def test_staff_publish_scheduled_news_now_and_end_published_news(
    admin_client, durand, notified, django_capture_on_commit_callbacks
):
    scheduled = NewsFactory(
        title="Programmée",
        nurseries=[durand.nursery],
        publish_at=timezone.now() + datetime.timedelta(days=2),
    )
    published = NewsFactory(title="En ligne", nurseries=[durand.nursery])
    changelist = reverse("admin:content_news_changelist")

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            changelist,
            {"action": "publish_now", "_selected_action": [scheduled.pk, published.pk]},
            follow=True,
        )
    assert "1 actualité publiée maintenant ; les familles sont prévenues." in text_of(response)
    # Both were announced: the one brought forward, and the one never announced before.
    assert {call["label"] for call in notified} == {"Programmée", "En ligne"}

    response = admin_client.post(
        changelist, {"action": "end_now", "_selected_action": [published.pk]}, follow=True
    )
    assert "1 actualité n'est plus montrée aux familles." in text_of(response)
    assert list(News.objects.visible_to(durand.user)) == [scheduled]
