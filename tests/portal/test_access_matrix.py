"""Who may open which family page: another household's objects are missing (404, the same
page as an object that does not exist), anonymous visitors are sent to log in, and nothing
is reachable before the current CGU are accepted."""

import re
import uuid

import pytest
from django.urls import reverse

from portail.accounts.models import TermsAcceptance
from portail.households.models import Child, Contact
from tests.factories import TermsVersionFactory

from .families import make_family
from .pages import text_of

FAMILY_LIST_PAGES = [
    "portal:home",
    "portal:dashboard",
    "portal:my-space",
    "portal:household",
    "portal:contacts",
    "portal:credentials",
    "portal:news",
    "portal:documents",
    "portal:menus",
    "portal:practical-info",
    "portal:request-list",
    "portal:request-new",
    "portal:household-history",
]
FAMILY_OBJECT_PAGES = {"portal:child-detail": Child, "portal:contact-detail": Contact}


def family_url(name, reference=None):
    if name in FAMILY_OBJECT_PAGES:
        return reverse(name, kwargs={"reference": reference or uuid.uuid4()})
    return reverse(name)


def every_family_url(reference=None):
    return [family_url(name, reference) for name in [*FAMILY_LIST_PAGES, *FAMILY_OBJECT_PAGES]]


def without_tokens(response) -> str:
    """The page's HTML without the per-response CSRF token and the requested URL."""
    html = response.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r'name="next"( type="hidden")? value="[^"]+"', "", html)


@pytest.fixture
def two_families():
    family_a = make_family(name="Arnaud", children=2, contacts=3)
    family_b = make_family(name="Bertin", children=3, contacts=2)
    return family_a, family_b


@pytest.mark.parametrize("page", FAMILY_OBJECT_PAGES)
def test_family_cannot_open_another_households_objects(client, two_families, page):
    family_a, family_b = two_families
    model = FAMILY_OBJECT_PAGES[page]
    client.force_login(family_a.user)
    missing = client.get(reverse(page, kwargs={"reference": uuid.uuid4()}))
    assert missing.status_code == 404

    others = model.objects.for_household(family_b.household)
    assert others.count() >= 2
    for other in others:
        response = client.get(reverse(page, kwargs={"reference": other.reference}))
        assert response.status_code == 404
        # Indistinguishable from a reference that does not exist.
        assert without_tokens(response) == without_tokens(missing)

    for own in model.objects.for_household(family_a.household):
        assert client.get(reverse(page, kwargs={"reference": own.reference})).status_code == 200


def test_family_lists_show_nothing_of_another_household(client, two_families):
    family_a, _family_b = two_families
    client.force_login(family_a.user)

    for name in FAMILY_LIST_PAGES:
        text = text_of(client.get(reverse(name)))
        assert "Bertin" not in text, name


def test_child_shared_with_another_household_opens_from_both(client, two_families):
    family_a, family_b = two_families
    family_b.child.households.add(family_a.household)
    client.force_login(family_a.user)

    response = client.get(
        reverse("portal:child-detail", kwargs={"reference": family_b.child.reference})
    )

    assert response.status_code == 200
    text = text_of(response)
    assert "Foyers Famille Arnaud" in text
    assert "Famille Bertin" not in text


@pytest.mark.parametrize("name", [*FAMILY_LIST_PAGES, *FAMILY_OBJECT_PAGES])
def test_anonymous_visitor_is_sent_to_log_in(client, name):
    url = family_url(name)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('portal:login')}?next={url}"


def test_nothing_is_reachable_before_accepting_the_current_terms(client, two_families):
    family_a, _family_b = two_families
    terms = TermsVersionFactory()
    client.force_login(family_a.user)

    for url in every_family_url(family_a.child.reference):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == reverse("portal:terms")

    TermsAcceptance.objects.create(user=family_a.user, terms=terms)
    assert client.get(reverse("portal:dashboard")).status_code == 200
