"""One JSON line per request: method, route name, status, duration and a pseudonym of the
user — never the path, the query string, an e-mail address, a name or a token."""

import json
import logging

import pytest
from django.urls import reverse

from portail.lib.request_log import JsonFormatter, pseudonym
from tests.portal.conftest import family, family_client, organisation  # noqa: F401


@pytest.fixture
def request_lines(caplog):
    caplog.set_level(logging.INFO)
    formatter = JsonFormatter()

    def lines(logger: str = "portail.requests") -> list[str]:
        return [formatter.format(record) for record in caplog.records if record.name == logger]

    return lines


def test_a_request_is_one_json_line_with_the_route_and_a_pseudonym(
    family_client,  # noqa: F811
    family,  # noqa: F811
    request_lines,
):
    family_client.get(reverse("portal:invoices") + "?page=2&email=durand.marie@example.fr")

    [line] = request_lines()
    entry = json.loads(line)
    assert entry["logger"] == "portail.requests"
    assert entry["method"] == "GET"
    assert entry["route"] == "portal:invoices"
    assert entry["status"] == 200
    assert entry["duration_ms"] > 0
    assert entry["user"] == pseudonym(family.user.pk) != str(family.user.pk)
    assert entry["time"].endswith("+00:00")
    for personal in ["durand", "Durand", "Marie", "Léa", "example.fr", "page=2", "/mes-factures"]:
        assert personal not in line


def test_a_link_token_in_the_path_is_never_logged(client, request_lines):
    client.get("/compte/lien/Zx9SecretActivationToken/?next=/mon-espace/")
    client.get("/nulle-part/Zx9SecretActivationToken/")

    lines = request_lines() + request_lines("django.request")
    assert len(lines) >= 2
    assert all("Zx9SecretActivationToken" not in line for line in lines)
    assert all("/compte/lien" not in line and "/nulle-part" not in line for line in lines)
    assert next(json.loads(line)["route"] for line in request_lines()) == "portal:account-link"


def test_an_anonymous_request_has_no_user(client, request_lines):
    client.get("/sante/")

    assert json.loads(request_lines()[0])["user"] is None
