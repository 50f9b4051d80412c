"""WEB-07: no `next` or return parameter sends anyone off the portal."""

from urllib.parse import urlsplit

import pytest

from tests.factories import DEFAULT_PASSWORD

from .figures import record

PAYLOADS = [
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "https:evil.example",
    "http://evil.example",
    "https://evil.example/",
    "%2F%2Fevil.example",
    "/%2F/evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "http://testserver.evil.example",
    "https://testserver@evil.example",
    "https://evil.example#testserver",
    "//evil.example/%2e%2e",
    "/\t/evil.example",
    "/ /evil.example",
    "http:/evil.example",
    "https:/\\evil.example",
    "//ｅｖｉｌ.example",
    "//evil%E3%80%82example",
    "/\r\nLocation: https://evil.example",
    "%0d%0aLocation:%20https://evil.example",
    "ftp://evil.example",
    "//google.com@evil.example",
    "  //evil.example",
    "https://evil.example/connexion/",
    "\u2215\u2215evil.example",
]


def leaves_the_portal(response) -> bool:
    location = response.headers.get("Location")
    if location is None:
        return False
    parts = urlsplit(location.strip())
    if parts.scheme and parts.scheme not in {"http", "https"}:
        return True
    host = parts.netloc.rsplit("@", 1)[-1]
    return bool(host) and host != "testserver"


@pytest.fixture
def endpoints(family_a):
    """Each endpoint: (description, callable(client, payload) -> response)."""

    def login(client, payload):
        return client.post(
            f"/connexion/?next={payload}",
            {"username": family_a.user.username, "password": DEFAULT_PASSWORD},
        )

    def login_field(client, payload):
        return client.post(
            "/connexion/",
            {"username": family_a.user.username, "password": DEFAULT_PASSWORD, "next": payload},
        )

    def set_language(client, payload):
        return client.post("/i18n/setlang/", {"language": "fr", "next": payload})

    def set_language_referer(client, payload):
        return client.post("/i18n/setlang/", {"language": "fr"}, HTTP_REFERER=payload)

    def session_extend(client, payload):
        client.force_login(family_a.user)
        return client.post("/session/prolonger/", {"next": payload})

    def staff_login(client, payload):
        return client.get(f"/gestion/login/?next={payload}")

    def anonymous_page(client, payload):
        return client.get(f"/mes-factures/?next={payload}")

    return [
        ("login ?next", login),
        ("login next field", login_field),
        ("set_language next", set_language),
        ("set_language Referer", set_language_referer),
        ("session extend next", session_extend),
        ("staff login ?next", staff_login),
        ("login redirect of a private page", anonymous_page),
    ]


def test_no_payload_redirects_off_the_portal(client, endpoints):
    leaks = []
    for name, call in endpoints:
        for payload in PAYLOADS:
            client.logout()
            response = call(client, payload)
            if leaves_the_portal(response):
                leaks.append(f"{name}: {payload!r} → {response.headers['Location']}")
    record("open_redirect", payloads=len(PAYLOADS), endpoints=len(endpoints), off_site=len(leaks))
    assert leaks == []
