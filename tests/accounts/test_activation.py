"""The activation link: choose a password under the rule, then the CGU."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.test import Client

from portail.accounts.models import AccountLink, User
from portail.accounts.services import (
    LinkNoLongerUsable,
    accept_terms,
    invite_guardian,
    set_password_from_link,
    set_temporary_password,
)
from tests.accounts.conftest import emails_to, errors_of, link_path, text_of
from tests.factories import GuardianFactory, make_family_guardian

SET_PASSWORD = "/compte/mot-de-passe/"
VALID = "Soleil-Matin-42"


@pytest.fixture
def invited(terms):
    """Camille Martin, invited: the path of the activation link from her e-mail."""
    guardian = GuardianFactory(
        first_name="Camille", last_name="Martin", email="camille.martin@example.fr"
    )
    invite_guardian(guardian=guardian)
    [email] = emails_to("camille.martin@example.fr")
    return link_path(email)


def choose(client, password, confirmation=None):
    return client.post(
        SET_PASSWORD,
        {"new_password1": password, "new_password2": confirmation or password},
    )


def assert_link_no_longer_works(response):
    assert response.status_code == 400
    text = text_of(response)
    assert "Ce lien ne fonctionne plus" in text
    assert "J'ai oublié mon mot de passe" in text


def test_activation_link_moves_the_token_out_of_the_url(client, invited):
    response = client.get(invited)

    assert response.status_code == 302
    assert response["Location"] == SET_PASSWORD
    response = client.get(SET_PASSWORD)
    assert response.status_code == 200
    text = text_of(response)
    assert "Activez votre espace personnel" in text
    assert "Votre identifiant : camille.martin" in text
    assert invited.split("/")[-2] not in response.content.decode()


def test_password_rules_are_listed_before_anything_is_typed(client, invited):
    client.get(invited)

    text = text_of(client.get(SET_PASSWORD))

    assert "Votre mot de passe doit comporter :" in text
    for rule in ("Au moins 8 caractères.", "Au moins une majuscule.", "Au moins un chiffre."):
        assert rule in text


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("xqz", ["Au moins 8 caractères.", "Au moins une majuscule.", "Au moins un chiffre."]),
        ("xqzwvkfh", ["Au moins une majuscule.", "Au moins un chiffre."]),
        ("Xqzwvkfhjm", ["Au moins un chiffre."]),
        ("xqzwvkfh4", ["Au moins une majuscule."]),
        ("Password1", ["Ce mot de passe est trop courant."]),
        (
            "1234",
            [
                "Au moins 8 caractères.",
                "Au moins une majuscule.",
                "Ce mot de passe est trop courant.",
                "Ce mot de passe est entièrement numérique.",
            ],
        ),
        ("97531864207", ["Au moins une majuscule.", "Ce mot de passe est entièrement numérique."]),
        (
            "CamilleMartin1",
            ["Le mot de passe est trop semblable au champ «\xa0nom d’utilisateur\xa0»."],
        ),
        ("A" * 120 + "bcdefg123", ["Au plus 128 caractères."]),
    ],
)
def test_weak_password_shows_every_unmet_rule_in_french_next_to_the_field(
    client, invited, password, expected
):
    client.get(invited)

    response = choose(client, password)

    assert response.status_code == 200
    assert sorted(errors_of(response, "new_password1")) == sorted(expected)
    assert not User.objects.get(username="camille.martin").has_usable_password()
    assert SESSION_KEY not in client.session


def test_password_close_to_the_email_is_refused(client, invited):
    client.get(invited)

    response = choose(client, "Camille.Martin@Example")

    errors = errors_of(response, "new_password1")
    assert any(error.startswith("Le mot de passe est trop semblable") for error in errors)


def test_two_different_passwords_are_refused(client, invited):
    client.get(invited)

    response = choose(client, VALID, "Soleil-Matin-43")

    assert errors_of(response, "new_password2") == ["Les deux mots de passe sont différents."]
    assert errors_of(response, "new_password1") == []
    assert not User.objects.get(username="camille.martin").has_usable_password()


def test_valid_password_logs_in_and_leads_to_the_cgu(client, invited):
    client.get(invited)

    response = choose(client, VALID)

    assert response.status_code == 302
    assert response["Location"] == "/cgu/"
    user = User.objects.get(username="camille.martin")
    assert user.check_password(VALID)
    assert user.password_changed_at is not None
    assert client.session[SESSION_KEY] == str(user.pk)
    text = text_of(client.get("/cgu/"))
    assert "Votre mot de passe est enregistré. Bienvenue dans votre espace famille !" in text
    assert "J'accepte les conditions générales d'utilisation" in text
    # No « password changed » e-mail: this is the first password.
    assert emails_to("camille.martin@example.fr", kind="password_changed") == []


def test_activation_link_works_only_once(client, invited):
    client.get(invited)
    choose(client, VALID)
    client.post("/deconnexion/")

    assert_link_no_longer_works(client.get(invited))
    assert_link_no_longer_works(client.get(SET_PASSWORD))


def test_activation_link_cannot_be_replayed_from_another_browser(client, invited):
    other = Client()
    client.get(invited)
    other.get(invited)
    choose(client, VALID)

    response = choose(other, "Autre-Chose-99")

    assert_link_no_longer_works(response)
    assert User.objects.get(username="camille.martin").check_password(VALID)


def test_activation_link_expires_after_seven_days(client, terms):
    start = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        guardian = GuardianFactory(email="camille.martin@example.fr")
        invite_guardian(guardian=guardian)
        path = link_path(emails_to("camille.martin@example.fr")[0])

        traveller.move_to(start + dt.timedelta(days=7, seconds=-1))
        assert client.get(path).status_code == 302

        traveller.move_to(start + dt.timedelta(days=7, seconds=1))
        assert_link_no_longer_works(client.get(path))
        assert_link_no_longer_works(choose(client, VALID))


def test_activation_link_validity_follows_the_setting(client, settings, terms):
    settings.ACTIVATION_LINK_DAYS = 2
    start = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        invite_guardian(guardian=GuardianFactory(email="camille.martin@example.fr"))
        [email] = emails_to("camille.martin@example.fr")
        assert "pendant 2 jours" in email.body_text

        traveller.move_to(start + dt.timedelta(days=2, minutes=1))
        assert_link_no_longer_works(client.get(link_path(email)))


@pytest.mark.parametrize(
    "token",
    ["forged", "x" * 43, "A" * 2000, "%00", "é%C3%A9", "' OR 1=1 --"],
)
def test_forged_link_shows_the_same_page_never_an_error(client, invited, token):
    response = client.get(f"/compte/lien/{token}/")

    assert_link_no_longer_works(response)


def test_set_password_page_without_a_link_shows_the_link_page(client):
    assert_link_no_longer_works(client.get(SET_PASSWORD))
    assert_link_no_longer_works(choose(client, VALID))


def test_opening_a_link_logs_out_another_account_in_the_same_browser(client, invited, terms):
    someone_else = make_family_guardian(username="dominique", email="dominique@example.fr").user
    accept_terms(user=someone_else, terms=terms, ip_address=None)
    client.force_login(someone_else)

    client.get(invited)

    assert SESSION_KEY not in client.session
    assert "Activez votre espace personnel" in text_of(client.get(SET_PASSWORD))


def test_link_of_a_disabled_account_no_longer_works(client, invited):
    User.objects.filter(username="camille.martin").update(is_active=False)

    assert_link_no_longer_works(client.get(invited))


def test_only_the_hash_of_the_token_is_stored(invited):
    token = invited.split("/")[-2]

    link = AccountLink.objects.get()
    assert token not in link.token_hash
    assert link.token_hash == AccountLink.hash_token(token)


def test_link_used_meanwhile_in_another_tab_is_refused_by_the_service(invited):
    link = AccountLink.objects.get()
    set_password_from_link(link=link, password=VALID)

    with pytest.raises(LinkNoLongerUsable):
        set_password_from_link(link=link, password="Autre-Chose-99")

    assert User.objects.get(username="camille.martin").check_password(VALID)


def test_activation_link_stops_once_staff_hand_over_a_temporary_password(client, invited):
    set_temporary_password(user=User.objects.get(username="camille.martin"))

    assert_link_no_longer_works(client.get(invited))


def test_a_mail_scanner_opening_the_link_does_not_use_it_up(client, invited):
    Client().get(invited)  # e.g. a webmail's link checker
    Client().get(invited)

    client.get(invited)

    assert choose(client, VALID)["Location"] == "/cgu/"
