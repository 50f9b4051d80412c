"""The legal pages: open to everyone (even before the CGU are accepted), linked from the
footer of every page with the mandatory accessibility mention, filled from the organisation."""

import pytest
from django.test import Client
from django.urls import reverse

from portail.organisation.models import Organisation
from tests.factories import TermsVersionFactory
from tests.portal.pages import text_of

LEGAL_PAGES = ["portal:legal-notice", "portal:privacy", "portal:accessibility"]


@pytest.fixture
def organisation():
    organisation = Organisation.current()
    organisation.town_name = "Bourg-les-Crèches"
    organisation.service_email = "petite-enfance@bourg.example.fr"
    organisation.publication_director = "Mme Anne Martin, maire"
    organisation.host_details = "Hébergeur Exemple SAS, 2 rue du Serveur, 69000 Lyon"
    organisation.data_protection_contact = "dpo@bourg.example.fr"
    organisation.save()
    return organisation


@pytest.mark.parametrize("name", LEGAL_PAGES)
def test_legal_pages_are_open_to_anonymous_visitors(client, organisation, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert "Bourg-les-Crèches" in text_of(response)


def test_legal_notice_names_the_publisher_director_and_host(client, organisation):
    page = text_of(client.get(reverse("portal:legal-notice")))
    assert "Mme Anne Martin, maire" in page
    assert "Hébergeur Exemple SAS" in page


def test_privacy_page_states_the_retention_periods_and_rights(client, organisation, settings):
    settings.RETENTION_HOUSEHOLD_YEARS = 3
    settings.RETENTION_INVOICE_YEARS = 10
    page = text_of(client.get(reverse("portal:privacy")))
    assert "dpo@bourg.example.fr" in page
    assert "3" in page and "10" in page
    assert "CNIL" in page


def test_accessibility_statement_has_the_mandatory_parts(client, organisation):
    page = text_of(client.get(reverse("portal:accessibility")))
    assert "RGAA 4.1" in page
    assert "Défenseur des droits" in page
    assert "petite-enfance@bourg.example.fr" in page
    organisation.accessibility_rate = 72
    organisation.save()
    assert "72 %" in text_of(client.get(reverse("portal:accessibility")))


def test_every_page_links_the_legal_pages_in_its_footer(client, family_a):
    pages = [Client().get("/connexion/")]
    client.force_login(family_a.user)
    pages += [client.get(reverse(name)) for name in ("portal:dashboard", "portal:my-space")]
    for response in pages:
        html, url = response.content.decode(), response.request["PATH_INFO"]
        for name in LEGAL_PAGES:
            assert f'href="{reverse(name)}"' in html, (url, name)


def test_legal_pages_are_readable_before_the_cgu_are_accepted(family_a):
    TermsVersionFactory()
    client = Client()
    client.force_login(family_a.user)
    assert client.get(reverse("portal:dashboard")).status_code == 302
    for name in LEGAL_PAGES:
        assert client.get(reverse(name)).status_code == 200


def test_every_page_has_a_language_a_title_and_a_skip_link(client, family_a):
    pages = [Client().get("/connexion/")]
    client.force_login(family_a.user)
    pages += [
        client.get(reverse(n)) for n in ("portal:dashboard", "portal:my-data", "portal:privacy")
    ]
    for response in pages:
        html, url = response.content.decode(), response.request["PATH_INFO"]
        assert '<html lang="fr">' in html
        assert 'class="skip-link" href="#contenu"' in html and 'id="contenu"' in html
        title = html.split("<title>", 1)[1].split("</title>", 1)[0]
        assert title.split("—")[0].strip(), url
