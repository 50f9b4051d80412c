"""A temporary password handed over in person: changed at first login, before anything else."""

import datetime as dt

import pytest
import time_machine

from portail.accounts.services import set_temporary_password
from tests.accounts.conftest import (
    GATE_EXEMPT,
    emails_to,
    errors_of,
    form_errors,
    is_logged_in,
    link_path,
    log_in,
    portal_urls,
    text_of,
)

FORCED_CHANGE = "/compte/changer-mot-de-passe/"
NEW = "Riviere-Bleue-77"


def change(client, password, confirmation=None):
    return client.post(
        FORCED_CHANGE, {"new_password1": password, "new_password2": confirmation or password}
    )


def test_temporary_password_meets_the_rule_and_has_no_look_alikes(user):
    from django.contrib.auth.password_validation import validate_password

    for _ in range(50):
        password = set_temporary_password(user=user)
        validate_password(password, user)
        assert not set(password) & set("0OoIl1")


def test_temporary_password_opens_only_the_forced_change_page(client, guardian):
    urls = portal_urls(guardian)
    password = set_temporary_password(user=guardian.user)

    response = log_in(client, "camille.martin", password)
    assert response.status_code == 302

    reachable = []
    for name, url in urls.items():
        if name in GATE_EXEMPT:
            continue
        for method in (client.get, client.post):
            response = method(url)
            if response.status_code != 302 or response["Location"] != FORCED_CHANGE:
                reachable.append((name, method.__name__, response.status_code))
    assert reachable == []
    response = client.get(FORCED_CHANGE)
    assert response.status_code == 200
    assert "Vous vous êtes connecté avec un mot de passe temporaire." in text_of(response)


def test_temporary_password_cannot_be_kept_as_the_new_one(client, user):
    password = set_temporary_password(user=user)
    log_in(client, "camille.martin", password)

    response = change(client, password)

    assert errors_of(response, "new_password1") == [
        "Choisissez un mot de passe différent du mot de passe temporaire."
    ]
    user.refresh_from_db()
    assert user.must_change_password


def test_new_password_follows_the_rule(client, user):
    log_in(client, "camille.martin", set_temporary_password(user=user))

    response = change(client, "xqzwvkfh")

    assert errors_of(response, "new_password1") == [
        "Au moins une majuscule.",
        "Au moins un chiffre.",
    ]


def test_after_the_change_the_cgu_gate_comes_next(client, guardian, terms):
    user = guardian.user
    user.terms_acceptances.all().delete()
    log_in(client, "camille.martin", set_temporary_password(user=user))

    response = change(client, NEW)

    assert response.status_code == 302
    assert response["Location"] == "/cgu/"
    user.refresh_from_db()
    assert not user.must_change_password
    assert user.temporary_password_expires_at is None
    assert user.check_password(NEW)
    assert client.get("/mon-espace/")["Location"] == "/cgu/"
    client.post("/cgu/")
    assert client.get("/mon-espace/").status_code == 200


def test_after_the_change_a_family_that_accepted_the_cgu_reaches_its_space(client, user):
    log_in(client, "camille.martin", set_temporary_password(user=user))
    change(client, NEW)

    assert is_logged_in(client)
    assert client.get(FORCED_CHANGE)["Location"] == "/tableau-de-bord/"


def test_temporary_password_ends_the_sessions_opened_with_the_old_password(client, user):
    log_in(client, "camille.martin")
    assert is_logged_in(client)

    set_temporary_password(user=user)

    assert not is_logged_in(client)


@pytest.mark.parametrize("days", [7, 10])
def test_temporary_password_is_refused_after_it_expires(client, user, days):
    start = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        password = set_temporary_password(user=user)
        traveller.move_to(start + dt.timedelta(days=days, seconds=1))

        response = log_in(client, "camille.martin", password)

    assert response.status_code == 200
    assert form_errors(response) == [
        "Ce mot de passe temporaire a expiré. Demandez-en un nouveau au service, ou utilisez "
        "« J'ai oublié mon mot de passe »."
    ]
    assert not is_logged_in(client)


def test_temporary_password_works_until_it_expires(client, user):
    start = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        password = set_temporary_password(user=user)
        traveller.move_to(start + dt.timedelta(days=7, seconds=-1))

        response = log_in(client, "camille.martin", password)

        assert response.status_code == 302
        assert client.get("/mon-espace/")["Location"] == FORCED_CHANGE


def test_temporary_password_lifetime_follows_the_setting(client, user, settings):
    settings.TEMPORARY_PASSWORD_DAYS = 1
    start = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        password = set_temporary_password(user=user)
        traveller.move_to(start + dt.timedelta(days=1, minutes=1))

        response = log_in(client, "camille.martin", password)

    assert response.status_code == 200
    assert "Ce mot de passe temporaire a expiré." in form_errors(response)[0]


def test_wrong_password_after_expiry_gets_the_generic_message(client, user):
    start = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        set_temporary_password(user=user)
        traveller.move_to(start + dt.timedelta(days=8))

        response = log_in(client, "camille.martin", "Pas-Le-Bon-1")

    assert form_errors(response)[0].startswith("Identifiant ou mot de passe incorrect.")


def test_expired_temporary_password_can_be_replaced_through_a_reset(client, user):
    start = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        set_temporary_password(user=user)
        traveller.move_to(start + dt.timedelta(days=8))

        client.post("/mot-de-passe-oublie/", {"login": "camille.martin"})
        [email] = emails_to(user.email, kind="password_reset")
        client.get(link_path(email))
        client.post("/compte/mot-de-passe/", {"new_password1": NEW, "new_password2": NEW})

        assert log_in(client, "camille.martin", NEW).status_code == 302
        assert is_logged_in(client)
