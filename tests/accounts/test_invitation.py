"""Staff press « Envoyer l'invitation »: an identifier and a single-use activation link."""

import pytest

from portail.accounts.models import User
from portail.accounts.services import InvitationError, invite_guardian
from portail.organisation.models import Organisation
from tests.accounts.conftest import emails_to, link_path
from tests.factories import GuardianFactory, UserFactory, make_family_guardian


def test_invitation_makes_the_identifier_from_the_email_local_part_lower_cased():
    guardian = GuardianFactory(email="Camille.Martin@Example.fr")

    user = invite_guardian(guardian=guardian)

    assert user.username == "camille.martin"
    guardian.refresh_from_db()
    assert guardian.user == user
    assert not user.has_usable_password()


def test_invitation_email_holds_the_identifier_and_a_link_but_no_password():
    organisation = Organisation.current()
    organisation.noreply_email = "ne-pas-repondre@ma-commune.fr"
    organisation.save()
    guardian = GuardianFactory(
        first_name="Camille", last_name="Martin", email="camille.martin@example.fr"
    )

    invite_guardian(guardian=guardian)

    [email] = emails_to("camille.martin@example.fr")
    assert email.from_email == "ne-pas-repondre@ma-commune.fr"
    assert "Création de votre espace personnel" in email.subject
    assert "Bonjour Madame Camille Martin," in email.body_text
    assert "Votre identifiant : camille.martin" in email.body_text
    assert "Le lien fonctionne une seule fois, pendant 7 jours." in email.body_text
    assert link_path(email).startswith("/compte/lien/")
    assert "mot de passe :" not in email.body_text.lower()
    assert "mot de passe :" not in email.body_html.lower()


def test_taken_identifier_gets_the_next_free_suffix_and_the_email_names_it():
    UserFactory(username="camille.martin", email="camille.martin@example.fr")
    second = GuardianFactory(email="camille.martin@autre-exemple.fr")
    third = GuardianFactory(email="Camille.Martin@troisieme.fr")

    assert invite_guardian(guardian=second).username == "camille.martin2"
    assert invite_guardian(guardian=third).username == "camille.martin3"

    [email] = emails_to("camille.martin@autre-exemple.fr")
    assert "Votre identifiant : camille.martin2" in email.body_text
    [email] = emails_to("Camille.Martin@troisieme.fr")
    assert "Votre identifiant : camille.martin3" in email.body_text


def test_identifier_suffix_is_case_insensitive_about_existing_identifiers():
    UserFactory(username="Jean.Dupont", email="jd@example.fr")

    user = invite_guardian(guardian=GuardianFactory(email="jean.dupont@example.fr"))

    assert user.username == "jean.dupont2"


def test_inviting_again_stops_the_earlier_link(client):
    guardian = GuardianFactory(email="camille.martin@example.fr")
    invite_guardian(guardian=guardian)
    invite_guardian(guardian=guardian)

    first, second = emails_to("camille.martin@example.fr")
    assert link_path(first) != link_path(second)
    assert User.objects.filter(email="camille.martin@example.fr").count() == 1

    response = client.get(link_path(first))
    assert response.status_code == 400
    assert "Ce lien ne fonctionne plus" in response.content.decode()

    response = client.get(link_path(second))
    assert response.status_code == 302
    assert response["Location"] == "/compte/mot-de-passe/"


def test_guardian_without_email_cannot_be_invited_and_staff_read_why_in_french():
    guardian = GuardianFactory(first_name="Camille", last_name="Martin", email="")

    with pytest.raises(InvitationError) as error:
        invite_guardian(guardian=guardian)

    assert str(error.value) == (
        "Camille Martin n'a pas d'adresse e-mail : renseignez-la avant d'envoyer l'invitation."
    )
    assert not User.objects.exists()


def test_guardian_who_already_activated_is_not_invited_again():
    user = UserFactory(username="camille.martin", email="camille.martin@example.fr")
    guardian = GuardianFactory(
        first_name="Camille", last_name="Martin", email=user.email, user=user
    )

    with pytest.raises(InvitationError) as error:
        invite_guardian(guardian=guardian)

    assert "a déjà activé son compte (identifiant camille.martin)" in str(error.value)
    assert emails_to(user.email) == []


def test_guardian_whose_email_is_a_staff_account_is_not_invited():
    UserFactory(username="agent", email="agent@mairie.fr", is_staff=True)
    guardian = GuardianFactory(email="AGENT@mairie.fr")

    with pytest.raises(InvitationError) as error:
        invite_guardian(guardian=guardian)

    assert "appartient à un compte du personnel" in str(error.value)
    guardian.refresh_from_db()
    assert guardian.user is None


def test_guardian_of_a_second_household_is_linked_to_their_existing_account():
    """A separated parent already active in one household, added with the same e-mail to
    another: the invitation links the new guardian row to the account they already use."""
    first = make_family_guardian(username="camille.martin", email="camille.martin@example.fr")
    second = GuardianFactory(
        first_name="Camille", last_name="Martin", email="Camille.Martin@example.fr"
    )

    with pytest.raises(InvitationError) as error:
        invite_guardian(guardian=second)

    second.refresh_from_db()
    assert second.user == first.user
    assert "camille.martin" in str(error.value)
    assert emails_to("Camille.Martin@example.fr") == []
    assert User.objects.count() == 1


def test_invitation_leaves_from_the_no_reply_address_once_committed(
    django_capture_on_commit_callbacks, mailoutbox
):
    guardian = GuardianFactory(email="camille.martin@example.fr")

    with django_capture_on_commit_callbacks(execute=True):
        invite_guardian(guardian=guardian)

    [message] = mailoutbox
    assert message.to == ["camille.martin@example.fr"]
    assert message.from_email == "nepasrepondre@portail-famille.localhost"
    assert "Votre identifiant : camille.martin" in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert "camille.martin" in html
    [email] = emails_to("camille.martin@example.fr")
    assert email.status == "sent"
