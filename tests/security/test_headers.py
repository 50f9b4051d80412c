"""WEB-02: every response of a crawl of the family, staff and public pages carries the
security headers (CSP without inline script, HSTS, nosniff, Referrer-Policy, anti-framing,
COOP, Permissions-Policy; no-store on pages shown to a logged-in person)."""

import re

import pytest
from django.test import Client

from .figures import record
from .routes import admin_model_pages, all_routes

HSTS = "max-age=31536000; includeSubDomains"


@pytest.fixture(autouse=True)
def _production_security(settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.SECURE_SSL_REDIRECT = False


def csp_directives(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def missing_headers(response, *, logged_in: bool) -> list[str]:
    missing = []
    csp = csp_directives(response)
    if csp.get("default-src") != ["'self'"]:
        missing.append("csp default-src")
    script = csp.get("script-src", [])
    if not script or "'unsafe-inline'" in script or "'unsafe-eval'" in script:
        missing.append("csp script-src")
    style = csp.get("style-src", [])
    if not style or "'unsafe-inline'" in style:
        missing.append("csp style-src")
    for directive in ("object-src", "base-uri", "frame-ancestors"):
        if csp.get(directive) != ["'none'"]:
            missing.append(f"csp {directive}")
    if "'self'" not in csp.get("form-action", []):
        missing.append("csp form-action")
    expected = {
        "Strict-Transport-Security": HSTS,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    for name, value in expected.items():
        if not response.headers.get(name, "").startswith(value):
            missing.append(name)
    if "camera=()" not in response.headers.get("Permissions-Policy", ""):
        missing.append("Permissions-Policy")
    content_type = response.headers.get("Content-Type", "")
    if content_type.startswith("text/html") and "charset=utf-8" not in content_type.lower():
        missing.append("charset")
    if logged_in and "no-store" not in response.headers.get("Cache-Control", ""):
        missing.append("Cache-Control no-store")
    for name in ("X-Powered-By", "Server"):
        if name in response.headers:
            missing.append(f"no {name}")
    return missing


def crawl(client: Client, urls, *, logged_in: bool) -> dict[str, list[str]]:
    problems = {}
    for url in urls:
        response = client.get(url, secure=True)
        missing = missing_headers(response, logged_in=logged_in)
        if missing:
            problems[f"{url} ({response.status_code})"] = missing
    return problems


def get_routes():
    """Every route without arguments, and every route with arguments given unknown values
    (their 404, 302 or 405 answers need the headers too)."""
    return [*(route.path() for route in all_routes()), "/page-qui-n-existe-pas/"]


@pytest.fixture
def client():
    """Server errors are answered as in production (with their headers), not raised."""
    return Client(raise_request_exception=False)


def test_every_public_response_has_the_security_headers(client):
    urls = get_routes()
    problems = crawl(client, urls, logged_in=False)
    record("headers", urls_checked=len(urls), headers_per_url=13, missing=len(problems))
    assert problems == {}


def test_every_family_response_has_the_security_headers(client, family_a):
    client.force_login(family_a.user)
    urls = [
        *get_routes(),
        f"/mon-espace/foyer/enfants/{family_a.child.reference}/",
        f"/mon-espace/contacts/{family_a.contact.reference}/",
    ]
    problems = crawl(client, urls, logged_in=True)
    record("headers", urls_checked=len(urls), missing=len(problems))
    assert problems == {}


def test_every_staff_response_has_the_security_headers(client, administrator, staff_login):
    staff_login(client, administrator)
    urls = [
        "/gestion/",
        *admin_model_pages(),
        *[u for u in get_routes() if u.startswith("/gestion/")],
    ]
    problems = crawl(client, urls, logged_in=True)
    record("headers", urls_checked=len(urls), missing=len(problems))
    assert problems == {}


def test_pages_contain_no_inline_script_or_style(client, family_a, administrator, staff_login):
    """The CSP forbids them: a page that had one would silently lose it in the browser."""
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=\"|\son[a-z]+=\"", re.I)
    client.force_login(family_a.user)
    offenders = []
    for url in get_routes():
        response = client.get(url, secure=True)
        is_html = response.headers.get("Content-Type", "").startswith("text/html")
        if is_html and inline.search(response.content.decode(errors="replace")):
            offenders.append(url)
    assert offenders == []


def test_no_page_answers_a_server_error_to_unknown_references(client, administrator, staff_login):
    """« Never a 500 »: an unknown reference, identifier or object is a 404, for everyone."""
    staff_login(client, administrator)
    errors = []
    # The PayFiP simulator stands in for an outside service and is never mounted in production.
    for url in [u for u in get_routes() if not u.startswith("/payfip-simulateur/")]:
        for method in (client.get, client.post):
            response = method(url, secure=True)
            if response.status_code >= 500:
                errors.append(f"{method.__name__.upper()} {url}")
    record("errors", server_errors_on_unknown_objects=len(errors))
    assert errors == []
