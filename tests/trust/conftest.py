"""Principals of the trust matrices: anonymous, family A (rich), family B, nursery staff of
another nursery, administrator — each a logged-in test client."""

import pytest
from django.test import Client

from tests.backoffice.conftest import add_device, log_in_with_second_factor
from tests.factories import NurseryFactory, StaffUserFactory
from tests.portal.families import make_family

from .world import MARKER_A, MARKER_B, make_rich_family


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: a whole-resolver matrix or a live-server journey (tests/trust)"
    )


@pytest.fixture
def rich_family_a():
    return make_rich_family(MARKER_A)


@pytest.fixture
def family_b():
    return make_family(name=MARKER_B, children=1, contacts=1)


@pytest.fixture
def administrator():
    user = StaffUserFactory(username="admin.confiance", is_superuser=True)
    add_device(user)
    return user


@pytest.fixture
def other_nursery_staff():
    """Staff of a nursery neither family attends (the nursery-staff role, not admin)."""
    nursery = NurseryFactory(name="Les Farfadets")
    user = StaffUserFactory(username="agent.farfadets")
    nursery.staff.add(user)
    add_device(user)
    return user


def family_client(user, **client_options) -> Client:
    client = Client(**client_options)
    client.force_login(user)
    return client


def staff_client(user, **client_options) -> Client:
    client = Client(**client_options)
    log_in_with_second_factor(client, user)
    return client


@pytest.fixture
def fresh(rich_family_a, family_b, other_nursery_staff, administrator):
    """A new logged-in browser for a principal (by name)."""
    makers = {
        "anonymous": Client,
        "family A": lambda: family_client(rich_family_a.user),
        "family B": lambda: family_client(family_b.user),
        "other nursery staff": lambda: staff_client(other_nursery_staff),
        "administrator": lambda: staff_client(administrator),
    }
    return lambda principal: makers[principal]()


@pytest.fixture
def principals(fresh):
    names = ["anonymous", "family A", "family B", "other nursery staff", "administrator"]
    return {name: fresh(name) for name in names}
