"""The outbox sends its e-mails by batches over one SMTP connection (a monthly run is
10,000 e-mails), and each e-mail of a batch keeps its own outcome."""

from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth import get_user_model

from portail.notifications.models import OutgoingEmail
from portail.notifications.services import (
    SEND_BATCH_SIZE,
    EmailToQueue,
    queue_emails,
    send_outgoing_emails,
)

from .conftest import free_port, use_smtp

LOGIN_URL = "http://testserver/connexion/"


@dataclass
class ConnectionsHandler:
    """Keeps, for each message accepted, its recipient and the client's address and port:
    one port per SMTP connection. Refuses the recipients in ``refused``."""

    received: list[tuple[str, tuple]] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return "550 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        for address in envelope.rcpt_tos:
            self.received.append((address, session.peer))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_connections(settings):
    handler = ConnectionsHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    use_smtp(settings, controller.port)
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def user():
    return get_user_model().objects.create_user(
        username="durand.simon", email="durand.simon@example.org", password="Unused-Password-1"
    )


def password_changed_to(addresses, user):
    return [
        EmailToQueue("password_changed", address, {"user": user, "login_url": LOGIN_URL})
        for address in addresses
    ]


def test_a_batch_of_emails_is_sent_over_one_smtp_connection(
    smtp_connections, user, django_capture_on_commit_callbacks
):
    addresses = [f"parent.{number}@example.org" for number in range(5)]
    with django_capture_on_commit_callbacks(execute=True):
        emails = queue_emails(password_changed_to(addresses, user))

    assert [address for address, _peer in smtp_connections.received] == addresses
    assert len({peer for _address, peer in smtp_connections.received}) == 1
    assert set(
        OutgoingEmail.objects.filter(pk__in=[email.pk for email in emails]).values_list(
            "status", "attempts"
        )
    ) == {(OutgoingEmail.Status.SENT, 1)}


def test_more_emails_than_a_batch_are_all_sent_one_connection_per_batch(
    smtp_connections, user, django_capture_on_commit_callbacks
):
    addresses = [f"parent.{number}@example.org" for number in range(SEND_BATCH_SIZE + 3)]
    with django_capture_on_commit_callbacks(execute=True):
        queue_emails(password_changed_to(addresses, user))

    assert sorted(address for address, _peer in smtp_connections.received) == sorted(addresses)
    assert len({peer for _address, peer in smtp_connections.received}) == 2
    assert OutgoingEmail.objects.filter(status=OutgoingEmail.Status.SENT).count() == len(addresses)


def test_a_refused_email_stays_pending_and_the_rest_of_the_batch_is_sent(
    smtp_connections, user, django_capture_on_commit_callbacks
):
    smtp_connections.refused = {"parent.1@example.org"}
    addresses = [f"parent.{number}@example.org" for number in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        queue_emails(password_changed_to(addresses, user))

    assert [address for address, _peer in smtp_connections.received] == [
        "parent.0@example.org",
        "parent.2@example.org",
    ]
    refused = OutgoingEmail.objects.get(to="parent.1@example.org")
    assert (refused.status, refused.attempts) == (OutgoingEmail.Status.PENDING, 1)
    assert "SMTPRecipientsRefused" in refused.last_error
    assert set(
        OutgoingEmail.objects.exclude(pk=refused.pk).values_list("status", "last_error")
    ) == {(OutgoingEmail.Status.SENT, "")}


def test_sending_a_batch_again_sends_nothing_more(
    smtp_connections, user, django_capture_on_commit_callbacks
):
    addresses = [f"parent.{number}@example.org" for number in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        emails = queue_emails(password_changed_to(addresses, user))

    sent = send_outgoing_emails(email_ids=[email.pk for email in emails])

    assert sent == 0
    assert len(smtp_connections.received) == 3
    assert set(OutgoingEmail.objects.values_list("attempts", flat=True)) == {1}
