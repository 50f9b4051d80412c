"""Principals for the security suite: two families, nursery staff of another nursery, an
administrator; and the figures plugin (figures.py)."""

import pytest

from tests.backoffice.conftest import add_device, log_in_with_second_factor
from tests.factories import NurseryFactory, StaffUserFactory
from tests.portal.families import make_family

from . import figures


def pytest_sessionfinish(session, exitstatus):
    figures.write()


@pytest.fixture
def family_a():
    return make_family(name="Arnaud", children=2, contacts=2)


@pytest.fixture
def family_b():
    return make_family(name="Bertin", children=2, contacts=2)


@pytest.fixture
def administrator():
    user = StaffUserFactory(username="admin.securite", is_superuser=True)
    add_device(user)
    return user


@pytest.fixture
def other_nursery_staff():
    """Staff of a nursery neither family attends."""
    nursery = NurseryFactory(name="Les Lutins")
    user = StaffUserFactory(username="agent.lutins")
    nursery.staff.add(user)
    add_device(user)
    return user


@pytest.fixture
def staff_login():
    def login(client, user):
        log_in_with_second_factor(client, user)
        return client

    return login
