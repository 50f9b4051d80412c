"""WEB-07 / ASVS 5.1.5: open-redirect payloads on every `next` / return parameter — login,
logout (portal and staff), set_language (parameter and Referer), session extension,
notification opening, the online payment return — and on every parameter-free page of the
resolver: never a redirect off the portal."""

import re
from urllib.parse import urljoin, urlsplit

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from portail.notifications.models import Notification
from portail.payments.models import OnlinePayment
from tests.factories import DEFAULT_PASSWORD

from .conftest import family_client, staff_client
from .figures import write_figures
from .routes import production_routes

HOST = "testserver"
PAYLOADS = [
    "//evil.example",
    "///evil.example",
    "////evil.example/",
    "https://evil.example",
    "http://evil.example/connexion/",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/\\/evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.domain)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "%2F%2Fevil.example",
    "%2f%2fevil.example",
    "/%2F/evil.example",
    "%5C%5Cevil.example",
    "http:evil.example",
    "https:evil.example",
    "http:/evil.example",
    "https:/\\evil.example",
    "http://testserver.evil.example",
    "https://testserver@evil.example",
    "https://evil.example#@testserver",
    "https://evil.example\\@testserver",
    "//evil.example@testserver",
    "//testserver@evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "\r\nLocation: https://evil.example",
    "%0d%0aLocation:%20https://evil.example",
    "//ｅｖｉｌ.example",  # fullwidth letters (IDNA folds them to ASCII)
    "//evil。example",  # ideographic full stop
    "\u2215\u2215evil.example",  # division slashes
    "\uff0f\uff0fevil.example",  # fullwidth solidus
    "//evil.example%E3%80%82",
    "//xn--evil-ej4a.example",
    "https://évil.example",
    "ftp://evil.example",
    "//evil.example:443",
    "https://[::1]@evil.example",
]
# The generic sweep uses fewer payloads on every page (one request each).
SWEEP_PAYLOADS = [
    "//evil.example",
    "https://evil.example",
    "/\\evil.example",
    "http:evil.example",
    "javascript:alert(1)",
    "%2F%2Fevil.example",
    "https://testserver@evil.example",
]
RETURN_PARAMETERS = ["next", "return", "return_to", "returnUrl", "redirect", "url", "back"]


def browser_target(location: str) -> tuple[str, str]:
    """(scheme, host) a browser would go to: WHATWG strips tabs and newlines, treats « \\ »
    as « / » in http(s) URLs, and resolves relative references against the page."""
    cleaned = re.sub(r"[\t\n\r]", "", location).strip("\x00 ")
    absolute = urljoin(f"https://{HOST}/page/", cleaned.replace("\\", "/"))
    parts = urlsplit(absolute)
    return parts.scheme.lower(), (parts.hostname or "").lower()


def off_site(response) -> bool:
    location = response.headers.get("Location")
    if location is None:
        return False
    scheme, host = browser_target(location)
    return scheme not in {"http", "https"} or host != HOST


class Sweep:
    def __init__(self):
        self.tried = 0
        self.endpoints = set()
        self.off_site = []

    def check(self, endpoint, payload, response):
        self.tried += 1
        self.endpoints.add(endpoint)
        if off_site(response):
            self.off_site.append(f"{endpoint} {payload!r} → {response['Location']!r}")


@pytest.mark.slow
def test_no_next_or_return_parameter_leads_off_the_portal(
    rich_family_a, administrator, django_capture_on_commit_callbacks
):
    sweep = Sweep()
    user = rich_family_a.user
    notification = Notification.objects.filter(recipient=user).first()
    attempt = OnlinePayment.objects.filter(invoice__household=rich_family_a.household).first()
    login = reverse("portal:login")
    refused_at_storage = []
    for payload in PAYLOADS:
        anonymous = Client()
        response = anonymous.post(
            f"{login}?next={payload}",
            {"username": user.username, "password": DEFAULT_PASSWORD, "next": payload},
            secure=True,
        )
        sweep.check("portal:login POST", payload, response)
        logged_in = anonymous  # already logged in: LoginView redirects at once
        sweep.check(
            "portal:login GET (logged in)",
            payload,
            logged_in.get(login, {"next": payload}, secure=True),
        )
        family = family_client(user)
        sweep.check(
            "portal:session-extend",
            payload,
            family.post(reverse("portal:session-extend"), {"next": payload}, secure=True),
        )
        sweep.check(
            "set_language next",
            payload,
            family.post(reverse("set_language"), {"language": "fr", "next": payload}, secure=True),
        )
        sweep.check(
            "set_language Referer",
            payload,
            family.post(
                reverse("set_language"), {"language": "en"}, HTTP_REFERER=payload, secure=True
            ),
        )
        if notification is not None:
            try:
                with transaction.atomic():
                    Notification.objects.filter(pk=notification.pk).update(url=payload)
            except IntegrityError:
                refused_at_storage.append(payload)  # the table's check: relative URLs only
            else:
                url = reverse("portal:notification-open", args=[notification.reference])
                sweep.check("portal:notification-open", payload, family.get(url, secure=True))
        if attempt is not None:
            url = reverse("portal:online-payment-return", args=[attempt.reference])
            query = {name: payload for name in RETURN_PARAMETERS}
            sweep.check(
                "portal:online-payment-return", payload, family.get(url, query, secure=True)
            )
        sweep.check(
            "portal:logout",
            payload,
            family.post(
                f"{reverse('portal:logout')}?next={payload}", {"next": payload}, secure=True
            ),
        )
        staff = staff_client(administrator)
        sweep.check(
            "admin:logout",
            payload,
            staff.post(f"{reverse('admin:logout')}?next={payload}", {"next": payload}, secure=True),
        )
        sweep.check(
            "admin:login GET",
            payload,
            Client().get(reverse("admin:login"), {"next": payload}, secure=True),
        )
    assert notification is not None and attempt is not None, "the family lacks its objects"

    # Every parameter-free page, anonymous and logged in, with the usual return parameters.
    pages = [route for route in production_routes() if not route.converters]
    family = family_client(user)
    for route in pages:
        # Two requests per page and principal, each parameter with another payload.
        for turn in range(2):
            query = {
                name: SWEEP_PAYLOADS[(index + turn) % len(SWEEP_PAYLOADS)]
                for index, name in enumerate(RETURN_PARAMETERS)
            }
            for who, client in (("anonymous", Client()), ("family A", family)):
                response = client.get(route.url(), query, secure=True)
                sweep.check(f"{route.name} GET ({who})", "sweep", response)
    write_figures(
        "open_redirect",
        {
            "payloads": len(PAYLOADS),
            "named_endpoints": len(
                {e for e in sweep.endpoints if not e.endswith(("(anonymous)", "(family A)"))}
            ),
            "sweep_pages": len(pages),
            "sweep_payloads": len(SWEEP_PAYLOADS),
            "return_parameters": RETURN_PARAMETERS,
            "requests": sweep.tried,
            "endpoints": len(sweep.endpoints),
            "notification_urls_refused_by_the_database": len(refused_at_storage),
            "off_site_redirects": len(sweep.off_site),
            "off_site_details": sweep.off_site,
        },
    )
    assert sweep.off_site == []


def test_the_browser_target_helper_sees_the_tricks():
    assert browser_target("/\\evil.example") == ("https", "evil.example")
    assert browser_target("/\t/evil.example") == ("https", "evil.example")
    assert browser_target("https://testserver@evil.example")[1] == "evil.example"
    assert browser_target("/mes-factures/") == ("https", HOST)
    assert browser_target("javascript:alert(1)")[0] == "javascript"
