from django_tasks import task

from .services import send_outgoing_email


@task()
def send_email(email_id: int) -> None:
    send_outgoing_email(email_id=email_id)
