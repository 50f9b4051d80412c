"""AUTH-11(c) / AUTH-12 figures (SECURITY.md part 4, « Sessions »): the idle and absolute ends
of a session as measured (not read from the settings), and the other sessions still open after
a password change or a reset (0). tests/accounts/test_sessions.py covers the details (the
warning, « Rester connecté », the messages)."""

import datetime as dt
import re

import time_machine
from django.test import Client
from django.urls import reverse

from portail.accounts.models import AccountLink
from portail.notifications.models import OutgoingEmail
from tests.factories import DEFAULT_PASSWORD

from .figures import record

START = dt.datetime(2025, 3, 3, 8, 0, tzinfo=dt.UTC)
DASHBOARD = reverse("portal:dashboard")
NEW = "Riviere-Bleue-77"
LINK = re.compile(r"https?://[^\s/]+(/compte/lien/[^\s/]+/)")


def logged_in_client(user, ip="192.0.2.10") -> Client:
    client = Client()
    response = client.post(
        reverse("portal:login"),
        {"username": user.username, "password": DEFAULT_PASSWORD},
        REMOTE_ADDR=ip,
    )
    assert response.status_code == 302, response.status_code
    return client


def reaches_dashboard(client) -> bool:
    response = client.get(DASHBOARD)
    if response.status_code == 200:
        return True
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))
    return False


def test_changing_the_password_ends_every_other_session(family_a):
    devices = [logged_in_client(family_a.user, ip=f"192.0.2.{n}") for n in range(1, 4)]
    assert all(reaches_dashboard(device) for device in devices)

    response = devices[0].post(
        reverse("portal:credentials"),
        {"current_password": DEFAULT_PASSWORD, "new_password1": NEW, "new_password2": NEW},
    )
    assert response.status_code == 302

    alive = sum(reaches_dashboard(device) for device in devices[1:])
    print(f"sessions: {alive} of 2 other sessions alive after a password change")
    record("sessions", other_sessions_alive_after_password_change=alive)
    assert alive == 0
    assert reaches_dashboard(devices[0])


def test_a_password_reset_ends_every_open_session(family_a):
    devices = [logged_in_client(family_a.user, ip=f"192.0.2.{n}") for n in range(1, 4)]

    browser = Client()
    browser.post(reverse("portal:password-reset"), {"login": family_a.user.email})
    email = OutgoingEmail.objects.get(to=family_a.user.email, kind="password_reset")
    browser.get(LINK.search(email.body_text)[1])
    response = browser.post(
        reverse("portal:set-password"), {"new_password1": NEW, "new_password2": NEW}
    )
    assert response.status_code == 302
    assert AccountLink.objects.get(user=family_a.user).used_at is not None

    alive = sum(reaches_dashboard(device) for device in devices)
    print(f"sessions: {alive} of 3 sessions alive after a password reset")
    record("sessions", other_sessions_alive_after_reset=alive)
    assert alive == 0


def alive_after(user, seconds, clock) -> bool:
    """A fresh login, then no request for ``seconds``: is the session still open?"""
    clock.move_to(START)
    client = logged_in_client(user)
    clock.move_to(START + dt.timedelta(seconds=seconds))
    return reaches_dashboard(client)


def test_sessions_end_after_thirty_minutes_idle_and_twelve_hours_in_all(family_a):
    with time_machine.travel(START, tick=False) as clock:
        # The idle end, to the second: the longest silence a session survives.
        alive, ended = 0, 2 * 3600
        assert alive_after(family_a.user, alive, clock)
        assert not alive_after(family_a.user, ended, clock)
        while ended - alive > 1:
            middle = (alive + ended) // 2
            if alive_after(family_a.user, middle, clock):
                alive = middle
            else:
                ended = middle
        idle_seconds = alive

        # The absolute end, to the minute: a family active every 10 minutes, then every
        # minute from the eleventh hour, until the portal asks for the password again.
        clock.move_to(START)
        client = logged_in_client(family_a.user)
        minute = 0
        while minute < 24 * 60:
            minute += 10 if minute < 11 * 60 else 1
            clock.move_to(START + dt.timedelta(minutes=minute))
            if not reaches_dashboard(client):
                break
        last_active_minute = minute - 1

    idle_minutes = round(idle_seconds / 60)
    absolute_hours = round(last_active_minute / 60, 2)
    print(
        f"sessions: idle end after {idle_seconds} s of silence (still open), "
        f"absolute end after {last_active_minute} min of activity (still open)"
    )
    record("sessions", idle_minutes=idle_minutes, absolute_hours=absolute_hours)
    # Renewed at most once a minute (portail/lib/sessions.py): between 29 and 30 minutes.
    assert 29 * 60 <= idle_seconds < 30 * 60
    assert last_active_minute == 12 * 60
