"""Login throttling (django-axes): per account and per IP, 10 failures lock for 15 minutes;
a password reset unlocks the account at once."""

import datetime as dt

import pytest
import time_machine
from django.test import Client

import config.settings as production_settings
from portail.accounts.services import request_password_reset
from tests.accounts.conftest import emails_to, form_errors, is_logged_in, link_path, log_in, text_of
from tests.factories import UserFactory

LOCKED = "Trop de tentatives échouées : la connexion est bloquée pendant 15 minutes."
UNLOCK_HINT = (
    "Pour débloquer votre compte tout de suite, utilisez « J'ai oublié mon mot de passe »."
)
WRONG = "Pas-Le-Bon-1"
CLIENT_IP_CALLABLE = "portail.accounts.backends.client_ip_address"


def lockout_text(response) -> str:
    assert response.status_code == 429, response.status_code
    return " ".join(form_errors(response))


def fail_until_locked(login, ips, limit=50):
    """Wrong passwords, one per address in turn, until the answer is the lockout page.
    Returns how many failures were answered « incorrect » before the lock."""
    for attempt in range(limit):
        response = log_in(Client(), login, WRONG, ip=ips[attempt % len(ips)])
        if response.status_code == 429:
            return attempt
        assert response.status_code == 200
    raise AssertionError(f"still not locked after {limit} failures")


def test_ten_failures_from_one_address_lock_the_account_even_for_the_right_password(user):
    answered = fail_until_locked("camille.martin", ["198.51.100.1"])

    print(f"lockout: {answered} failures answered, locked at failure {answered + 1} (1 IP)")
    assert answered + 1 == 10
    response = log_in(Client(), "camille.martin", ip="198.51.100.1")
    assert lockout_text(response) == f"{LOCKED} {UNLOCK_HINT}"


def test_failures_from_fifty_addresses_still_lock_the_account(client, user):
    addresses = [f"198.51.100.{n}" for n in range(1, 51)]

    answered = fail_until_locked("camille.martin", addresses)

    print(f"lockout: locked at failure {answered + 1} spread over 50 IPs")
    assert answered + 1 <= 10
    response = log_in(client, "camille.martin", ip="203.0.113.99")
    assert LOCKED in lockout_text(response)
    assert not is_logged_in(client)


def test_every_spelling_of_the_login_counts_against_the_same_account(client, user):
    spellings = ["camille.martin", "CAMILLE.MARTIN", "camille.martin@example.fr", "Camille.Martin"]
    for n in range(10):
        log_in(Client(), spellings[n % 4], WRONG, ip=f"198.51.100.{n}")

    response = log_in(client, "camille.martin@example.fr", ip="203.0.113.99")

    assert LOCKED in lockout_text(response)


def test_ten_failures_on_ten_unknown_identifiers_lock_the_address(client, user):
    for n in range(10):
        log_in(Client(), f"inconnu.{n}", WRONG, ip="198.51.100.7")

    response = log_in(client, "camille.martin", ip="198.51.100.7")
    assert LOCKED in lockout_text(response)
    # The account itself is not locked: from another address it logs in.
    assert log_in(client, "camille.martin", ip="198.51.100.8").status_code == 302


def test_unknown_identifier_gets_the_same_lockout_page(user):
    fail_until_locked("camille.martin", ["198.51.100.1"])
    fail_until_locked("personne.inconnue", ["198.51.100.2"])

    known = log_in(Client(), "camille.martin", WRONG, ip="198.51.100.1")
    unknown = log_in(Client(), "personne.inconnue", WRONG, ip="198.51.100.2")

    assert known.status_code == unknown.status_code == 429
    assert text_of(known) == text_of(unknown)


def test_right_password_works_again_after_fifteen_minutes(user):
    start = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        fail_until_locked("camille.martin", ["198.51.100.1"])

        traveller.move_to(start + dt.timedelta(minutes=14))
        assert log_in(Client(), "camille.martin", ip="198.51.100.1").status_code == 429

        traveller.move_to(start + dt.timedelta(minutes=14 + 15, seconds=1))
        client = Client()
        response = log_in(client, "camille.martin", ip="198.51.100.1")
        assert response.status_code == 302
        assert is_logged_in(client)


def test_password_reset_unlocks_the_account_at_once(client, user):
    fail_until_locked("camille.martin", ["198.51.100.1"])

    request_password_reset(login="camille.martin")
    [email] = emails_to(user.email, kind="password_reset")
    client.get(link_path(email))
    client.post(
        "/compte/mot-de-passe/",
        {"new_password1": "Riviere-Bleue-77", "new_password2": "Riviere-Bleue-77"},
    )

    response = log_in(client, "camille.martin", "Riviere-Bleue-77", ip="198.51.100.1")
    assert response.status_code == 302
    assert is_logged_in(client)


def test_reset_request_alone_does_not_unlock(user):
    fail_until_locked("camille.martin", ["198.51.100.1"])

    request_password_reset(login="camille.martin")

    assert log_in(Client(), "camille.martin", ip="198.51.100.2").status_code == 429


def test_successful_login_forgets_the_accounts_earlier_failures(client, user):
    for _n in range(9):
        log_in(Client(), "camille.martin", WRONG, ip="198.51.100.1")
    assert log_in(client, "camille.martin", ip="198.51.100.1").status_code == 302

    for _n in range(9):
        assert log_in(Client(), "camille.martin", WRONG, ip="198.51.100.1").status_code == 200


def test_logging_into_ones_own_account_does_not_reset_the_count_on_another(user):
    """An attacker with an account of their own must not wipe, from their address, the
    failures counted against someone else's account by logging in between guesses."""
    UserFactory(username="attaquant", email="attaquant@example.fr")
    for _round in range(3):
        for _n in range(9):
            log_in(Client(), "camille.martin", WRONG, ip="198.51.100.66")
        log_in(Client(), "attaquant", ip="198.51.100.66")

    response = log_in(Client(), "camille.martin", ip="203.0.113.99")

    assert response.status_code == 429


def test_forwarded_for_header_is_ignored_without_a_trusted_proxy(client, user):
    for n in range(10):
        log_in(Client(HTTP_X_FORWARDED_FOR=f"10.0.0.{n}"), f"inconnu.{n}", WRONG, ip="198.51.100.7")

    response = log_in(client, "camille.martin", ip="198.51.100.7")

    assert response.status_code == 429


@pytest.fixture
def behind_one_proxy(settings):
    """As in production behind one reverse proxy (TRUSTED_PROXY_COUNT=1)."""
    settings.TRUSTED_PROXY_COUNT = 1
    settings.AXES_CLIENT_IP_CALLABLE = CLIENT_IP_CALLABLE


def test_behind_a_trusted_proxy_one_attacker_locks_neither_the_proxy_nor_the_others(
    behind_one_proxy,
):
    proxy = "10.0.0.1"
    families = [
        UserFactory(username=f"famille.{n}", email=f"famille.{n}@example.fr") for n in range(19)
    ]
    # The attacker also writes a header of their own, which the proxy appends to.
    attacker = Client(HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.66")
    for _n in range(10):
        log_in(attacker, "famille.0", WRONG, ip=proxy)

    wrongly_locked = [
        family.username
        for n, family in enumerate(families[1:], start=1)
        if log_in(
            Client(HTTP_X_FORWARDED_FOR=f"198.51.100.{n}"), family.username, ip=proxy
        ).status_code
        != 302
    ]

    print(f"lockout behind a proxy: legitimate users wrongly locked: {len(wrongly_locked)}")
    assert wrongly_locked == []
    assert log_in(attacker, "famille.5", ip=proxy).status_code == 429


def test_empty_identifier_never_counts_towards_a_lockout(client, user):
    for _n in range(20):
        response = log_in(Client(), "", WRONG, ip="198.51.100.7")
        assert response.status_code == 200

    assert log_in(client, "camille.martin", ip="198.51.100.7").status_code == 302


def test_production_settings_resolve_the_client_address_behind_the_proxy():
    assert production_settings.AXES_CLIENT_IP_CALLABLE == CLIENT_IP_CALLABLE
    assert isinstance(production_settings.TRUSTED_PROXY_COUNT, int)
