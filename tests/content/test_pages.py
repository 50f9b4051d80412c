"""What families read: MENUS RESTAURATION's week tables, INFOS PRATIQUES, MON ACCUEIL's
« new since your last visit », and the cost of each page in queries."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portail.content.services import record_home_visit
from tests.factories import InvoiceFactory
from tests.portal.families import make_family
from tests.portal.pages import text_of

from .factories import (
    MenuDishFactory,
    MenuFactory,
    NewsFactory,
    OfficialDocumentFactory,
    PracticalPageFactory,
    add_version,
)

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
SEPT_14 = datetime.datetime(2026, 9, 14, 10, 0, tzinfo=PARIS)


def test_menus_show_this_month_and_next_as_week_tables(durand, durand_client):
    with time_machine.travel(SEPT_14, tick=False):
        september = MenuFactory(nursery=durand.nursery, month=datetime.date(2026, 9, 1))
        MenuDishFactory(
            menu=september,
            served_on=datetime.date(2026, 9, 14),
            course="starter",
            name="Carottes râpées",
            allergens=[],
        )
        MenuDishFactory(
            menu=september,
            served_on=datetime.date(2026, 9, 14),
            course="main",
            name="Poisson pané",
            allergens=["fish", "gluten"],
        )
        MenuDishFactory(
            menu=september,
            served_on=datetime.date(2026, 9, 15),
            course="snack",
            name="Yaourt",
            allergens=["milk"],
        )
        MenuFactory(nursery=durand.nursery, month=datetime.date(2026, 10, 1))
        MenuDishFactory(
            menu=MenuFactory(nursery=durand.nursery, month=datetime.date(2026, 11, 1)),
            served_on=datetime.date(2026, 11, 2),
            name="Plat de novembre",
        )
        durand_client.force_login(durand.user)
        text = text_of(durand_client.get(reverse("portal:menus")))

    assert "Menus de septembre 2026" in text
    assert "Semaine du lundi 14 septembre" in text
    assert "Jour Entrée Plat Dessert Goûter" in text
    assert (
        "lundi 14 Carottes râpées Poisson pané Allergènes : Poissons, Céréales contenant du gluten "
        "non servi non servi"
    ) in text
    assert "mardi 15 non servi non servi non servi Yaourt Allergènes : Lait" in text
    assert "Menus d'octobre 2026" in text or "Menus de octobre 2026" in text
    assert "Plat de novembre" not in text


def test_menus_link_their_pdf(durand, durand_client):
    from django.core.files.base import ContentFile

    from .factories import pdf_bytes

    menu = MenuFactory(nursery=durand.nursery)
    menu.pdf.save("menus.pdf", ContentFile(pdf_bytes("Menus")))

    page = durand_client.get(reverse("portal:menus")).content.decode()
    url = reverse("portal:menu-pdf", kwargs={"reference": menu.reference})
    assert f'href="{url}"' in page
    assert durand_client.get(url)["Content-Type"] == "application/pdf"


def test_a_scheduled_menu_is_not_shown_before_its_time(durand, durand_client):
    with time_machine.travel(SEPT_14, tick=False):
        menu = MenuFactory(
            nursery=durand.nursery,
            month=datetime.date(2026, 10, 1),
            publish_at=SEPT_14 + datetime.timedelta(days=1),
        )
        MenuDishFactory(menu=menu, name="Surprise d'octobre")
        durand_client.force_login(durand.user)
        assert "Surprise d'octobre" not in text_of(durand_client.get(reverse("portal:menus")))


def test_practical_info_keeps_the_nursery_details_and_adds_the_pages(durand, durand_client):
    PracticalPageFactory(
        title="Fermetures annuelles",
        slug="fermetures",
        position=2,
        body="<ul><li>Trois semaines en août.</li></ul>",
    )
    PracticalPageFactory(title="Horaires", slug="horaires", position=1)

    response = durand_client.get(reverse("portal:practical-info"))
    text = text_of(response)

    assert "Crèche Durand" in text
    assert text.index("Horaires") < text.index("Fermetures annuelles")
    assert "Fermetures annuelles Trois semaines en août." in text
    assert 'href="#fermetures"' in response.content.decode()


def test_home_lists_what_is_new_since_the_previous_visit(durand, durand_client):
    with time_machine.travel(SEPT_14, tick=False):
        NewsFactory(title="Ancienne nouvelle", publish_at=SEPT_14 - datetime.timedelta(days=2))
        record_home_visit(user=durand.user)  # the previous visit

    later = SEPT_14 + datetime.timedelta(days=1)
    with time_machine.travel(later, tick=False):
        NewsFactory(
            title="Sortie à la ferme",
            nurseries=[durand.nursery],
            publish_at=later - datetime.timedelta(hours=3),
        )
        NewsFactory(
            title="Pour une autre crèche",
            nurseries=[make_family(name="Bernard").nursery],
            publish_at=later - datetime.timedelta(hours=3),
        )
        add_version(
            OfficialDocumentFactory(title="Tarifs 2026-2027"),
            label="septembre",
            published_at=later - datetime.timedelta(hours=2),
        )
        MenuFactory(
            nursery=durand.nursery,
            month=datetime.date(2026, 10, 1),
            publish_at=later - datetime.timedelta(hours=1),
        )
        InvoiceFactory(household=durand.household, payer=durand.guardian, issued_on=later.date())
        NewsFactory(
            title="Spectacle",
            event_starts_at=later + datetime.timedelta(days=5),
            publish_at=SEPT_14 - datetime.timedelta(days=3),
        )
        durand_client.force_login(durand.user)
        text = text_of(durand_client.get(reverse("portal:home")))
        again = text_of(durand_client.get(reverse("portal:home")))

    new = text[
        text.index("Nouveau depuis le 14 septembre 2026") : text.index("Dernières actualités")
    ]
    assert "1 nouvelle facture" in new
    assert "1 nouvelle actualité : Sortie à la ferme" in new
    assert "1 nouveau document officiel : Tarifs 2026-2027, version septembre (PDF)" in new
    assert "Nouveaux menus : Crèche Durand, octobre 2026" in new
    assert "Ancienne nouvelle" not in new
    assert "Pour une autre crèche" not in text
    assert "Événements à venir" in text and "Spectacle" in text
    # Reloading within the same visit keeps the same news.
    assert "Sortie à la ferme" in again[again.index("Nouveau depuis") :]


def test_home_says_when_nothing_is_new(durand, durand_client):
    with time_machine.travel(SEPT_14, tick=False):
        record_home_visit(user=durand.user)
    with time_machine.travel(SEPT_14 + datetime.timedelta(days=2), tick=False):
        durand_client.force_login(durand.user)
        text = text_of(durand_client.get(reverse("portal:home")))

    assert "Rien de nouveau depuis votre dernière visite." in text
    assert "Aucune actualité pour le moment." in text
    assert "Aucun événement à venir." in text


def fill(family, count: int) -> None:
    """``count`` items of every kind for the family's nursery."""
    for index in range(count):
        NewsFactory(
            title=f"Actualité {index}",
            nurseries=[family.nursery],
            event_starts_at=SEPT_14 + datetime.timedelta(days=index + 1),
            is_pinned=index == 0,
        )
        PracticalPageFactory(nurseries=[family.nursery])
        add_version(OfficialDocumentFactory(title=f"Document {index}", nurseries=[family.nursery]))
    for month in (datetime.date(2026, 9, 1), datetime.date(2026, 10, 1)):
        menu = MenuFactory(nursery=family.nursery, month=month)
        for day in range(count):
            for course in ("starter", "main", "dessert", "snack"):
                MenuDishFactory(
                    menu=menu, served_on=month + datetime.timedelta(days=day), course=course
                )


# Every request pays 5 queries (session, user, CGU gate, guardian rows, organisation; the
# session is saved at most once a minute); the rest is the page's own, the same with 1 item of
# each kind as with 5.
FAMILY_PAGES = {
    "portal:home": 20,  # + visit (lock, update), household members, new news (list, count),
    # latest news, documents with versions, new menus, invoice count, events
    "portal:news": 8,  # + count, page of news, agenda
    "portal:news-detail": 6,  # + the news item
    "portal:menus": 7,  # + menus with nursery, their dishes
    "portal:practical-info": 7,  # + nurseries, pages
}


def count_queries(client, family, page) -> int:
    if page == "portal:news-detail":
        from portail.content.models import News

        item = News.objects.visible_to(family.user).first()
        url = reverse(page, kwargs={"reference": item.reference})
    else:
        url = reverse(page)
    client.force_login(family.user)
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("page", FAMILY_PAGES)
def test_family_page_query_count_does_not_grow_with_the_content(client, page):
    with time_machine.travel(SEPT_14, tick=False):
        small = make_family(name="Petit")
        fill(small, 1)
        big = make_family(name="Grand", children=3)
        fill(big, 5)

        small_count = count_queries(client, small, page)
        big_count = count_queries(client, big, page)

    assert small_count == big_count == FAMILY_PAGES[page]


def test_weeks_already_over_are_folded_away(durand, durand_client):
    with time_machine.travel(SEPT_14, tick=False):
        september = MenuFactory(nursery=durand.nursery, month=datetime.date(2026, 9, 1))
        MenuDishFactory(menu=september, served_on=datetime.date(2026, 9, 1), name="Plat passé")
        MenuDishFactory(menu=september, served_on=datetime.date(2026, 9, 16), name="Plat à venir")
        durand_client.force_login(durand.user)
        page = durand_client.get(reverse("portal:menus")).content.decode()

    folded = page[page.index("<details") : page.index("</details>")]
    assert "1 semaine déjà passée" in folded
    assert "Plat passé" in folded
    assert "Plat à venir" in page[page.index("</details>") :]


def test_a_visit_ends_after_an_idle_session(durand, settings):
    settings.SESSION_COOKIE_AGE = 30 * 60
    first = record_home_visit(user=durand.user, now=SEPT_14)
    assert first == SEPT_14 - datetime.timedelta(days=settings.CONTENT_NEW_DAYS_FIRST_VISIT)

    # Ten minutes later, the same visit: the same starting point.
    assert (
        record_home_visit(user=durand.user, now=SEPT_14 + datetime.timedelta(minutes=10)) == first
    )
    # An hour after that, a new visit: new since the end of the previous one.
    later = SEPT_14 + datetime.timedelta(minutes=70)
    assert record_home_visit(user=durand.user, now=later) == SEPT_14 + datetime.timedelta(
        minutes=10
    )
