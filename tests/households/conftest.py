"""A family (the Durands at Pic et Plume), a second family at another nursery, and staff of
each nursery logged in with their second factor."""

import pytest

from tests.backoffice.conftest import log_in_with_second_factor
from tests.factories import StaffUserFactory
from tests.portal.families import make_family


@pytest.fixture
def family():
    return make_family(name="Durand")


@pytest.fixture
def other_family():
    return make_family(name="Bertin")


@pytest.fixture
def family_client(client, family):
    client.force_login(family.user)
    return client


@pytest.fixture
def nursery_staff(family):
    user = StaffUserFactory(first_name="Nadia", last_name="Lefèvre")
    family.nursery.staff.add(user)
    return user


@pytest.fixture
def staff_client(client, nursery_staff):
    log_in_with_second_factor(client, nursery_staff)
    return client
