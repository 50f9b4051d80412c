"""Sessions end after 30 minutes without a request and 12 hours after login whatever happens;
« Rester connecté » restarts the idle countdown."""

import datetime as dt

import pytest
import time_machine

from tests.accounts.conftest import is_logged_in, log_in, text_of

START = dt.datetime(2025, 3, 3, 8, 0, tzinfo=dt.UTC)
SESSION_ENDED = "Votre session a pris fin. Veuillez vous reconnecter."


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def at(clock, minutes):
    clock.move_to(START + dt.timedelta(minutes=minutes))


def test_session_ends_after_thirty_one_minutes_without_a_request(client, user, clock):
    log_in(client, "camille.martin")

    at(clock, 31)
    response = client.get("/mon-espace/")

    assert response.status_code == 302
    assert response["Location"] == "/connexion/?next=/mon-espace/"


def test_session_still_open_after_twenty_nine_minutes(client, user, clock):
    log_in(client, "camille.martin")

    at(clock, 29)

    assert is_logged_in(client)


def test_each_request_restarts_the_idle_countdown(client, user, clock):
    log_in(client, "camille.martin")

    at(clock, 20)
    assert is_logged_in(client)
    at(clock, 40)
    assert is_logged_in(client)
    at(clock, 71)
    assert not is_logged_in(client)


def test_session_ends_twelve_hours_after_login_even_with_activity(client, user, clock):
    log_in(client, "camille.martin")

    minutes = 0
    while minutes + 20 <= 12 * 60:
        minutes += 20
        at(clock, minutes)
        assert client.get("/mon-espace/").status_code == 200, f"logged out after {minutes} min"
    at(clock, minutes + 1)
    response = client.get("/mon-espace/")

    assert response.status_code == 302
    assert response["Location"] == "/connexion/"
    assert SESSION_ENDED in text_of(client.get("/connexion/"))
    assert not is_logged_in(client)


def test_absolute_end_counts_from_login_not_from_the_activation_page(client, user, clock):
    client.force_login(user)  # as after choosing a password from a link: no login form
    client.get("/mon-espace/")

    for minutes in range(20, 12 * 60 + 1, 20):
        at(clock, minutes)
        client.get("/mon-espace/")
    at(clock, 12 * 60 + 5)

    assert client.get("/mon-espace/")["Location"] == "/connexion/"


def test_family_pages_carry_the_idle_warning_with_its_timings(client, user):
    client.force_login(user)

    content = client.get("/mon-espace/").content.decode()

    assert 'data-session-idle-seconds="1800"' in content
    assert 'data-session-warning-seconds="300"' in content
    assert "Votre session va se terminer dans quelques minutes faute d'activité." in content
    assert "Rester connecté" in content


def test_staying_logged_in_restarts_the_idle_countdown(client, user, clock):
    log_in(client, "camille.martin")

    at(clock, 26)
    response = client.post("/session/prolonger/", {"next": "/mon-espace/contacts/"})
    assert response["Location"] == "/mon-espace/contacts/"
    at(clock, 26 + 29)

    assert is_logged_in(client)


@pytest.mark.parametrize(
    ("next_url", "destination"),
    [
        ("/mon-espace/foyer/", "/mon-espace/foyer/"),
        ("/actualites/?page=2", "/actualites/?page=2"),
        ("http://testserver/mon-espace/", "http://testserver/mon-espace/"),
        ("https://evil.example/mon-espace/", "/tableau-de-bord/"),
        ("//evil.example/", "/tableau-de-bord/"),
        ("javascript:alert(1)", "/tableau-de-bord/"),
        ("", "/tableau-de-bord/"),
    ],
)
def test_staying_logged_in_goes_back_only_to_a_local_page(client, user, next_url, destination):
    client.force_login(user)

    response = client.post("/session/prolonger/", {"next": next_url})

    assert response.status_code == 302
    assert response["Location"] == destination


def test_staying_logged_in_is_post_only(client, user):
    client.force_login(user)

    assert client.get("/session/prolonger/").status_code == 405


def test_after_the_idle_end_staying_logged_in_leads_to_the_login_page(client, user, clock):
    log_in(client, "camille.martin")

    at(clock, 31)
    response = client.post("/session/prolonger/", {"next": "/mon-espace/"})

    assert response.status_code == 302
    assert response["Location"].startswith("/connexion/")
