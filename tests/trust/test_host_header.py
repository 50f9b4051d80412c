"""WEB-08 / AUTH-11(d): a forged Host is refused (400) on every page; the links of the
e-mails a request triggers — password reset, invitation, mandate signature code — always
point at SITE_URL, whatever Host, X-Forwarded-Host, X-Forwarded-Proto or Forwarded say."""

import re

from django.core import mail
from django.test import Client
from django.urls import reverse

from portail.notifications.models import OutgoingEmail
from tests.factories import GuardianFactory

from .conftest import family_client, staff_client
from .figures import write_figures
from .routes import production_routes

SITE_URL = "https://portail-famille.example.fr"
EVIL = "evil.example"
FORGED_HOSTS = [
    EVIL,
    f"{EVIL}:443",
    f"testserver.{EVIL}",
    f"testserver@{EVIL}",
    f"testserver:80@{EVIL}",
    "testserver:80/evil",
    "127.0.0.1.evil.example",
    "[::1]",
]
FORWARDING = {
    "HTTP_X_FORWARDED_HOST": EVIL,
    "HTTP_X_FORWARDED_PROTO": "http",
    "HTTP_X_FORWARDED_SERVER": EVIL,
    "HTTP_X_ORIGINAL_HOST": EVIL,
    "HTTP_FORWARDED": f"host={EVIL};proto=http",
}
LINK = re.compile(r"https?://[^\s\"'<>)]+")


def test_every_page_refuses_a_forged_host():
    pages = [route for route in production_routes() if not route.converters]
    accepted = []
    for route in pages:
        for host in FORGED_HOSTS[:3]:
            response = Client().get(route.url(), HTTP_HOST=host, secure=True)
            if response.status_code != 400:
                accepted.append(f"{route.name} Host={host}: {response.status_code}")
    # Every forged form once, on the login page and the reset form (GET and POST).
    for host in FORGED_HOSTS:
        for method, url in (("get", "/connexion/"), ("post", "/mot-de-passe-oublie/")):
            response = getattr(Client(), method)(url, HTTP_HOST=host, secure=True)
            if response.status_code != 400:
                accepted.append(f"{url} {method} Host={host}: {response.status_code}")
    write_figures(
        "host_header_pages",
        {
            "pages": len(pages),
            "forged_hosts": len(FORGED_HOSTS),
            "requests": len(pages) * 3 + len(FORGED_HOSTS) * 2,
            "accepted_forged_hosts": len(accepted),
            "accepted_details": accepted,
        },
    )
    assert accepted == []


def links_of(email_texts) -> list[str]:
    return [link for text in email_texts for link in LINK.findall(text)]


def test_emails_triggered_with_forged_forwarding_headers_link_to_site_url(
    settings, rich_family_a, administrator, django_capture_on_commit_callbacks
):
    settings.SITE_URL = SITE_URL
    user = rich_family_a.user
    # Only what this test triggers (the family's fixtures sent e-mails before SITE_URL changed).
    already = OutgoingEmail.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        # Password reset, by the family, through a proxy that lets headers through.
        Client().post(
            reverse("portal:password-reset"), {"login": user.email}, secure=True, **FORWARDING
        )
        # A message to the nursery (its acknowledgement e-mail), by the family.
        family_client(user).post(
            reverse("portal:request-create", args=["message"]),
            {"subject": "Sortie", "message": "Départ à 16 h."},
            secure=True,
            **FORWARDING,
        )
        # Invitation of a new guardian, by staff.
        newcomer = GuardianFactory(
            household=rich_family_a.household, email="nouveau.parent@example.fr"
        )
        staff_client(administrator).post(
            reverse("admin:households_guardian_invitation", args=[newcomer.pk]),
            secure=True,
            **FORWARDING,
        )
    emails = OutgoingEmail.objects.filter(pk__gt=already)
    kinds = set(emails.values_list("kind", flat=True))
    texts = [
        part for email in emails for part in (email.subject, email.body_text, email.body_html)
    ] + [message.body for message in mail.outbox]
    links = links_of(texts)
    ours = [link for link in links if link.startswith(SITE_URL + "/")]
    foreign = [link for link in links if not link.startswith(SITE_URL + "/")]
    poisoned = [text for text in texts if EVIL in text]
    write_figures(
        "host_header_emails",
        {
            "email_kinds": sorted(kinds),
            "emails": emails.count(),
            "links": len(links),
            "links_to_site_url": len(ours),
            "links_elsewhere": sorted(set(foreign)),
            "emails_mentioning_the_forged_host": len(poisoned),
        },
    )
    assert {"password_reset", "account_invitation", "request_received"} <= kinds, kinds
    assert any("/compte/lien/" in link for link in ours)
    assert poisoned == []
    assert [link for link in foreign if EVIL in link or "testserver" in link] == []
