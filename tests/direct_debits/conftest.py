import datetime

import pytest

from tests.factories import RegieFactory, make_family_guardian

from .factories import CreditorSettingsFactory


@pytest.fixture
def creditor():
    return CreditorSettingsFactory(regie=RegieFactory(name="Régie Petite Enfance"))


@pytest.fixture
def regie(creditor):
    return creditor.regie


@pytest.fixture
def family(client):
    """A guardian logged in on the portal."""
    guardian = make_family_guardian()
    client.force_login(guardian.user)
    return guardian


@pytest.fixture
def today():
    return datetime.date(2022, 1, 20)
