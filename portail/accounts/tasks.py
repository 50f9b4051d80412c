from django.contrib.auth import get_user_model
from django_tasks import task

from .services import send_password_reset_link


@task()
def send_password_reset(user_id: int | None) -> None:
    """The « forgotten password » page's work, out of the request (``ask_for_password_reset``).
    Nothing to do for an identifier that named no account."""
    if user_id is None:
        return
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is not None:
        send_password_reset_link(user=user)
