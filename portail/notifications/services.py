"""The outbox: ``queue_email`` stores a rendered e-mail and queues its sending on commit."""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from portail.organisation.models import Organisation

from .models import OutgoingEmail

logger = logging.getLogger(__name__)


def queue_email(*, kind: str, to: str, context: dict, language: str = "fr") -> OutgoingEmail:
    """Render ``notifications/<kind>/{subject.txt,body.txt,body.html}`` in the recipient's
    language, store it in the outbox, and send it once the transaction commits."""
    from .tasks import send_email

    organisation = Organisation.current()
    context = {"organisation": organisation, "site_url": settings.SITE_URL, **context}
    with translation.override(language):
        subject = render_to_string(f"notifications/{kind}/subject.txt", context)
        body_text = render_to_string(f"notifications/{kind}/body.txt", context)
        body_html = render_to_string(f"notifications/{kind}/body.html", context)
    email = OutgoingEmail.objects.create(
        kind=kind,
        to=to,
        from_email=organisation.noreply_email or settings.DEFAULT_FROM_EMAIL,
        # One line only: a subject never carries a header injection.
        subject=" ".join(subject.split()),
        body_text=body_text,
        body_html=body_html,
    )
    transaction.on_commit(lambda: send_email.enqueue(email.pk))
    return email


def send_outgoing_email(*, email_id: int) -> OutgoingEmail:
    """Send one stored e-mail. Sending twice is harmless: a sent e-mail is not sent again."""
    with transaction.atomic():
        email = OutgoingEmail.objects.select_for_update().get(pk=email_id)
        if email.status != OutgoingEmail.Status.PENDING:
            return email
        message = EmailMultiAlternatives(
            subject=email.subject, body=email.body_text, from_email=email.from_email, to=[email.to]
        )
        if email.body_html:
            message.attach_alternative(email.body_html, "text/html")
        email.attempts += 1
        try:
            message.send()
        except Exception as exc:  # any transport error: keep the message and retry later
            email.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if email.attempts >= settings.EMAIL_MAX_ATTEMPTS:
                email.status = OutgoingEmail.Status.FAILED
            logger.warning("E-mail %s not sent (attempt %s): %s", email.pk, email.attempts, exc)
        else:
            email.status = OutgoingEmail.Status.SENT
            email.sent_at = timezone.now()
            email.last_error = ""
        email.save(update_fields=["status", "attempts", "last_error", "sent_at"])
        return email


def retry_pending_emails() -> int:
    """Queue every e-mail still pending (after an SMTP outage). Returns how many were queued."""
    from .tasks import send_email

    ids = list(OutgoingEmail.objects.pending().values_list("pk", flat=True))
    for email_id in ids:
        send_email.enqueue(email_id)
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
