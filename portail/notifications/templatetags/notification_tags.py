"""The unread count in the header of every family page.

It is kept in the session for a minute: the header then costs no query on most pages (the
session is read on every request anyway), and a new notification shows within a
minute. Reading notifications forgets the count at once."""

import time

from django import template

from ..models import Notification

register = template.Library()

SESSION_KEY = "notifications_unread"
FRESH_SECONDS = 60


def forget_unread_count(request) -> None:
    request.session.pop(SESSION_KEY, None)


def remember_unread_count(request, count: int) -> None:
    """Keep a count just read from the database (the notification centre's own) for the
    header of this page and the next ones."""
    request.session[SESSION_KEY] = {"user": request.user.pk, "count": count, "at": time.time()}


@register.simple_tag(takes_context=True)
def unread_notification_count(context) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.is_staff:
        return 0
    cached = request.session.get(SESSION_KEY)
    now = time.time()
    if cached and cached.get("user") == user.pk and now - cached.get("at", 0) < FRESH_SECONDS:
        return cached["count"]
    count = Notification.objects.for_user(user).unread().count()
    remember_unread_count(request, count)
    return count
