"""The outbox: ``queue_email`` stores a rendered e-mail and queues its sending on commit."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from portail.lib.encryption import encrypt_bytes
from portail.organisation.models import Organisation

from .models import (
    ALWAYS_EMAILED,
    Delivery,
    Notification,
    NotificationCategory,
    NotificationPreference,
    OutgoingEmail,
    OutgoingEmailAttachment,
)

logger = logging.getLogger(__name__)

# E-mails sent by one task over one SMTP connection, in one transaction.
SEND_BATCH_SIZE = 50


@dataclass(frozen=True)
class EmailToQueue:
    """One e-mail for ``queue_emails``: what ``queue_email`` takes, as a value."""

    kind: str
    to: str
    context: dict
    language: str = "fr"
    attachments: Sequence[tuple[str, bytes, str]] = ()


def queue_email(
    *,
    kind: str,
    to: str,
    context: dict,
    language: str = "fr",
    attachments: Sequence[tuple[str, bytes, str]] = (),
) -> OutgoingEmail:
    """Render ``notifications/<kind>/{subject.txt,body.txt,body.html}`` in the recipient's
    language, store it in the outbox with its ``attachments`` (``(filename, content,
    mimetype)``), and send it once the transaction commits."""
    return queue_emails(
        [EmailToQueue(kind, to, context, language=language, attachments=tuple(attachments))]
    )[0]


@transaction.atomic
def queue_emails(emails: Sequence[EmailToQueue]) -> list[OutgoingEmail]:
    """``queue_email`` for many e-mails at once, in a constant number of queries (the
    organisation, the e-mails, their attachments): notifying every family of a news item
    stays cheap."""
    if not emails:
        return []
    organisation = Organisation.current()
    from_email = organisation.noreply_email or settings.DEFAULT_FROM_EMAIL
    base = {"organisation": organisation, "site_url": settings.SITE_URL}
    rows = []
    for email in emails:
        context = {**base, **email.context}
        with translation.override(email.language):
            subject = render_to_string(f"notifications/{email.kind}/subject.txt", context)
            body_text = render_to_string(f"notifications/{email.kind}/body.txt", context)
            body_html = render_to_string(f"notifications/{email.kind}/body.html", context)
        rows.append(
            OutgoingEmail(
                kind=email.kind,
                to=email.to,
                from_email=from_email,
                # One line only: a subject never carries a header injection.
                subject=" ".join(subject.split()),
                body_text=body_text,
                body_html=body_html,
            )
        )
    created = OutgoingEmail.objects.bulk_create(rows)
    attachments = [
        OutgoingEmailAttachment(
            email=row,
            filename=_safe_filename(filename),
            content=encrypt_bytes(bytes(content)),
            mimetype=mimetype,
            size=len(content),
        )
        for row, email in zip(created, emails, strict=True)
        for filename, content, mimetype in email.attachments
    ]
    if attachments:
        OutgoingEmailAttachment.objects.bulk_create(attachments)
    transaction.on_commit(lambda: _enqueue_sending([row.pk for row in created]))
    return created


def _enqueue_sending(email_ids: list[int]) -> None:
    """One sending task per SEND_BATCH_SIZE e-mails (one SMTP connection each)."""
    from .tasks import send_emails

    for start in range(0, len(email_ids), SEND_BATCH_SIZE):
        send_emails.enqueue(email_ids[start : start + SEND_BATCH_SIZE])


def _safe_filename(filename: str) -> str:
    """A file name for a MIME header: no path, no line break, never empty."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable()).strip()
    return name[:255] or "piece-jointe"


def send_outgoing_email(*, email_id: int) -> OutgoingEmail:
    """Send one stored e-mail. Sending twice is harmless: a sent e-mail is not sent again."""
    with transaction.atomic():
        email = (
            OutgoingEmail.objects.select_for_update()
            .prefetch_related("attachments")
            .get(pk=email_id)
        )
        _send_locked(email, get_connection(), keep_open=False)
        return email


def send_outgoing_emails(*, email_ids: Sequence[int]) -> int:
    """``send_outgoing_email`` for a batch, over one SMTP connection and in one transaction:
    a monthly run of 10,000 e-mails does not pay for 10,000 SMTP handshakes and 10,000
    durable commits. Each e-mail keeps its own outcome (sent, or pending or failed with its
    error) exactly as when sent alone. A crash before the commit leaves the batch pending, to
    be sent again, as a crash between sending and committing one e-mail already could.
    Returns how many were sent."""
    connection = get_connection()
    sent = 0
    try:
        with transaction.atomic():
            emails = (
                OutgoingEmail.objects.select_for_update()
                .prefetch_related("attachments")
                .filter(pk__in=list(email_ids))
                .order_by("pk")
            )
            for email in emails:
                sent += _send_locked(email, connection, keep_open=True)
    finally:
        connection.close()
    return sent


def _send_locked(email: OutgoingEmail, connection, *, keep_open: bool) -> bool:
    """Send ``email`` (its row locked by the caller) unless it is no longer pending, and
    record the outcome. A transport error is kept on the e-mail, to retry later.
    ``keep_open``: the connection stays open for the next e-mail (the caller closes it).
    Returns whether it was sent now."""
    if email.status != OutgoingEmail.Status.PENDING:
        return False
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        from_email=email.from_email,
        to=[email.to],
        connection=connection,
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    for attachment in email.attachments.all():
        message.attach(attachment.filename, attachment.data(), attachment.mimetype)
    email.attempts += 1
    try:
        if keep_open:
            connection.open()  # a no-op when already open
        message.send()
    except Exception as exc:  # any transport error: keep the message and retry later
        # The connection may be half-open after an error: the next e-mail opens a new one.
        connection.close()
        email.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if email.attempts >= settings.EMAIL_MAX_ATTEMPTS:
            email.status = OutgoingEmail.Status.FAILED
        logger.warning("E-mail %s not sent (attempt %s): %s", email.pk, email.attempts, exc)
    else:
        email.status = OutgoingEmail.Status.SENT
        email.sent_at = timezone.now()
        email.last_error = ""
    email.save(update_fields=["status", "attempts", "last_error", "sent_at"])
    return email.status == OutgoingEmail.Status.SENT


def retry_pending_emails() -> int:
    """Queue every e-mail still pending (after an SMTP outage). Returns how many were queued."""
    ids = list(OutgoingEmail.objects.pending().values_list("pk", flat=True))
    _enqueue_sending(ids)
    return len(ids)


def resend_email(*, email: OutgoingEmail) -> OutgoingEmail:
    """Give a failed e-mail a new round of attempts (after fixing an address or the SMTP
    settings). Only failed e-mails: a pending one is already queued, a sent one was sent."""
    from .tasks import send_email

    with transaction.atomic():
        email = OutgoingEmail.objects.select_for_update().get(pk=email.pk)
        if email.status != OutgoingEmail.Status.FAILED:
            return email
        email.status = OutgoingEmail.Status.PENDING
        email.attempts = 0
        email.save(update_fields=["status", "attempts"])
        transaction.on_commit(lambda: send_email.enqueue(email.pk))
    return email


# --- In-app notifications ---------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """Someone to notify about one household: the guardian's account and e-mail address."""

    user: object
    household_id: int
    email: str


def is_same_site_path(url: str) -> bool:
    """A path on this site ("/mes-factures/…"), never a scheme, a host or "//host"."""
    return (
        isinstance(url, str)
        and url.startswith("/")
        and not url.startswith("//")
        and "\\" not in url
        and not any(c.isspace() or not c.isprintable() for c in url)
    )


def _guardian_email(guardian) -> str:
    return (guardian.email or (guardian.user.email if guardian.user else "")).strip()


def household_recipients(households) -> list[Recipient]:
    """The guardians with an account in ``households`` (a queryset or a list), each account
    once (with the first of its households): one query whatever the number of households."""
    from portail.households.models import Guardian

    if isinstance(households, models.QuerySet):
        guardians = Guardian.objects.filter(household__in=households.values("pk"))
    else:
        ids = [getattr(household, "pk", household) for household in households]
        guardians = Guardian.objects.filter(household_id__in=ids)
    guardians = guardians.filter(user__isnull=False, user__is_active=True).select_related("user")
    recipients, seen = [], set()
    for guardian in guardians.order_by("household_id", "pk"):
        if guardian.user_id not in seen:
            seen.add(guardian.user_id)
            recipients.append(
                Recipient(guardian.user, guardian.household_id, _guardian_email(guardian))
            )
    return recipients


def notify_households(*, households, category: str, label: str, url: str) -> list[Notification]:
    """One notification per guardian account of ``households``, e-mailed by each one's
    preference for ``category`` (straight away, in the daily summary, or not at all; invoices
    and payment problems always straight away), in their language. Constant queries: the
    guardians, the preferences, the notifications, the e-mails."""
    recipients = household_recipients(households)
    return notify_recipients(
        category=category, entries=[(recipient, label, url) for recipient in recipients]
    )


@transaction.atomic
def notify_recipients(
    *, category: str, entries: Sequence[tuple[Recipient, str, str]], send_emails: bool = True
) -> list[Notification]:
    """The bulk core of ``notify_households``: one notification per ``(recipient, label,
    url)``. ``send_emails=False`` when the caller sends its own e-mail (the invoice e-mail)."""
    category = NotificationCategory(category)
    for _recipient, _label, url in entries:
        if not is_same_site_path(url):
            raise ValueError(f"A notification links only to a page of the portal, not {url!r}.")
    if not entries:
        return []
    if send_emails:
        deliveries = preferred_deliveries(
            users=[recipient.user for recipient, _label, _url in entries], category=category
        )
    else:
        # The caller has e-mailed them already: the daily summary must not say it again.
        deliveries = {recipient.user.pk: Delivery.IMMEDIATELY for recipient, *_rest in entries}
    now = timezone.now()
    notifications = [
        Notification(
            recipient=recipient.user,
            household_id=recipient.household_id,
            category=category,
            label=label[:255],
            url=url,
            delivery=deliveries[recipient.user.pk] if recipient.email else Delivery.NEVER,
            created_at=now,
        )
        for recipient, label, url in entries
    ]
    Notification.objects.bulk_create(notifications, batch_size=1000)
    if send_emails:
        queue_emails(
            [
                EmailToQueue(
                    "notification",
                    recipient.email,
                    {"notification": notification, **_links(notification.url)},
                    language=recipient.user.language,
                )
                for (recipient, _label, _url), notification in zip(
                    entries, notifications, strict=True
                )
                if notification.delivery == Delivery.IMMEDIATELY
            ]
        )
    return notifications


def _links(url: str) -> dict:
    return {
        "notification_url": settings.SITE_URL + url,
        "preferences_url": settings.SITE_URL + reverse("portal:notification-preferences"),
    }


def preferred_deliveries(*, users, category: str) -> dict[int, str]:
    """How each user wants ``category`` e-mailed (user pk → Delivery), in one query."""
    if category in ALWAYS_EMAILED:
        return {user.pk: Delivery.IMMEDIATELY for user in users}
    chosen = dict(
        NotificationPreference.objects.filter(
            user__in=[user.pk for user in users], category=category
        ).values_list("user_id", "delivery")
    )
    return {user.pk: chosen.get(user.pk, Delivery.IMMEDIATELY) for user in users}


def preferences_of(user) -> dict[str, str]:
    """Every category with the user's choice (no row: straight away)."""
    chosen = dict(user.notification_preferences.values_list("category", "delivery"))
    return {
        category: Delivery.IMMEDIATELY
        if category in ALWAYS_EMAILED
        else chosen.get(category, Delivery.IMMEDIATELY)
        for category in NotificationCategory.values
    }


@transaction.atomic
def set_preferences(*, user, deliveries: dict[str, str]) -> None:
    """Record the user's choices. Invoices and payment problems cannot be switched off: a
    choice for them is ignored."""
    rows = [
        NotificationPreference(user=user, category=category, delivery=Delivery(delivery))
        for category, delivery in deliveries.items()
        if NotificationCategory(category) not in ALWAYS_EMAILED
    ]
    NotificationPreference.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["user", "category"],
        update_fields=["delivery"],
    )


def mark_read(*, notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def mark_all_read(*, user) -> int:
    """Mark every unread notification of the user read. Returns how many were."""
    return Notification.objects.for_user(user).unread().update(read_at=timezone.now())


# --- The daily summary ------------------------------------------------------------------------


def _addresses(user_ids) -> dict[int, str]:
    """The e-mail address to write to for each user: their guardian row's, else the account's."""
    from portail.households.models import Guardian

    addresses: dict[int, str] = {}
    guardians = Guardian.objects.filter(user_id__in=user_ids).select_related("user")
    for guardian in guardians.order_by("household_id", "pk"):
        email = _guardian_email(guardian)
        if email and guardian.user_id not in addresses:
            addresses[guardian.user_id] = email
    return addresses


@transaction.atomic
def send_notification_digests() -> int:
    """One e-mail per person with the notifications they chose to receive in a daily
    summary and have not read yet, since the last summary. Each notification is summarised
    once: running it twice (or two workers at once: the rows are locked) sends nothing more.
    Returns how many e-mails were queued."""
    pending = list(
        Notification.objects.awaiting_digest()
        .select_for_update(of=("self",))
        .select_related("recipient")
        .order_by("recipient_id", "created_at", "pk")
    )
    if not pending:
        return 0
    by_user: dict[int, list[Notification]] = {}
    for notification in pending:
        by_user.setdefault(notification.recipient_id, []).append(notification)
    addresses = _addresses(list(by_user))
    emails = []
    for user_id, notifications in by_user.items():
        unread = [notification for notification in notifications if not notification.is_read]
        if not unread or not addresses.get(user_id):
            continue
        emails.append(
            EmailToQueue(
                "notification_digest",
                addresses[user_id],
                {
                    "notifications": [
                        (notification, settings.SITE_URL + notification.url)
                        for notification in unread
                    ],
                    "centre_url": settings.SITE_URL + reverse("portal:notifications"),
                    "preferences_url": _links("/")["preferences_url"],
                },
                language=unread[0].recipient.language,
            )
        )
    queue_emails(emails)
    Notification.objects.filter(pk__in=[n.pk for n in pending]).update(digested_at=timezone.now())
    return len(emails)
