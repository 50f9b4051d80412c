"""« Définir un mot de passe temporaire »: shown once to staff, handed over in person."""

import re

from django.contrib.auth.password_validation import validate_password
from django.urls import reverse

from portail.accounts.models import User
from portail.notifications.models import OutgoingEmail
from tests.factories import GuardianFactory, UserFactory

from .conftest import messages_of, text_of


def shown_password(response) -> str:
    match = re.search(r'id="temporary-password">([^<]+)<', response.content.decode())
    assert match, response.content.decode()
    return match[1]


def test_temporary_password_is_shown_once_and_meets_the_rule(staff_client, martin):
    camille = martin.guardians.get(first_name="Camille")

    response = staff_client.post(
        reverse("admin:households_guardian_temporary_password", args=[camille.pk])
    )

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    password = shown_password(response)
    camille.refresh_from_db()
    user = camille.user
    validate_password(password, user)
    assert user.check_password(password)
    assert user.must_change_password
    assert user.temporary_password_expires_at is not None
    page = text_of(response)
    assert "camille.martin" in page
    assert "en main propre" in page
    assert "expire dans 7 jours" in page
    assert "doit être changé à la première connexion" in page
    assert not OutgoingEmail.objects.filter(body_text__contains=password).exists()


def test_guardian_without_email_gets_an_identifier_from_their_name(staff_client, martin):
    julien = martin.guardians.get(first_name="Julien")

    response = staff_client.post(
        reverse("admin:households_guardian_temporary_password", args=[julien.pk])
    )

    julien.refresh_from_db()
    assert julien.user.username == "julien.martin"
    assert "julien.martin" in text_of(response)
    assert julien.user.check_password(shown_password(response))


def test_identifier_from_a_name_drops_accents_and_takes_a_free_suffix(admin_client, martin):
    UserFactory(username="helene.lefevre")
    helene = GuardianFactory(household=martin, first_name="Hélène", last_name="Lefèvre", email="")

    admin_client.post(reverse("admin:households_guardian_temporary_password", args=[helene.pk]))

    helene.refresh_from_db()
    assert helene.user.username == "helene.lefevre2"


def test_a_guardian_with_their_own_password_is_asked_for_confirmation(staff_client, martin):
    user = UserFactory(username="camille.martin", email="camille.martin@example.fr")
    camille = martin.guardians.get(first_name="Camille")
    camille.user = user
    camille.save()
    url = reverse("admin:households_guardian_temporary_password", args=[camille.pk])

    first = staff_client.post(url)

    user.refresh_from_db()
    assert "cesse aussitôt de fonctionner" in text_of(first)
    assert not user.must_change_password

    confirmed = staff_client.post(url, {"confirmed": "yes"})

    user.refresh_from_db()
    assert user.must_change_password
    assert user.check_password(shown_password(confirmed))


def test_temporary_password_is_refused_for_a_staff_account(admin_client, martin, nursery_staff):
    camille = martin.guardians.get(first_name="Camille")
    camille.user = nursery_staff
    camille.save()

    response = admin_client.post(
        reverse("admin:households_guardian_temporary_password", args=[camille.pk]),
        {"confirmed": "yes"},
        follow=True,
    )

    assert any("compte du personnel" in message for message in messages_of(response))
    nursery_staff.refresh_from_db()
    assert not nursery_staff.must_change_password


def test_nursery_staff_cannot_set_a_password_in_another_nursery(staff_client, durand):
    simon = durand.guardians.get()

    response = staff_client.post(
        reverse("admin:households_guardian_temporary_password", args=[simon.pk])
    )

    assert response.status_code == 404
    assert not User.objects.filter(email="simon@example.fr").exists()


def test_temporary_password_only_answers_post(staff_client, martin):
    camille = martin.guardians.get(first_name="Camille")

    response = staff_client.get(
        reverse("admin:households_guardian_temporary_password", args=[camille.pk])
    )

    assert response.status_code == 405


def test_nursery_staff_cannot_take_over_an_account_of_another_nursery_by_its_email(
    staff_client, martin, durand
):
    simon = durand.guardians.get()
    simon.user = UserFactory(username="simon", email="simon@example.fr")
    simon.save()
    decoy = GuardianFactory(household=martin, first_name="Simon", email="SIMON@example.fr")

    response = staff_client.post(
        reverse("admin:households_guardian_temporary_password", args=[decoy.pk]),
        {"confirmed": "yes"},
        follow=True,
    )

    assert any("seul un administrateur" in message for message in messages_of(response))
    simon.user.refresh_from_db()
    assert not simon.user.must_change_password
    decoy.refresh_from_db()
    assert decoy.user is None


def test_administrator_sets_a_temporary_password_for_a_guardian_of_two_households(
    admin_client, martin, durand
):
    simon = durand.guardians.get()
    simon.user = UserFactory(username="simon", email="simon@example.fr")
    simon.save()
    GuardianFactory(household=martin, user=simon.user, email="simon@example.fr")

    response = admin_client.post(
        reverse("admin:households_guardian_temporary_password", args=[simon.pk]),
        {"confirmed": "yes"},
    )

    simon.user.refresh_from_db()
    assert simon.user.check_password(shown_password(response))
