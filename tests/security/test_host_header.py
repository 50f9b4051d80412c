"""WEB-08 / AUTH-11(d): a forged Host header is refused, and reset links always point at
SITE_URL, never at the request's host."""

from django.core import mail

from portail.notifications.models import OutgoingEmail


def test_a_forged_host_is_refused(client):
    assert client.get("/connexion/", HTTP_HOST="evil.example").status_code == 400
    response = client.post(
        "/mot-de-passe-oublie/", {"login": "x@example.fr"}, HTTP_HOST="evil.example"
    )
    assert response.status_code == 400


def test_forwarded_host_is_ignored_in_reset_links(client, family_a, settings):
    settings.SITE_URL = "https://portail-famille.example.fr"
    client.post(
        "/mot-de-passe-oublie/",
        {"login": family_a.user.email},
        HTTP_X_FORWARDED_HOST="evil.example",
    )
    email = OutgoingEmail.objects.get(to=family_a.user.email, kind="password_reset")
    assert "https://portail-famille.example.fr/compte/lien/" in email.body_text
    assert "evil.example" not in email.body_text + email.body_html
    assert all("evil.example" not in message.body for message in mail.outbox)
