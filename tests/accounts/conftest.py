"""Helpers for the account lifecycle tests: families, links from the outbox, page text."""

import html
import re
import uuid

import pytest
from django.urls import reverse

from portail.accounts.services import accept_terms
from portail.notifications.models import OutgoingEmail
from tests.factories import DEFAULT_PASSWORD, TermsVersionFactory, make_family_guardian

LINK = re.compile(r"https?://[^\s/]+(/compte/lien/[^\s/]+/)")
LOGIN_URL = reverse("portal:login")


@pytest.fixture
def terms():
    """The published CGU, version 1."""
    return TermsVersionFactory(version=1)


@pytest.fixture
def guardian(terms):
    """Camille Martin: an activated guardian who accepted the current CGU."""
    guardian = make_family_guardian(
        username="camille.martin",
        email="camille.martin@example.fr",
        first_name="Camille",
        last_name="Martin",
    )
    accept_terms(user=guardian.user, terms=terms, ip_address="192.0.2.1")
    return guardian


@pytest.fixture
def user(guardian):
    return guardian.user


def log_in(client, login, password=DEFAULT_PASSWORD, ip="192.0.2.10"):
    return client.post(LOGIN_URL, {"username": login, "password": password}, REMOTE_ADDR=ip)


def is_logged_in(client) -> bool:
    """Whether the client's session carries a logged-in user (asked to a real page)."""
    response = client.get(reverse("portal:my-space"))
    return response.status_code == 200


def emails_to(address: str, kind: str | None = None) -> list[OutgoingEmail]:
    emails = OutgoingEmail.objects.filter(to=address).order_by("created_at", "pk")
    if kind:
        emails = emails.filter(kind=kind)
    return list(emails)


def link_path(email: OutgoingEmail) -> str:
    """The path of the single-use link in an e-mail (its text and HTML bodies agree)."""
    match = LINK.search(email.body_text)
    assert match, email.body_text
    assert match.group(1) in email.body_html
    return match.group(1)


def text_of(response) -> str:
    """The visible text of an HTML page: tags removed, entities decoded, spaces collapsed."""
    content = response.content.decode()
    content = re.sub(r"<(script|style)\b.*?</\1>", " ", content, flags=re.S)
    content = re.sub(r"<[^>]+>", " ", content)
    return " ".join(html.unescape(content).split())


def errors_of(response, field: str) -> list[str]:
    """The error messages shown next to one form field."""
    content = response.content.decode()
    match = re.search(rf'<ul class="errorlist" id="id_{field}_errors">(.*?)</ul>', content, re.S)
    if not match:
        return []
    return [html.unescape(item).strip() for item in re.findall(r"<li>(.*?)</li>", match[1], re.S)]


def form_errors(response) -> list[str]:
    """The form's general errors (the alert above the form)."""
    content = response.content.decode()
    match = re.search(
        r'<div class="message message--error" role="alert">(.*?)</div>', content, re.S
    )
    if not match:
        return []
    return [html.unescape(p).strip() for p in re.findall(r"<p>(.*?)</p>", match[1], re.S)]


# What a family may reach before accepting the CGU or changing a temporary password.
GATE_EXEMPT = {
    "portal:logout",
    "portal:terms",
    "portal:password-change-required",
    "portal:session-extend",
    "set_language",
    # The legal pages, public (portail/accounts/middleware.py GATE_ALLOWED).
    "portal:legal-notice",
    "portal:privacy",
    "portal:accessibility",
}


def portal_urls(guardian) -> dict[str, str]:
    """Every URL of the family portal, by name, reversed with the guardian's own objects."""
    from django.urls import URLPattern

    from portail.accounts.services import issue_account_link
    from portail.portal import urls

    child = guardian.household.children.first()
    contact = guardian.household.contacts.first()
    _link, token = issue_account_link(user=guardian.user, purpose="password_reset")
    kwargs_for = {
        "portal:account-link": {"token": token},
        "portal:child-detail": {"reference": child.reference},
        "portal:contact-detail": {"reference": contact.reference},
        # Only the gates are checked: they answer before the view, any reference will do.
        "portal:invoice-detail": {"reference": uuid.uuid4()},
        "portal:invoice-pdf": {"reference": uuid.uuid4()},
        "portal:credit-note-pdf": {"reference": uuid.uuid4()},
        "portal:receipt-pdf": {"reference": uuid.uuid4()},
        "portal:invoice-pay": {"reference": uuid.uuid4()},
        "portal:online-payment-return": {"reference": uuid.uuid4()},
        "portal:payment-notification": {"reference": uuid.uuid4()},
    }
    found = {}
    for pattern in urls.urlpatterns:
        assert isinstance(pattern, URLPattern), pattern
        name = f"{urls.app_name}:{pattern.name}"
        kwargs = kwargs_for.get(name)
        if kwargs is None and pattern.pattern.converters:
            # Only the gates are checked: they answer before the view, so an unknown object
            # of the right shape will do for the routes not listed above.
            kwargs = {
                key: uuid.uuid4() if type(converter).__name__ == "UUIDConverter" else "1"
                for key, converter in pattern.pattern.converters.items()
            }
        found[name] = reverse(name, kwargs=kwargs)
    return found
