"""CGU versions published from the back office; the outbox and its « send again »."""

from django.core import mail
from django.urls import reverse

from portail.notifications.models import OutgoingEmail
from portail.organisation.models import TermsVersion
from tests.factories import TermsVersionFactory

from .conftest import messages_of, text_of


def test_a_new_version_takes_the_next_number_and_starts_from_the_current_text(admin_client):
    TermsVersionFactory(version=1, text="Article 1 — Objet.")
    add = reverse("admin:organisation_termsversion_add")

    assert "Article 1 — Objet." in admin_client.get(add).content.decode()
    admin_client.post(add, {"text": "Article 1 — Objet, révisé."})

    draft = TermsVersion.objects.get(version=2)
    assert draft.published_at is None
    assert TermsVersion.objects.current().version == 1


def test_publish_button_publishes_a_draft(admin_client):
    TermsVersionFactory(version=1)
    draft = TermsVersionFactory(version=2, published_at=None)

    response = admin_client.post(
        reverse("admin:organisation_termsversion_publish", args=[draft.pk]), follow=True
    )

    draft.refresh_from_db()
    assert draft.published_at is not None
    assert TermsVersion.objects.current() == draft
    assert any("prochaine connexion" in message for message in messages_of(response))


def test_publish_action_publishes_the_selected_drafts(admin_client):
    draft = TermsVersionFactory(version=1, published_at=None)

    admin_client.post(
        reverse("admin:organisation_termsversion_changelist"),
        {"action": "publish", "_selected_action": [draft.pk]},
    )

    draft.refresh_from_db()
    assert draft.published_at is not None


def test_a_published_version_cannot_be_edited(admin_client):
    published = TermsVersionFactory(version=1, text="Texte publié.")
    url = reverse("admin:organisation_termsversion_change", args=[published.pk])

    page = admin_client.get(url)
    admin_client.post(url, {"text": "Texte modifié."})

    published.refresh_from_db()
    assert 'name="_save"' not in page.content.decode()
    assert "Publier" not in text_of(page)
    assert published.text == "Texte publié."


def test_send_again_resends_a_failed_email(admin_client, django_capture_on_commit_callbacks):
    email = OutgoingEmail.objects.create(
        kind="account_invitation",
        to="camille.martin@example.fr",
        from_email="nepasrepondre@val-des-tilleuls.example",
        subject="Votre espace famille",
        body_text="Bonjour",
        status=OutgoingEmail.Status.FAILED,
        attempts=5,
        last_error="SMTPServerDisconnected",
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:notifications_outgoingemail_changelist"),
            {"action": "send_again", "_selected_action": [email.pk]},
            follow=True,
        )

    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.SENT
    assert [message.to for message in mail.outbox] == [["camille.martin@example.fr"]]
    assert any("renvoyé" in message for message in messages_of(response))


def test_outbox_is_read_only(admin_client):
    email = OutgoingEmail.objects.create(
        kind="password_reset", to="a@example.fr", from_email="x@example.fr", subject="S"
    )

    page = admin_client.get(reverse("admin:notifications_outgoingemail_change", args=[email.pk]))

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert admin_client.get(reverse("admin:notifications_outgoingemail_add")).status_code == 403
