"""Factories for the whole suite (shared: add yours, keep the others')."""

import datetime

import factory
from django.utils import timezone

from portail.accounts.models import User
from portail.households.models import (
    Child,
    Civility,
    Contact,
    Guardian,
    Household,
    HouseholdChild,
)
from portail.nurseries.models import Nursery
from portail.organisation.models import TermsVersion

# A password that meets the municipal rule; users made by UserFactory have it.
DEFAULT_PASSWORD = "Soleil-Matin-42"


class UserFactory(factory.django.DjangoModelFactory):
    """A family account that has chosen its password (activated)."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    username = factory.Sequence(lambda n: f"famille.{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.fr")
    password = factory.django.Password(DEFAULT_PASSWORD)
    password_changed_at = factory.LazyFunction(timezone.now)


class StaffUserFactory(UserFactory):
    username = factory.Sequence(lambda n: f"agent.{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@mairie.example.fr")
    is_staff = True


class NurseryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Nursery
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Crèche n° {n}")
    address = "1 rue des Lilas\n75000 Ma commune"
    email = factory.Sequence(lambda n: f"creche{n}@mairie.example.fr")
    phone = "01 23 45 67 89"
    director = "Mme Claire Dubois"


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    name = factory.LazyAttribute(lambda h: f"Famille {h.family_name}")
    address_line1 = "12 rue des Écoles"
    postal_code = "75000"
    city = "Ma commune"
    nursery = factory.SubFactory(NurseryFactory)

    class Params:
        family_name = factory.Faker("last_name", locale="fr_FR")


class GuardianFactory(factory.django.DjangoModelFactory):
    """A guardian with no account yet (as staff create them, before the invitation)."""

    class Meta:
        model = Guardian

    household = factory.SubFactory(HouseholdFactory)
    civility = Civility.MADAME
    first_name = factory.Faker("first_name_female", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    birth_date = datetime.date(1988, 3, 14)
    mobile_phone = "06 12 34 56 78"
    email = factory.Sequence(lambda n: f"parent.{n}@example.fr")
    user = None


class ChildFactory(factory.django.DjangoModelFactory):
    """A child; pass ``household=`` to place it in one."""

    class Meta:
        model = Child
        skip_postgeneration_save = True

    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    birth_date = datetime.date(2023, 5, 2)
    nursery = factory.SubFactory(NurseryFactory)

    @factory.post_generation
    def household(self, create, extracted, **kwargs):
        if create and extracted is not None:
            HouseholdChild.objects.create(household=extracted, child=self)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    household = factory.SubFactory(HouseholdFactory)
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    relationship = "grand-mère"
    mobile_phone = "06 98 76 54 32"
    can_pick_up = True
    is_emergency_contact = True


class TermsVersionFactory(factory.django.DjangoModelFactory):
    """A published version of the CGU."""

    class Meta:
        model = TermsVersion

    version = factory.Sequence(lambda n: n + 1)
    text = factory.LazyAttribute(
        lambda t: f"Conditions générales d'utilisation, version {t.version}. Article 1…"
    )
    published_at = factory.LazyFunction(timezone.now)


def make_family_guardian(**user_fields) -> Guardian:
    """An activated guardian in a household with one child (in a nursery) and one contact."""
    user = UserFactory(**user_fields)
    guardian = GuardianFactory(
        user=user, first_name=user.first_name, last_name=user.last_name, email=user.email
    )
    ChildFactory(household=guardian.household, last_name=user.last_name)
    ContactFactory(household=guardian.household)
    return guardian
