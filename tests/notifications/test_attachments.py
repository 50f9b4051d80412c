"""Files sent with an outbox e-mail (an invoice PDF, a certificate): stored with the e-mail,
attached when it is sent over SMTP, listed and downloadable in the development outbox."""

import hashlib

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from portail.notifications.models import OutgoingEmail, OutgoingEmailAttachment
from portail.notifications.services import EmailToQueue, queue_email, queue_emails
from portail.organisation.models import Organisation

LOGIN_URL = "http://testserver/connexion/"
# Bytes that a text transfer encoding would damage: every byte value, twice.
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 2 + b"\n%%EOF\n"


@pytest.fixture
def user():
    return get_user_model().objects.create_user(
        username="durand.simon", email="durand.simon@example.org", password="Unused-Password-1"
    )


def queue_with_attachments(user, capture, attachments):
    with capture(execute=True):
        return queue_email(
            kind="password_changed",
            to=user.email,
            context={"user": user, "login_url": LOGIN_URL},
            attachments=attachments,
        )


def test_attachment_arrives_intact_over_smtp(smtp_server, user, django_capture_on_commit_callbacks):
    email = queue_with_attachments(
        user,
        django_capture_on_commit_callbacks,
        [
            ("attestation-2026.pdf", PDF, "application/pdf"),
            ("lisez-moi.txt", "Reçu".encode(), "text/plain"),
        ],
    )

    (message,) = smtp_server.messages
    received = {part.get_filename(): part for part in message.iter_attachments()}
    assert sorted(received) == ["attestation-2026.pdf", "lisez-moi.txt"]
    pdf = received["attestation-2026.pdf"]
    assert pdf.get_content_type() == "application/pdf"
    assert hashlib.sha256(pdf.get_content()).hexdigest() == hashlib.sha256(PDF).hexdigest()
    assert received["lisez-moi.txt"].get_content().strip() == "Reçu"
    # The message keeps its text and HTML versions beside the files.
    assert "durand.simon" in message.get_body(preferencelist=("plain",)).get_content()
    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.SENT


def test_attachments_are_stored_with_the_email_before_sending(
    user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        email = queue_email(
            kind="password_changed",
            to=user.email,
            context={"user": user, "login_url": LOGIN_URL},
            attachments=[("../../etc/facture\n.pdf", PDF, "application/pdf")],
        )

    (attachment,) = email.attachments.all()
    assert attachment.data() == PDF
    # Encrypted at rest: the outbox keeps it until the retention purge.
    assert PDF not in bytes(attachment.content)
    assert bytes(attachment.content).startswith(b"fernet:")
    assert attachment.size == len(PDF)
    assert attachment.filename == "facture.pdf", "no path, no line break in a MIME header"


def test_many_emails_are_queued_in_a_constant_number_of_queries(
    user, django_assert_num_queries, django_capture_on_commit_callbacks
):
    def emails(count):
        return [
            EmailToQueue(
                "password_changed",
                f"parent{index}@example.org",
                {"user": user, "login_url": LOGIN_URL},
                attachments=[("a.pdf", PDF, "application/pdf")],
            )
            for index in range(count)
        ]

    Organisation.current()  # made on first use: not what is measured
    with django_capture_on_commit_callbacks(execute=False):
        # organisation, savepoint, e-mails, attachments, release
        with django_assert_num_queries(5):
            queue_emails(emails(1))
        with django_assert_num_queries(5):
            queue_emails(emails(40))

    assert OutgoingEmail.objects.count() == 41
    assert OutgoingEmailAttachment.objects.count() == 41


@pytest.fixture
def development(settings):
    settings.DEBUG = True
    settings.OUTBOX_PAGE_ENABLED = True


def test_outbox_lists_and_downloads_the_attachments(
    development, client, user, django_capture_on_commit_callbacks
):
    email = queue_with_attachments(
        user, django_capture_on_commit_callbacks, [("attestation.pdf", PDF, "application/pdf")]
    )
    (attachment,) = email.attachments.all()
    url = reverse("notifications:outbox-attachment", args=[email.pk, attachment.pk])

    listing = client.get(reverse("notifications:outbox-list")).content.decode()
    detail = client.get(reverse("notifications:outbox-detail", args=[email.pk])).content.decode()
    download = client.get(url)

    assert "<td>1</td>" in listing
    assert f'href="{url}"' in detail
    assert "attestation.pdf" in detail
    assert "INVALID_TEMPLATE_VARIABLE" not in detail
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'attachment; filename="attestation.pdf"'
    assert download.content == PDF


def test_outbox_attachment_of_another_email_is_not_found(
    development, client, user, django_capture_on_commit_callbacks
):
    first = queue_with_attachments(
        user, django_capture_on_commit_callbacks, [("a.pdf", PDF, "application/pdf")]
    )
    second = queue_with_attachments(user, django_capture_on_commit_callbacks, [])
    attachment = first.attachments.get()

    url = reverse("notifications:outbox-attachment", args=[second.pk, attachment.pk])
    assert client.get(url).status_code == 404


def test_outbox_attachment_is_not_found_outside_development(
    settings, client, user, django_capture_on_commit_callbacks
):
    settings.DEBUG = False
    email = queue_with_attachments(
        user, django_capture_on_commit_callbacks, [("a.pdf", PDF, "application/pdf")]
    )
    url = reverse("notifications:outbox-attachment", args=[email.pk, email.attachments.get().pk])
    assert client.get(url).status_code == 404
