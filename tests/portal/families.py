"""Families built with known, distinctive data, for the family's space tests."""

import datetime
from dataclasses import dataclass

from portail.accounts.models import User
from portail.households.models import Child, Contact, Guardian, Household
from portail.nurseries.models import Nursery
from tests.factories import (
    ChildFactory,
    ContactFactory,
    GuardianFactory,
    HouseholdFactory,
    NurseryFactory,
    UserFactory,
)


@dataclass
class Family:
    user: User
    household: Household
    guardian: Guardian
    nursery: Nursery
    child: Child
    contact: Contact


def make_family(*, name: str, nursery: Nursery | None = None, children=1, contacts=1) -> Family:
    """A household named « Famille <name> » whose guardian has a portal account, with
    ``children`` children in ``nursery`` and ``contacts`` contacts. No CGU is published
    by these helpers, so the family gate lets the account through."""
    nursery = nursery or NurseryFactory(name=f"Crèche {name}", email=f"creche.{name}@example.fr")
    household = HouseholdFactory(name=f"Famille {name}", nursery=nursery)
    user = UserFactory(
        username=f"{name.lower()}.marie",
        email=f"{name.lower()}.marie@example.fr",
        first_name="Marie",
        last_name=name,
    )
    guardian = GuardianFactory(
        household=household, user=user, first_name="Marie", last_name=name, email=user.email
    )
    kids = [
        ChildFactory(
            household=household,
            nursery=nursery,
            first_name=f"Enfant{index}",
            last_name=name,
            birth_date=datetime.date(2023, 5, index + 1),
        )
        for index in range(children)
    ]
    people = [
        ContactFactory(household=household, first_name=f"Proche{index}", last_name=name)
        for index in range(contacts)
    ]
    return Family(
        user=user,
        household=household,
        guardian=guardian,
        nursery=nursery,
        child=kids[0] if kids else None,
        contact=people[0] if people else None,
    )
