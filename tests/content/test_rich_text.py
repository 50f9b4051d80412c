"""Rich text staff write is reduced to a small allow-list, whatever the payload; what is
stored and what is rendered are both the sanitised text."""

import lxml.html
import pytest
from django.urls import reverse

from portail.content.models import News
from portail.content.rich_text import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    ALLOWED_URL_SCHEMES,
    render,
    sanitise,
)

from .factories import NewsFactory
from .xss_corpus import PAYLOADS


def elements_of(fragment: str):
    if not fragment.strip():
        return []
    root = lxml.html.fragment_fromstring(f"<div>{fragment}</div>")
    return list(root.iter())[1:]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_nothing_dangerous_survives_sanitising(payload):
    cleaned = sanitise(payload)

    for element in elements_of(cleaned):
        assert element.tag in ALLOWED_TAGS, (payload, cleaned)
        allowed = ALLOWED_ATTRIBUTES.get(element.tag, set()) | (
            {"rel"} if element.tag == "a" else set()
        )
        assert set(element.attrib) <= allowed, (payload, cleaned)
        if "href" in element.attrib:
            scheme = element.attrib["href"].split(":", 1)[0].strip().lower()
            assert scheme in ALLOWED_URL_SCHEMES, (payload, cleaned)
            assert element.attrib["rel"] == "noopener noreferrer"
    lowered = cleaned.lower()
    for marker in ("<script", "javascript:", "onerror", "onload", "<iframe", "<svg", "style="):
        assert marker not in lowered, (payload, cleaned)


def test_allowed_formatting_is_kept():
    text = (
        "<h2>Rentrée</h2><p>Les <strong>enfants</strong> et les <em>parents</em> :</p>"
        "<ul><li>un</li></ul><ol><li>deux</li></ol><h3>Liens</h3>"
        '<p><a href="https://www.val-des-tilleuls.example/creches">le site</a></p>'
    )

    assert sanitise(text) == text.replace('">le site', '" rel="noopener noreferrer">le site')


def test_stored_body_is_the_sanitised_one():
    item = NewsFactory(
        body='<p onclick="window.__xss=1">Bonjour</p><script>window.__xss=1</script>'
    )

    item.refresh_from_db()
    assert item.body == "<p>Bonjour</p>"


def test_body_is_sanitised_again_when_rendered(durand_client):
    item = NewsFactory(title="Contournée")
    # A row written around the model (raw update) still renders only the allow-list.
    News.objects.filter(pk=item.pk).update(body='<p>Texte</p><img src=x onerror="window.__xss=1">')

    page = durand_client.get(reverse("portal:news-detail", kwargs={"reference": item.reference}))

    assert "onerror" not in page.content.decode()
    assert "<p>Texte</p>" in page.content.decode()
    assert render("<script>x</script>ok") == "ok"


def test_headings_of_a_body_under_an_h2_title_go_one_level_down(durand_client):
    from .factories import PracticalPageFactory

    PracticalPageFactory(title="Fermetures", body="<h2>Été</h2><h3>Août</h3><p>Fermé.</p>")

    page = durand_client.get(reverse("portal:practical-info")).content.decode()

    assert ">Fermetures</h2>" in page
    assert "<h3>Été</h3><h4>Août</h4><p>Fermé.</p>" in page
