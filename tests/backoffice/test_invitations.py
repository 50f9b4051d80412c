"""« Envoyer l'invitation »: staff send a guardian their identifier and an activation link."""

from django.urls import reverse

from portail.accounts.models import AccountLink
from portail.notifications.models import OutgoingEmail
from tests.factories import GuardianFactory

from .conftest import messages_of, text_of


def invitations_to(address):
    return list(OutgoingEmail.objects.filter(to=address, kind="account_invitation"))


def test_invite_button_emails_the_identifier_and_a_link_without_a_password(staff_client, martin):
    camille = martin.guardians.get(first_name="Camille")
    url = reverse("admin:households_guardian_invitation", args=[camille.pk])

    response = staff_client.post(url, follow=True)

    [email] = invitations_to("camille.martin@example.fr")
    assert "camille.martin" in email.body_text
    assert "/compte/lien/" in email.body_text
    assert "mot de passe :" not in email.body_text.lower()
    assert any(
        "Invitation envoyée à Camille Martin" in message and "« camille.martin »" in message
        for message in messages_of(response)
    )
    camille.refresh_from_db()
    assert camille.user.username == "camille.martin"
    assert not camille.user.has_usable_password()


def test_guardian_page_shows_the_two_account_buttons(staff_client, martin):
    camille = martin.guardians.get(first_name="Camille")

    response = staff_client.get(reverse("admin:households_guardian_change", args=[camille.pk]))

    page = text_of(response)
    assert "Envoyer l'invitation" in page
    assert "Définir un mot de passe temporaire" in page
    assert "Pas encore de compte" in page


def test_a_new_invitation_replaces_the_earlier_link(staff_client, martin):
    camille = martin.guardians.get(first_name="Camille")
    url = reverse("admin:households_guardian_invitation", args=[camille.pk])

    staff_client.post(url)
    staff_client.post(url)

    camille.refresh_from_db()
    links = AccountLink.objects.filter(user=camille.user)
    assert len(invitations_to("camille.martin@example.fr")) == 2
    assert links.count() == 2
    assert links.usable().count() == 1


def test_invite_without_email_shows_a_french_error(staff_client, martin):
    julien = martin.guardians.get(first_name="Julien")

    response = staff_client.post(
        reverse("admin:households_guardian_invitation", args=[julien.pk]), follow=True
    )

    assert any("n'a pas d'adresse e-mail" in message for message in messages_of(response))
    assert OutgoingEmail.objects.count() == 0


def test_invite_button_only_answers_post(staff_client, martin):
    camille = martin.guardians.get(first_name="Camille")

    response = staff_client.get(reverse("admin:households_guardian_invitation", args=[camille.pk]))

    assert response.status_code == 405
    assert OutgoingEmail.objects.count() == 0


def test_nursery_staff_cannot_invite_a_guardian_of_another_nursery(staff_client, durand):
    simon = durand.guardians.get()

    response = staff_client.post(reverse("admin:households_guardian_invitation", args=[simon.pk]))

    assert response.status_code == 404
    assert OutgoingEmail.objects.count() == 0


def test_household_action_invites_every_guardian_with_an_email(staff_client, martin):
    GuardianFactory(household=martin, first_name="Alex", email="alex.martin@example.fr")

    response = staff_client.post(
        reverse("admin:households_household_changelist"),
        {"action": "send_invitations", "_selected_action": [martin.pk]},
        follow=True,
    )

    assert len(invitations_to("camille.martin@example.fr")) == 1
    assert len(invitations_to("alex.martin@example.fr")) == 1
    messages = messages_of(response)
    assert sum("Invitation envoyée" in message for message in messages) == 2


def test_household_action_says_when_no_guardian_has_an_email(staff_client, martin):
    martin.guardians.update(email="")

    response = staff_client.post(
        reverse("admin:households_household_changelist"),
        {"action": "send_invitations", "_selected_action": [martin.pk]},
        follow=True,
    )

    assert any(
        "aucun représentant légal n'a d'adresse e-mail" in message
        for message in messages_of(response)
    )


def test_guardian_action_invites_and_reports_errors_in_french(staff_client, martin):
    response = staff_client.post(
        reverse("admin:households_guardian_changelist"),
        {
            "action": "send_invitation",
            "_selected_action": [guardian.pk for guardian in martin.guardians.all()],
        },
        follow=True,
    )

    messages = messages_of(response)
    assert any("Invitation envoyée à Camille Martin" in message for message in messages)
    assert any("Julien Martin n'a pas d'adresse e-mail" in message for message in messages)


def test_guardian_list_shows_who_is_invited_and_who_is_active(staff_client, martin):
    camille = martin.guardians.get(first_name="Camille")
    staff_client.post(reverse("admin:households_guardian_invitation", args=[camille.pk]))

    page = text_of(staff_client.get(reverse("admin:households_guardian_changelist")))
    invited = text_of(
        staff_client.get(reverse("admin:households_guardian_changelist"), {"account": "invited"})
    )

    assert "Invité, pas encore activé" in page
    assert "Pas encore de compte" in page
    assert "Camille" in invited
    assert "Julien" not in invited


def test_outbox_shown_to_administrators_hides_the_link_token(admin_client, martin):
    camille = martin.guardians.get(first_name="Camille")
    admin_client.post(reverse("admin:households_guardian_invitation", args=[camille.pk]))
    [email] = invitations_to("camille.martin@example.fr")
    token = email.body_text.split("/compte/lien/")[1].split("/")[0]

    response = admin_client.get(
        reverse("admin:notifications_outgoingemail_change", args=[email.pk])
    )

    assert response.status_code == 200
    assert "camille.martin" in text_of(response)
    assert token not in response.content.decode()
