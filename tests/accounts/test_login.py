"""« Connexion »: identifier or e-mail, any case; one message for every failure."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client

from tests.accounts.conftest import form_errors, is_logged_in, log_in, text_of
from tests.factories import StaffUserFactory, UserFactory

GENERIC = (
    "Identifiant ou mot de passe incorrect. Vérifiez-les et réessayez : après 10 tentatives "
    "échouées, la connexion est bloquée pendant 15 minutes."
)


def test_login_page_is_in_french_with_the_forgotten_password_link(client):
    response = client.get("/connexion/")

    assert response.status_code == 200
    text = text_of(response)
    assert "Identifiant ou adresse e-mail" in text
    assert "J'ai oublié mon mot de passe" in text
    assert "Connexion" in text


@pytest.mark.parametrize(
    "login",
    [
        "camille.martin",
        "Camille.Martin",
        "CAMILLE.MARTIN",
        "camille.martin@example.fr",
        "CAMILLE.MARTIN@EXAMPLE.FR",
        "  Camille.Martin@Example.fr ",
    ],
)
def test_family_logs_in_with_identifier_or_email_in_any_case(client, user, login):
    response = log_in(client, login)

    assert response.status_code == 302
    assert response["Location"] == "/tableau-de-bord/"
    assert client.session[SESSION_KEY] == str(user.pk)


def test_login_goes_back_to_the_page_asked_for(client, user):
    response = client.get("/mon-espace/contacts/")
    assert response["Location"] == "/connexion/?next=/mon-espace/contacts/"

    response = client.post(
        "/connexion/?next=/mon-espace/contacts/",
        {
            "username": "camille.martin",
            "password": "Soleil-Matin-42",
            "next": "/mon-espace/contacts/",
        },
    )

    assert response["Location"] == "/mon-espace/contacts/"


def test_login_never_redirects_to_another_site(client, user):
    response = client.post(
        "/connexion/",
        {
            "username": "camille.martin",
            "password": "Soleil-Matin-42",
            "next": "https://evil.example/",
        },
    )

    assert response["Location"] == "/tableau-de-bord/"


def test_wrong_password_and_unknown_identifier_get_the_same_answer(user):
    answers = []
    for login in ("camille.martin", "personne.inconnue", "inconnu@example.fr"):
        response = log_in(Client(), login, "Pas-Le-Bon-1")
        answers.append((response.status_code, form_errors(response)))

    assert answers == [(200, [GENERIC])] * 3


def test_disabled_account_gets_the_same_answer_as_a_wrong_password(client, user):
    user.is_active = False
    user.save()

    response = log_in(client, "camille.martin")

    assert (response.status_code, form_errors(response)) == (200, [GENERIC])
    assert not is_logged_in(client)


def test_invited_account_without_a_password_gets_the_same_answer(client):
    invited = UserFactory(username="sans.mot.de.passe")
    invited.set_unusable_password()
    invited.save()

    response = log_in(client, "sans.mot.de.passe", "")

    assert response.status_code == 200
    assert not is_logged_in(client)
    response = log_in(client, "sans.mot.de.passe", "!")
    assert form_errors(response) == [GENERIC]


def test_staff_cannot_log_in_to_the_family_portal(client):
    StaffUserFactory(username="agent.accueil", email="agent.accueil@mairie.fr")

    response = log_in(client, "agent.accueil")

    assert response.status_code == 200
    assert form_errors(response) == [
        "Les comptes du personnel se connectent à l'espace de gestion, pas au portail famille."
    ]
    assert SESSION_KEY not in client.session


def test_staff_with_a_wrong_password_gets_the_generic_message(client):
    StaffUserFactory(username="agent.accueil")

    response = log_in(client, "agent.accueil", "Pas-Le-Bon-1")

    assert form_errors(response) == [GENERIC]


def test_empty_login_form_asks_for_both_fields_in_french(client):
    response = client.post("/connexion/", {"username": "", "password": ""})

    assert response.status_code == 200
    assert text_of(response).count("Ce champ est obligatoire.") == 2


def test_logout_is_post_only(client, user):
    client.force_login(user)

    response = client.get("/deconnexion/")

    assert response.status_code == 405
    assert is_logged_in(client)


def test_logout_ends_the_session(client, user):
    log_in(client, "camille.martin")
    session_key = client.session.session_key

    response = client.post("/deconnexion/")

    assert response.status_code == 302
    assert response["Location"] == "/connexion/"
    assert "Vous êtes déconnecté. À bientôt !" in text_of(client.get("/connexion/"))
    assert not is_logged_in(client)
    # The old session cookie is worth nothing any more.
    replay = Client()
    replay.cookies["sessionid"] = session_key
    assert not is_logged_in(replay)


def test_logged_in_family_visiting_the_login_page_goes_to_its_dashboard(client, user):
    client.force_login(user)

    response = client.get("/connexion/")

    assert response.status_code == 302
    assert response["Location"] == "/tableau-de-bord/"


def test_login_gives_a_new_session_key(client, user):
    client.get("/connexion/")
    client.session.save()
    anonymous_key = client.session.session_key

    log_in(client, "camille.martin")

    assert client.session.session_key != anonymous_key
    assert not Session.objects.filter(session_key=anonymous_key).exists()


def test_logout_deletes_the_session_on_the_server(client, user):
    log_in(client, "camille.martin")
    key = client.session.session_key

    client.post("/deconnexion/")

    assert not Session.objects.filter(session_key=key).exists()


def test_failed_logins_differ_in_nothing_but_the_typed_identifier(user):
    def failure(login):
        client = Client()
        response = log_in(client, login, "Pas-Le-Bon-1")
        # The typed identifier is echoed back in the field, so the length differs with it.
        varying = {"set-cookie", "content-length", "expires"}
        headers = {k: v for k, v in response.headers.items() if k.lower() not in varying}
        return response.status_code, headers, sorted(response.cookies), text_of(response)

    assert failure("camille.martin") == failure("personne.inconnue")
