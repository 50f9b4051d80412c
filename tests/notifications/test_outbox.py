"""The outbox: every e-mail is stored, then sent over SMTP by a task; in development the
/dev/outbox/ pages let a newcomer read it."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils.html import escape

from portail.notifications.models import OutgoingEmail
from portail.notifications.services import queue_email, send_outgoing_email
from portail.organisation.models import Organisation

LOGIN_URL = "http://testserver/connexion/"


@pytest.fixture
def user():
    return get_user_model().objects.create_user(
        username="durand.simon", email="durand.simon@example.org", password="Unused-Password-1"
    )


def queue_password_changed(user, capture):
    with capture(execute=True):
        return queue_email(
            kind="password_changed",
            to=user.email,
            context={"user": user, "login_url": LOGIN_URL},
        )


def parts(message):
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def test_queued_email_is_delivered_over_smtp_once_the_transaction_commits(
    smtp_server, user, django_capture_on_commit_callbacks
):
    email = queue_password_changed(user, django_capture_on_commit_callbacks)

    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == "durand.simon@example.org"
    # Django folds a long encoded subject onto a continuation line: the space is the fold's.
    assert message["Subject"].strip() == email.subject
    text, html = parts(message)
    assert "durand.simon" in text
    assert LOGIN_URL in text
    assert LOGIN_URL in html
    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.SENT
    assert email.attempts == 1
    assert email.sent_at is not None
    assert email.last_error == ""


def test_nothing_is_sent_before_the_transaction_commits(
    smtp_server, user, django_capture_on_commit_callbacks
):
    Organisation.current()  # made beforehand: creating it forgets a cached copy on commit
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        email = queue_email(
            kind="password_changed",
            to=user.email,
            context={"user": user, "login_url": LOGIN_URL},
        )

    assert len(callbacks) == 1
    assert smtp_server.messages == []
    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.PENDING


def test_email_stays_pending_with_the_error_when_the_smtp_server_is_down(
    smtp_down, user, django_capture_on_commit_callbacks
):
    email = queue_password_changed(user, django_capture_on_commit_callbacks)

    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.PENDING
    assert email.attempts == 1
    assert email.sent_at is None
    assert "ConnectionRefusedError" in email.last_error


def test_email_is_failed_after_the_last_allowed_attempt(
    smtp_down, settings, user, django_capture_on_commit_callbacks
):
    settings.EMAIL_MAX_ATTEMPTS = 3
    email = queue_password_changed(user, django_capture_on_commit_callbacks)

    send_outgoing_email(email_id=email.pk)
    email.refresh_from_db()
    assert (email.status, email.attempts) == (OutgoingEmail.Status.PENDING, 2)

    send_outgoing_email(email_id=email.pk)
    email.refresh_from_db()
    assert (email.status, email.attempts) == (OutgoingEmail.Status.FAILED, 3)

    send_outgoing_email(email_id=email.pk)
    email.refresh_from_db()
    assert email.attempts == 3, "a failed e-mail is not tried again"


def test_pending_email_is_delivered_by_retry_emails_once_smtp_is_back(
    settings, user, django_capture_on_commit_callbacks, request
):
    request.getfixturevalue("smtp_down")
    email = queue_password_changed(user, django_capture_on_commit_callbacks)
    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.PENDING

    smtp_server = request.getfixturevalue("smtp_server")
    out = io.StringIO()
    call_command("retry_emails", stdout=out)

    assert out.getvalue().startswith("1 ")

    assert [message["To"] for message in smtp_server.messages] == ["durand.simon@example.org"]
    email.refresh_from_db()
    assert (email.status, email.attempts) == (OutgoingEmail.Status.SENT, 2)


def test_sending_an_already_sent_email_again_sends_nothing(
    smtp_server, user, django_capture_on_commit_callbacks
):
    email = queue_password_changed(user, django_capture_on_commit_callbacks)
    assert len(smtp_server.messages) == 1

    again = send_outgoing_email(email_id=email.pk)

    assert len(smtp_server.messages) == 1
    assert again.status == OutgoingEmail.Status.SENT
    assert again.attempts == 1


# --- The development outbox pages ----------------------------------------------------------


@pytest.fixture
def development(settings):
    settings.DEBUG = True
    settings.OUTBOX_PAGE_ENABLED = True


def test_outbox_lists_the_emails_without_logging_in(
    development, client, user, django_capture_on_commit_callbacks
):
    email = queue_password_changed(user, django_capture_on_commit_callbacks)

    response = client.get(reverse("notifications:outbox-list"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Boîte d'envoi de développement" in html
    assert "durand.simon@example.org" in html
    assert escape(email.subject) in html
    assert reverse("notifications:outbox-detail", args=[email.pk]) in html
    assert "INVALID_TEMPLATE_VARIABLE" not in html


def test_outbox_detail_shows_the_link_clickable_and_the_html_sandboxed(
    development, client, user, django_capture_on_commit_callbacks
):
    email = queue_password_changed(user, django_capture_on_commit_callbacks)

    response = client.get(reverse("notifications:outbox-detail", args=[email.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert escape(email.subject) in html
    assert "durand.simon@example.org" in html
    assert f'<a href="{LOGIN_URL}"' in html
    # The HTML body is only ever shown escaped, inside a frame that may run nothing.
    assert 'sandbox=""' in html
    assert 'srcdoc="&lt;!DOCTYPE html&gt;' in html
    assert "INVALID_TEMPLATE_VARIABLE" not in html


def test_outbox_says_when_no_email_was_sent(development, client):
    response = client.get(reverse("notifications:outbox-list"))

    assert response.status_code == 200
    assert "Aucun e-mail n'a encore été envoyé." in response.content.decode()


def test_outbox_detail_of_an_unknown_email_is_not_found(development, client):
    assert client.get(reverse("notifications:outbox-detail", args=[999])).status_code == 404


@pytest.mark.parametrize(("debug", "enabled"), [(False, True), (True, False), (False, False)])
def test_outbox_pages_are_not_found_outside_development(
    settings, client, user, django_capture_on_commit_callbacks, debug, enabled
):
    settings.DEBUG = debug
    settings.OUTBOX_PAGE_ENABLED = enabled
    email = queue_password_changed(user, django_capture_on_commit_callbacks)

    assert client.get(reverse("notifications:outbox-list")).status_code == 404
    detail = reverse("notifications:outbox-detail", args=[email.pk])
    assert client.get(detail).status_code == 404
