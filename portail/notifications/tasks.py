from django_tasks import task

from .services import send_outgoing_email, send_outgoing_emails


@task()
def send_email(email_id: int) -> None:
    send_outgoing_email(email_id=email_id)


@task()
def send_emails(email_ids: list[int]) -> None:
    """A batch of the outbox's e-mails over one SMTP connection (queue_emails queues these)."""
    send_outgoing_emails(email_ids=email_ids)


@task()
def send_daily_digests() -> None:
    """The daily summary (see ``send_notification_digests``), for a scheduler that runs tasks."""
    from .services import send_notification_digests

    send_notification_digests()
