"""ACTUALITÉS, MENUS RESTAURATION, INFOS PRATIQUES and MON ACCUEIL in Chromium: the XSS
corpus is rendered and nothing runs; every page passes axe-core."""

import datetime
import re

import pytest
from django.utils import timezone

from portail.content.models import News, PracticalPage
from tests.content.factories import (
    MenuDishFactory,
    MenuFactory,
    NewsFactory,
    OfficialDocumentFactory,
    PracticalPageFactory,
    add_version,
)
from tests.content.xss_corpus import PAYLOADS
from tests.factories import DEFAULT_PASSWORD
from tests.portal.families import make_family

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CORPUS = "\n".join(PAYLOADS)


def log_in(page, live_server, username):
    page.goto(live_server.url + "/connexion/")
    page.get_by_label("Identifiant ou adresse e-mail").fill(username)
    page.get_by_label(re.compile(r"^Mot de passe")).fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.wait_for_load_state()


def executed(page) -> bool:
    return page.evaluate("() => window.__xss !== undefined")


def test_the_xss_corpus_renders_without_running_anything(page, live_server):
    family = make_family(name="Durand")
    stored = NewsFactory(title="Corpus enregistré", body=CORPUS, nurseries=[family.nursery])
    bypassed = NewsFactory(title="Corpus contourné", nurseries=[family.nursery])
    # Written around the model: only the sanitising at rendering protects this one.
    News.objects.filter(pk=bypassed.pk).update(body=CORPUS)
    info = PracticalPageFactory(title="Corpus pratique", slug="corpus")
    PracticalPage.objects.filter(pk=info.pk).update(body=CORPUS)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    # The detector works: the same payloads unsanitised do run.
    page.set_content("<img src=x onerror=window.__xss=1>")
    page.wait_for_function("() => window.__xss === 1")

    log_in(page, live_server, family.user.username)
    urls = [
        "/actualites/",
        f"/actualites/{stored.reference}/",
        f"/actualites/{bypassed.reference}/",
        "/infos-pratiques/",
        "/",
    ]
    for url in urls:
        page.goto(live_server.url + url)
        page.wait_for_load_state("load")
        # Give delayed handlers (onerror of broken images, autofocus) their chance.
        page.mouse.move(10, 10)
        page.mouse.move(300, 300)
        page.keyboard.press("Tab")
        page.wait_for_timeout(300)
        assert not executed(page), url
        for link in page.locator("main a").all():
            href = link.get_attribute("href") or ""
            assert not href.strip().lower().startswith(("javascript:", "data:", "vbscript:")), href
    assert dialogs == []


def assert_accessible(axe, page, violations):
    results = axe.run(page)
    if results.violations_count:
        violations[page.url] = results.generate_report()


def test_content_pages_pass_axe(page, axe, live_server):
    family = make_family(name="Durand")
    today = timezone.localdate()
    NewsFactory(
        title="Bienvenue sur le portail",
        body="<p>Vos factures et les menus sont en ligne.</p><ul><li>Un</li><li>Deux</li></ul>",
        is_pinned=True,
    )
    NewsFactory(
        title="Le jardin de la crèche",
        body="<h2>Au potager</h2><p>Radis et fraises.</p>",
        nurseries=[family.nursery],
        with_files=True,
    )
    NewsFactory(
        title="Fête de fin d'année",
        event_starts_at=timezone.now() + datetime.timedelta(days=10),
        event_location="Salle des fêtes",
    )
    menu = MenuFactory(nursery=family.nursery, month=today.replace(day=1))
    for course, name, allergens in (
        ("starter", "Carottes râpées", []),
        ("main", "Poisson pané", ["fish", "gluten"]),
        ("dessert", "Compote", []),
        ("snack", "Yaourt", ["milk"]),
    ):
        MenuDishFactory(menu=menu, served_on=today, course=course, name=name, allergens=allergens)
    add_version(OfficialDocumentFactory(title="Règlement de fonctionnement"), label="2026")
    PracticalPageFactory(
        title="Horaires d'ouverture", slug="horaires", body="<p>De 7 h 30 à 18 h 30.</p>"
    )
    violations = {}

    log_in(page, live_server, family.user.username)
    for url, heading in (
        ("/", "MON ACCUEIL"),
        ("/actualites/", "ACTUALITÉS"),
        ("/menus-restauration/", "MENUS RESTAURATION"),
        ("/infos-pratiques/", "INFOS PRATIQUES"),
    ):
        page.goto(live_server.url + url)
        assert page.get_by_role("heading", name=heading, level=1).is_visible(), url
        assert_accessible(axe, page, violations)

    page.goto(live_server.url + "/actualites/")
    page.get_by_role("link", name="Le jardin de la crèche").click()
    assert page.get_by_role("heading", name="Le jardin de la crèche", level=1).is_visible()
    image = page.get_by_role("img", name="Les enfants au jardin")
    # The image may still be loading when the heading shows: wait for its load (or error).
    assert image.evaluate(
        """img => img.complete ? img.naturalWidth > 0 : new Promise(resolve => {
            img.addEventListener("load", () => resolve(img.naturalWidth > 0));
            img.addEventListener("error", () => resolve(false));
        })"""
    )
    assert_accessible(axe, page, violations)

    assert violations == {}, "\n".join(violations.values())
