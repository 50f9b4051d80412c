"""AUTH-09 / AUTH-10 as figures: before accepting the CGU, or before changing a temporary
password, no route of the portal answers anything but the way to the gate (URLs generated
from the resolver, so routes added later are covered)."""

import pytest
from django.test import Client

from portail.accounts.middleware import GATE_ALLOWED
from portail.accounts.models import User
from tests.factories import TermsVersionFactory

from .figures import record
from .routes import portal_routes


def crawl(client, destination) -> tuple[int, list]:
    routes = [route for route in portal_routes() if route.name not in GATE_ALLOWED]
    reachable = []
    for route in routes:
        for method in (client.get, client.post):
            response = method(route.path(), secure=True)
            # Public pages (login, reset, links) send a logged-in person on, never past the gate.
            if response.status_code != 302 or response["Location"] not in {destination, "/"}:
                if not getattr(route.callback, "login_required", True):
                    continue
                reachable.append(f"{method.__name__.upper()} {route.name} {response.status_code}")
    return len(routes), reachable


@pytest.fixture
def newcomer(family_a):
    TermsVersionFactory()
    return family_a.user


def test_nothing_is_reachable_before_the_cgu_are_accepted(newcomer):
    client = Client()
    client.force_login(newcomer)
    total, reachable = crawl(client, "/cgu/")
    record("gates", cgu_urls=total, cgu_reachable=len(reachable))
    assert reachable == []


def test_nothing_is_reachable_before_a_temporary_password_is_changed(family_a):
    User.objects.filter(pk=family_a.user.pk).update(must_change_password=True)
    client = Client()
    client.force_login(family_a.user)
    total, reachable = crawl(client, "/compte/changer-mot-de-passe/")
    record("gates", forced_change_urls=total, forced_change_reachable=len(reachable))
    assert reachable == []
