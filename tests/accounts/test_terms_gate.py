"""The CGU gate: nothing of the family's space before « J'accepte les conditions générales
d'utilisation », and again when a new version is published."""

import pytest
from django.test import Client

from portail.accounts.models import TermsAcceptance
from tests.accounts.conftest import GATE_EXEMPT, log_in, portal_urls, text_of
from tests.factories import TermsVersionFactory, make_family_guardian

ACCEPT_BUTTON = "J'accepte les conditions générales d'utilisation"


@pytest.fixture
def newcomer(terms):
    """An activated guardian who has not accepted the CGU yet."""
    return make_family_guardian(
        username="camille.martin",
        email="camille.martin@example.fr",
        first_name="Camille",
        last_name="Martin",
    )


def test_nothing_is_reachable_before_the_cgu_are_accepted(client, newcomer):
    urls = portal_urls(newcomer)
    gated = {name: url for name, url in urls.items() if name not in GATE_EXEMPT}
    client.force_login(newcomer.user)

    reachable = []
    for name, url in gated.items():
        for method in (client.get, client.post):
            response = method(url)
            if response.status_code != 302 or response["Location"] != "/cgu/":
                reachable.append((name, method.__name__, response.status_code))

    print(f"CGU gate: {len(gated)} URLs crawled (GET and POST), {len(reachable)} reachable")
    assert len(gated) >= 15
    assert reachable == []
    assert not TermsAcceptance.objects.exists()
    assert newcomer.user.check_password("Soleil-Matin-42")


def test_cgu_page_shows_the_full_text_and_the_button_at_the_bottom(client, newcomer, terms):
    client.force_login(newcomer.user)

    response = client.get("/cgu/")

    assert response.status_code == 200
    text = text_of(response)
    assert terms.text in text
    assert text.index(terms.text) < text.index(ACCEPT_BUTTON)


def test_accepting_records_who_which_version_and_where_then_shows_the_dashboard(
    client, newcomer, terms
):
    client.force_login(newcomer.user)

    response = client.post("/cgu/", REMOTE_ADDR="203.0.113.7")

    assert response.status_code == 302
    assert response["Location"] == "/tableau-de-bord/"
    acceptance = TermsAcceptance.objects.get()
    assert acceptance.user == newcomer.user
    assert acceptance.terms == terms
    assert acceptance.ip_address == "203.0.113.7"
    response = client.get(response["Location"])
    assert response.status_code == 200
    assert "MON TABLEAU DE BORD" in text_of(response)


def test_every_page_is_reachable_after_acceptance(client, newcomer, terms):
    urls = portal_urls(newcomer)
    client.force_login(newcomer.user)
    client.post("/cgu/")

    still_gated = [
        name
        for name, url in urls.items()
        if name not in GATE_EXEMPT
        and (response := client.get(url)).status_code == 302
        and response["Location"] == "/cgu/"
    ]

    assert still_gated == []


def test_accepting_twice_keeps_one_acceptance(client, newcomer):
    client.force_login(newcomer.user)
    client.post("/cgu/")
    client.post("/cgu/")

    assert TermsAcceptance.objects.count() == 1
    assert "Vous avez accepté ces conditions le" in text_of(client.get("/cgu/"))


def test_new_cgu_version_brings_the_gate_back_at_the_next_request(client, newcomer):
    client.force_login(newcomer.user)
    client.post("/cgu/")
    assert client.get("/mon-espace/").status_code == 200

    version_2 = TermsVersionFactory(version=2, text="Version 2 des conditions : article 9.")

    response = client.get("/mon-espace/")
    assert response.status_code == 302
    assert response["Location"] == "/cgu/"
    assert "Version 2 des conditions : article 9." in text_of(client.get("/cgu/"))
    client.post("/cgu/")
    assert TermsAcceptance.objects.filter(user=newcomer.user, terms=version_2).exists()
    assert client.get("/mon-espace/").status_code == 200


def test_new_cgu_version_brings_the_gate_back_after_login(client, newcomer):
    client.force_login(newcomer.user)
    client.post("/cgu/")
    client.post("/deconnexion/")
    TermsVersionFactory(version=2)

    response = log_in(client, "camille.martin")

    assert response.status_code == 302
    response = client.get(response["Location"])
    assert response.status_code == 302
    assert response["Location"] == "/cgu/"


def test_unpublished_cgu_version_does_not_gate(client, newcomer):
    client.force_login(newcomer.user)
    client.post("/cgu/")

    TermsVersionFactory(version=2, published_at=None)

    assert client.get("/mon-espace/").status_code == 200


def test_without_any_published_cgu_the_family_is_not_gated(client, newcomer, terms):
    terms.published_at = None
    terms.save()
    client.force_login(newcomer.user)

    assert client.get("/mon-espace/").status_code == 200
    response = client.get("/cgu/")
    assert response.status_code == 302
    assert response["Location"] == "/tableau-de-bord/"


def test_cgu_accepted_in_one_session_opens_the_others(client, newcomer):
    other = Client()
    client.force_login(newcomer.user)
    other.force_login(newcomer.user)
    assert other.get("/mon-espace/")["Location"] == "/cgu/"

    client.post("/cgu/")

    assert other.get("/mon-espace/").status_code == 200
