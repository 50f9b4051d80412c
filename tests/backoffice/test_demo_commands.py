"""seed_demo builds the demo town and prints working logins; totp_code gives the code."""

from base64 import b32decode
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from portail.accounts.models import TermsAcceptance, User
from portail.households.models import Guardian, Household
from portail.organisation.models import Organisation, TermsVersion

from .conftest import LOGIN_URL, text_of

COUNTED = [
    "organisation.Organisation",
    "organisation.TermsVersion",
    "nurseries.Nursery",
    "households.Household",
    "households.Guardian",
    "households.Child",
    "households.HouseholdChild",
    "households.Contact",
    "accounts.User",
    "accounts.TermsAcceptance",
    "accounts.AccountLink",
    "otp_totp.TOTPDevice",
    "notifications.OutgoingEmail",
]


def seed() -> list[str]:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue().splitlines()


def counts() -> dict[str, int]:
    return {label: apps.get_model(label).objects.count() for label in COUNTED}


def test_seed_demo_prints_the_logins():
    lines = seed()

    secret = lines[6].split("(secret : ")[1].rstrip(")")
    assert lines[:7] == [
        "Famille de démonstration",
        "Identifiant : camille.martin",
        "Mot de passe : Demo-Portail-2026",
        "Personnel (http://testserver/gestion/)",
        "Identifiant : admin",
        "Mot de passe : Tilleuls-Gestion-2026",
        f"Code TOTP : DEBUG=1 .venv/bin/python manage.py totp_code admin   (secret : {secret})",
    ]
    assert lines[7] == "Personnel de la structure Pic et Plume (http://testserver/gestion/)"
    assert lines[8] == "Identifiant : nadia.lefevre"
    assert lines[9].startswith("Mot de passe : ")
    assert lines[10].startswith(
        "Code TOTP : DEBUG=1 .venv/bin/python manage.py totp_code nadia.lefevre"
    )
    assert lines[-1] == "E-mails : http://testserver/dev/outbox/"


def test_seed_demo_twice_changes_nothing_and_prints_the_same():
    first = seed()
    before = counts()

    second = seed()

    assert second == first
    assert counts() == before


def test_seed_demo_builds_the_town():
    seed()

    organisation = Organisation.current()
    assert organisation.town_name == "Val-des-Tilleuls"
    assert organisation.service_email == "petite-enfance@val-des-tilleuls.example"
    assert organisation.noreply_email == "nepasrepondre@val-des-tilleuls.example"
    assert TermsVersion.objects.current().version == 1
    assert 18 <= Household.objects.count() <= 22
    for household in Household.objects.prefetch_related("children", "guardians"):
        assert 1 <= household.children.count() <= 3
        assert household.guardians.exists()


def test_demo_family_is_activated_with_a_second_guardian_to_invite():
    seed()

    user = User.objects.get(username="camille.martin")
    assert user.check_password("Demo-Portail-2026")
    assert user.email == "camille.martin@example.fr"
    assert not user.must_change_password
    assert TermsAcceptance.objects.filter(user=user, terms__version=1).exists()
    martin = Household.objects.get(name="Famille Martin")
    assert martin.children.count() == 2
    assert martin.contacts.filter(can_pick_up=True, relationship="grand-mère").exists()
    assert martin.contacts.filter(is_emergency_contact=True).exists()
    other = martin.guardians.exclude(user=user).get()
    assert other.user is None
    assert other.email


def test_demo_administrator_logs_into_the_back_office_with_the_printed_secret(client):
    lines = seed()
    secret = lines[6].split("(secret : ")[1].rstrip(")")
    code = f"{totp(b32decode(secret)):06d}"

    response = client.post(
        LOGIN_URL,
        {"username": "admin", "password": "Tilleuls-Gestion-2026", "otp_token": code},
    )

    assert response.status_code == 302
    assert "Val-des-Tilleuls — gestion" in text_of(client.get("/gestion/"))


def test_demo_nursery_staff_sees_only_pic_et_plume():
    seed()

    staff = User.objects.get(username="nadia.lefevre")
    visible = Household.objects.for_staff(staff)
    assert visible.filter(name="Famille Martin").exists()
    assert 0 < visible.count() < Household.objects.count()
    assert staff.is_staff and not staff.is_superuser


def test_seed_demo_restores_a_changed_demo_password():
    seed()
    user = User.objects.get(username="camille.martin")
    user.set_password("Autre-Chose-2027")
    user.save()

    seed()

    user.refresh_from_db()
    assert user.check_password("Demo-Portail-2026")


def test_seed_demo_quiet_prints_nothing():
    out = StringIO()

    call_command("seed_demo", "--quiet", stdout=out)

    assert out.getvalue() == ""
    assert Guardian.objects.exists()


def test_totp_code_prints_the_current_code():
    seed()
    device = TOTPDevice.objects.get(user__username="admin")
    out = StringIO()

    call_command("totp_code", "admin", stdout=out, stderr=StringIO())

    assert out.getvalue().strip() == f"{totp(device.bin_key):06d}"


def test_totp_code_for_an_unknown_identifier_fails_in_french():
    with pytest.raises(CommandError, match="Aucun compte"):
        call_command("totp_code", "personne", stdout=StringIO())
