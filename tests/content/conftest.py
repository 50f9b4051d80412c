"""Two families in two nurseries, staff of each, and clients logged in as them."""

import pytest

from portail.content import services
from tests.backoffice.conftest import log_in_with_second_factor
from tests.factories import StaffUserFactory
from tests.portal.families import make_family


@pytest.fixture
def durand():
    """Famille Durand, whose child attends « Crèche Durand »."""
    return make_family(name="Durand")


@pytest.fixture
def bernard():
    """Famille Bernard, in another nursery (« Crèche Bernard »)."""
    return make_family(name="Bernard")


@pytest.fixture
def durand_client(client, durand):
    client.force_login(durand.user)
    return client


@pytest.fixture
def administrator():
    return StaffUserFactory(username="claire.fontaine", is_superuser=True)


@pytest.fixture
def durand_staff(durand):
    user = StaffUserFactory(username="nadia.lefevre")
    durand.nursery.staff.add(user)
    return user


@pytest.fixture
def admin_client(client, administrator):
    log_in_with_second_factor(client, administrator)
    return client


@pytest.fixture
def staff_client(client, durand_staff):
    log_in_with_second_factor(client, durand_staff)
    return client


@pytest.fixture
def notified(monkeypatch):
    """The calls made to the notification centre (portail.notifications), recorded."""
    calls = []

    def record(*, households, category, label, url):
        calls.append(
            {
                "households": sorted(household.name for household in households),
                "category": category,
                "label": label,
                "url": url,
            }
        )

    monkeypatch.setattr(services, "_notify", record)
    return calls
