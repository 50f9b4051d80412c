"""Staff of the back office: an administrator, nursery staff, and clients logged in with
their second factor."""

import html
import re

import pytest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import (
    ChildFactory,
    GuardianFactory,
    HouseholdFactory,
    NurseryFactory,
    StaffUserFactory,
)

STAFF_PASSWORD = "Tilleuls-Bureau-2026"
LOGIN_URL = "/gestion/login/"


def add_device(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Téléphone", confirmed=True)


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def log_in_with_second_factor(client, user) -> None:
    """What the login form leaves in the session once the code is checked (the form itself is
    tested in test_login.py)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or add_device(user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def text_of(response) -> str:
    """The visible text of a page: tags removed, entities decoded, spaces collapsed."""
    content = response.content.decode()
    content = re.sub(r"<(script|style)\b.*?</\1>", " ", content, flags=re.S)
    content = re.sub(r"<[^>]+>", " ", content)
    return " ".join(html.unescape(content).split())


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def pic_et_plume():
    return NurseryFactory(name="Pic et Plume", email="picetplume@val-des-tilleuls.example")


@pytest.fixture
def loptiou():
    return NurseryFactory(name="Loptiou", email="loptiou@val-des-tilleuls.example")


@pytest.fixture
def administrator():
    user = StaffUserFactory(username="claire.fontaine", is_superuser=True, password=STAFF_PASSWORD)
    add_device(user)
    return user


@pytest.fixture
def nursery_staff(pic_et_plume):
    user = StaffUserFactory(username="nadia.lefevre", password=STAFF_PASSWORD)
    pic_et_plume.staff.add(user)
    add_device(user)
    return user


@pytest.fixture
def admin_client(client, administrator):
    log_in_with_second_factor(client, administrator)
    return client


@pytest.fixture
def staff_client(client, nursery_staff):
    log_in_with_second_factor(client, nursery_staff)
    return client


@pytest.fixture
def martin(pic_et_plume):
    """Famille Martin, at Pic et Plume: Camille (with an e-mail) and Julien (without)."""
    household = HouseholdFactory(name="Famille Martin", nursery=pic_et_plume)
    GuardianFactory(
        household=household,
        first_name="Camille",
        last_name="Martin",
        email="camille.martin@example.fr",
    )
    GuardianFactory(household=household, first_name="Julien", last_name="Martin", email="")
    ChildFactory(household=household, first_name="Léa", last_name="Martin", nursery=pic_et_plume)
    return household


@pytest.fixture
def durand(loptiou):
    """Famille Durand, at Loptiou: out of reach of Pic et Plume's staff."""
    household = HouseholdFactory(name="Famille Durand", nursery=loptiou)
    GuardianFactory(
        household=household, first_name="Simon", last_name="Durand", email="simon@example.fr"
    )
    ChildFactory(household=household, first_name="Zoé", last_name="Durand", nursery=loptiou)
    return household
