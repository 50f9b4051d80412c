"""Login throttling on top of django-axes: the daily budget of wrong passwords per account.

django-axes locks an account (and an address) after ``AXES_FAILURE_LIMIT`` consecutive
failures for ``AXES_COOLOFF_TIME``. Alone, that lets an attacker who waits out every lock try
10 passwords every 15 minutes, 960 a day. CNIL 2022-100 (cas n° 2) asks for at most 25 failed
attempts per 24 hours when the password is as short as the municipal rule allows, so an
account is also locked once ``LOGIN_FAILURES_PER_DAY`` wrong passwords were checked against
it in the last 24 hours. The lock lifts as the oldest of them turn 24 hours old, or at once
with a password reset (``unlock_account``).

Only the passwords actually checked count: a request refused because the account or the
address is already locked checks nothing and is not counted, so neither the attacker knocking
on the locked door nor the family retrying its right password eats the budget. They are
stored as axes ``AccessFailureLog`` rows written here (``AXES_ENABLE_ACCESS_FAILURE_LOG``
stays off, or each failure would be written twice); the retention command purges them."""

from datetime import timedelta

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessFailureLog
from django.conf import settings
from django.utils import timezone

DAY = timedelta(hours=24)
REFUSED_ATTRIBUTE = "login_refused_by_lockout"


def failures_in_last_day(username: str) -> int:
    """Wrong passwords checked against this account (axes' canonical username) in 24 hours."""
    return AccessFailureLog.objects.filter(
        username=username, attempt_time__gt=timezone.now() - DAY
    ).count()


def daily_lock_ends_at(username: str):
    """When the account's daily lock lifts by itself: when enough of the day's failures have
    turned 24 hours old. None when the daily budget is not spent."""
    limit = settings.LOGIN_FAILURES_PER_DAY
    times = list(
        AccessFailureLog.objects.filter(username=username, attempt_time__gt=timezone.now() - DAY)
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)[:limit]
    )
    if len(times) < limit:
        return None
    return times[-1] + DAY


class DailyBudgetHandler(AxesDatabaseHandler):
    """axes' database handler, plus the daily budget of wrong passwords per account."""

    def is_allowed(self, request, credentials=None) -> bool:
        allowed = super().is_allowed(request, credentials)
        if not allowed:
            # This attempt is refused before any password is checked: not a guess.
            setattr(request, REFUSED_ATTRIBUTE, True)
        return allowed

    def is_locked(self, request, credentials=None) -> bool:
        if super().is_locked(request, credentials):
            return True
        return self.is_daily_budget_spent(request, credentials)

    def is_daily_budget_spent(self, request, credentials=None) -> bool:
        username = get_client_username(request, credentials) if credentials else None
        if not username:
            return False
        return failures_in_last_day(username) >= settings.LOGIN_FAILURES_PER_DAY

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None:
            return
        if getattr(request, REFUSED_ATTRIBUTE, False):
            # Refused by the daily lock while under the consecutive limit: axes' handler did
            # not flag it, the lockout page must still answer.
            request.axes_locked_out = True
            request.axes_credentials = credentials
            return
        username = get_client_username(request, credentials)
        if not username:
            return
        AccessFailureLog.objects.create(
            username=username,
            ip_address=request.axes_ip_address,
            user_agent=request.axes_user_agent,
            http_accept=request.axes_http_accept,
            path_info=request.axes_path_info,
            locked_out=bool(request.axes_locked_out),
        )
        if not request.axes_locked_out and self.is_daily_budget_spent(request, credentials):
            # The guess that spends the budget answers with the lockout page, as the tenth
            # consecutive failure does.
            request.axes_locked_out = True
            request.axes_credentials = credentials
