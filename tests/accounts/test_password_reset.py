"""« J'ai oublié mon mot de passe »: the same answer for everyone, a single-use link valid one
hour for existing active accounts only, then the « mot de passe modifié » e-mail."""

import datetime as dt

import pytest
import time_machine
from django.test import Client

from portail.accounts.models import User
from portail.notifications.models import OutgoingEmail
from tests.accounts.conftest import (
    emails_to,
    errors_of,
    is_logged_in,
    link_path,
    log_in,
    text_of,
)
from tests.factories import UserFactory

RESET = "/mot-de-passe-oublie/"
SET_PASSWORD = "/compte/mot-de-passe/"
NEW = "Riviere-Bleue-77"


def ask(client, login):
    return client.post(RESET, {"login": login})


def choose(client, password, confirmation=None):
    return client.post(
        SET_PASSWORD, {"new_password1": password, "new_password2": confirmation or password}
    )


def answer(response) -> tuple[int, str]:
    """What the person sees: the status and the page's text (no token in a reset answer)."""
    return response.status_code, text_of(response)


def reset_link(user) -> str:
    [email] = emails_to(user.email, kind="password_reset")
    return link_path(email)


def test_reset_page_is_in_french(client):
    text = text_of(client.get(RESET))

    assert "J'ai oublié mon mot de passe" in text
    assert "Indiquez votre identifiant ou votre adresse e-mail." in text


def test_answer_is_the_same_whether_the_account_exists_or_not(user):
    UserFactory(username="desactive", email="desactive@example.fr", is_active=False)

    answers = {
        login: answer(ask(Client(), login))
        for login in (
            "camille.martin",
            "CAMILLE.MARTIN@EXAMPLE.FR",
            "personne.inconnue",
            "inconnu@example.fr",
            "desactive",
        )
    }

    assert len(set(answers.values())) == 1, answers
    status, text = answers["camille.martin"]
    assert status == 200
    assert "Si cet identifiant ou cet e-mail correspond à un compte, un e-mail vous a été" in text
    assert "pendant 60 minutes" in text
    # Only the existing, active account got e-mails: one for its identifier, one for its e-mail.
    assert {email.to for email in OutgoingEmail.objects.all()} == {"camille.martin@example.fr"}
    assert OutgoingEmail.objects.count() == 2


def test_reset_email_holds_a_link_and_no_password(user):
    ask(Client(), "camille.martin")

    [email] = emails_to(user.email, kind="password_reset")
    assert "Choisissez un nouveau mot de passe" in email.subject
    assert "pour le compte camille.martin du portail famille" in email.body_text
    assert "Le lien fonctionne une seule fois, pendant 60 minutes." in email.body_text
    assert link_path(email).startswith("/compte/lien/")


def test_reset_link_lets_the_person_choose_a_new_password_and_log_in(client, user):
    ask(client, "camille.martin")
    response = client.get(reset_link(user))
    assert response["Location"] == SET_PASSWORD
    assert "Choisissez un nouveau mot de passe" in text_of(client.get(SET_PASSWORD))

    response = choose(client, NEW)

    assert response.status_code == 302
    assert response["Location"] == "/connexion/"
    assert "Votre mot de passe a été modifié. Connectez-vous avec votre nouveau mot de passe." in (
        text_of(client.get("/connexion/"))
    )
    assert not is_logged_in(client)
    assert log_in(client, "camille.martin").status_code == 200
    assert log_in(client, "camille.martin", NEW).status_code == 302
    assert is_logged_in(client)


def test_password_changed_email_follows(client, user):
    ask(client, "camille.martin")
    client.get(reset_link(user))
    choose(client, NEW)

    [email] = emails_to(user.email, kind="password_changed")
    assert "Le mot de passe de votre portail famille a été modifié" in email.subject
    assert "Le mot de passe du compte camille.martin du portail famille vient d'être modifié." in (
        email.body_text
    )
    assert "http://testserver/connexion/" in email.body_text


def test_reset_ends_the_other_sessions(client, user):
    elsewhere = Client()
    log_in(elsewhere, "camille.martin")
    assert is_logged_in(elsewhere)

    ask(client, "camille.martin")
    client.get(reset_link(user))
    choose(client, NEW)

    assert not is_logged_in(elsewhere)


def test_new_password_follows_the_same_rule(client, user):
    ask(client, "camille.martin")
    client.get(reset_link(user))

    response = choose(client, "xqzwvkfh")

    assert errors_of(response, "new_password1") == [
        "Au moins une majuscule.",
        "Au moins un chiffre.",
    ]
    assert choose(client, NEW, "Riviere-Bleue-78").status_code == 200
    user.refresh_from_db()
    assert user.check_password("Soleil-Matin-42")


def test_reset_link_works_only_once(client, user):
    ask(client, "camille.martin")
    path = reset_link(user)
    client.get(path)
    choose(client, NEW)

    response = Client().get(path)

    assert response.status_code == 400
    assert "Ce lien ne fonctionne plus" in text_of(response)


def test_reset_link_expires_after_sixty_minutes(client, user):
    start = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        ask(client, "camille.martin")
        path = reset_link(user)

        traveller.move_to(start + dt.timedelta(minutes=59))
        assert Client().get(path).status_code == 302

        traveller.move_to(start + dt.timedelta(minutes=60, seconds=1))
        response = client.get(path)
        assert response.status_code == 400
        assert "Ce lien ne fonctionne plus" in text_of(response)


def test_link_opened_in_time_but_used_too_late_no_longer_works(client, user):
    start = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        ask(client, "camille.martin")
        client.get(reset_link(user))

        traveller.move_to(start + dt.timedelta(minutes=61))
        response = choose(client, NEW)

    assert response.status_code == 400
    user.refresh_from_db()
    assert user.check_password("Soleil-Matin-42")


def test_a_newer_reset_link_replaces_the_older_one(client, user):
    ask(client, "camille.martin")
    ask(client, "camille.martin")
    first, second = (link_path(e) for e in emails_to(user.email, kind="password_reset"))

    assert client.get(first).status_code == 400
    assert client.get(second).status_code == 302


def test_more_than_five_requests_an_hour_send_no_more_emails(user):
    start = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        answers = set()
        for n in range(8):
            traveller.move_to(start + dt.timedelta(minutes=n))
            answers.add(answer(ask(Client(), "camille.martin")))

        assert len(answers) == 1
        assert len(emails_to(user.email, kind="password_reset")) == 5

        traveller.move_to(start + dt.timedelta(minutes=61))
        ask(Client(), "camille.martin")
        assert len(emails_to(user.email, kind="password_reset")) == 6


def test_reset_of_an_account_never_activated_sets_its_first_password(client):
    user = UserFactory(username="jamais.active", email="jamais.active@example.fr")
    user.set_unusable_password()
    user.save()

    ask(client, "jamais.active@example.fr")
    client.get(reset_link(user))
    choose(client, NEW)

    user.refresh_from_db()
    assert user.check_password(NEW)
    assert emails_to(user.email, kind="password_changed") == []


def test_empty_request_asks_for_the_field_in_french(client):
    response = ask(client, "")

    assert response.status_code == 200
    assert errors_of(response, "login") == ["Ce champ est obligatoire."]
    assert not OutgoingEmail.objects.exists()


@pytest.mark.parametrize("login", ["@", "a" * 254, " ", "x@y@z", "\u00e9l\u00e9onore"])
def test_odd_input_gets_the_same_answer_and_never_an_error(client, user, login):
    reference = answer(ask(Client(), "personne.inconnue"))

    response = ask(client, login)

    assert response.status_code == 200
    if login.strip():
        assert answer(response) == reference
    assert not User.objects.exclude(pk=user.pk).exists()


def test_forged_host_header_is_refused_and_links_always_point_to_the_portal(client, user):
    response = client.post(RESET, {"login": "camille.martin"}, HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert emails_to(user.email) == []

    ask(client, "camille.martin")
    [email] = emails_to(user.email, kind="password_reset")
    assert "evil.example" not in email.body_text
    assert "http://testserver/compte/lien/" in email.body_text
