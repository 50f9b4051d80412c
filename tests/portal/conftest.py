"""A family with known, distinctive data, logged in, for the family's space tests."""

import datetime

import pytest

from portail.organisation.models import Organisation
from tests.factories import (
    ChildFactory,
    ContactFactory,
    GuardianFactory,
    HouseholdFactory,
    NurseryFactory,
    UserFactory,
)

from .families import Family


@pytest.fixture
def organisation():
    organisation = Organisation.current()
    organisation.town_name = "Bourg-les-Crèches"
    organisation.service_name = "Service Petite Enfance"
    organisation.service_email = "petite-enfance@bourg.example.fr"
    organisation.service_phone = "04 50 22 05 57"
    organisation.address = "1 place de la Mairie\n74000 Bourg-les-Crèches"
    organisation.save()
    return organisation


@pytest.fixture
def family(organisation):
    """The Durand household: Mme Marie Durand (account durand.marie), her child Léa at the
    nursery Pic et Plume, and Léa's grandmother Jeanne Martin."""
    nursery = NurseryFactory(
        name="Pic et Plume",
        email="picetplume@bourg.example.fr",
        phone="04 50 11 22 33",
        address="3 chemin des Mésanges\n74000 Bourg-les-Crèches",
        director="Mme Claire Dubois",
    )
    household = HouseholdFactory(
        name="Famille Durand",
        address_line1="15 rue de la Grenette",
        address_line2="",
        postal_code="74370",
        city="Bourg-les-Crèches",
        nursery=nursery,
    )
    user = UserFactory(
        username="durand.marie",
        email="durand.marie@example.fr",
        first_name="Marie",
        last_name="Durand",
    )
    guardian = GuardianFactory(
        household=household,
        user=user,
        first_name="Marie",
        last_name="Durand",
        birth_date=datetime.date(1988, 3, 14),
        mobile_phone="06 50 50 42 58",
        home_phone="",
        work_phone="04 50 00 00 01",
        email="durand.marie@example.fr",
    )
    child = ChildFactory(
        household=household,
        nursery=nursery,
        first_name="Léa",
        last_name="Durand",
        birth_date=datetime.date(2023, 5, 2),
    )
    contact = ContactFactory(
        household=household,
        first_name="Jeanne",
        last_name="Martin",
        relationship="grand-mère",
        mobile_phone="06 11 22 33 44",
        other_phone="",
        can_pick_up=True,
        is_emergency_contact=False,
    )
    return Family(
        user=user,
        household=household,
        guardian=guardian,
        nursery=nursery,
        child=child,
        contact=contact,
    )


@pytest.fixture
def family_client(client, family):
    client.force_login(family.user)
    return client
