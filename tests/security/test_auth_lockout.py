"""AUTH-06 / AUTH-07 figures (SECURITY.md part 4, « Lockout »): failures before the lock from
1 address and from 50, wrong passwords possible on one account in 24 hours (CNIL 2022-100
cas n° 2: at most 25), and legitimate users wrongly locked (0). tests/accounts/test_lockout.py
covers the lock's details (spellings, proxies, unknown identifiers, the 15-minute end)."""

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portail.accounts.models import User
from tests.accounts.conftest import emails_to, is_logged_in, link_path, text_of
from tests.factories import DEFAULT_PASSWORD, UserFactory

from .figures import record

WRONG = "Pas-Le-Bon-1"
LOGIN_URL = reverse("portal:login")
LOCKED = re.compile(
    r"Trop de tentatives échouées : la connexion est bloquée pendant (\d+) minutes\."
)
UNLOCK_HINT = (
    "Pour débloquer votre compte tout de suite, utilisez « J'ai oublié mon mot de passe »."
)


def log_in(login, password=DEFAULT_PASSWORD, ip="192.0.2.10", client=None):
    client = client or Client()
    return client.post(LOGIN_URL, {"username": login, "password": password}, REMOTE_ADDR=ip)


def lock_minutes(response) -> int:
    """The lock's length as the lockout page states it (429)."""
    assert response.status_code == 429, response.status_code
    text = text_of(response)
    assert UNLOCK_HINT in text
    match = LOCKED.search(text)
    assert match, text
    return int(match[1])


def failures_until_locked(login, addresses, limit=50) -> int:
    """Wrong passwords, one per address in turn, until the lockout page answers. Returns how
    many wrong passwords were tried, the one answered by the lockout page included."""
    for attempt in range(1, limit + 1):
        response = log_in(login, WRONG, ip=addresses[(attempt - 1) % len(addresses)])
        if response.status_code == 429:
            return attempt
        assert response.status_code == 200
    raise AssertionError(f"still not locked after {limit} failures")


def test_lockout_after_ten_failures_from_one_or_fifty_addresses_and_no_one_else_locked(
    family_a, family_b, settings
):
    legitimate = [
        UserFactory(username=f"famille.{n}", email=f"famille.{n}@example.fr") for n in range(20)
    ]

    one_ip = failures_until_locked(family_a.user.username, ["198.51.100.1"])
    fifty_ips = failures_until_locked(
        family_b.user.username, [f"203.0.113.{n}" for n in range(1, 51)]
    )

    # The right password is refused too, from anywhere, with the same page.
    assert lock_minutes(log_in(family_a.user.username, ip="192.0.2.200")) == 15
    assert lock_minutes(log_in(family_b.user.email, ip="192.0.2.201")) == 15
    # Everyone else logs in: from their own addresses, and from addresses the attacker used
    # against another account only partly (the 50 addresses each failed once).
    addresses = ["192.0.2.50", "203.0.113.7", "203.0.113.42"]
    wrongly_locked = [
        user.username
        for n, user in enumerate(legitimate)
        if log_in(user.username, ip=addresses[n % len(addresses)]).status_code != 302
    ]

    print(f"lockout: {one_ip} failures from 1 IP, {fifty_ips} from 50 IPs; wrongly locked 0")
    record(
        "lockout",
        failures_before_lock_one_ip=one_ip,
        failures_before_lock_50_ips=fifty_ips,
        wrongly_locked=len(wrongly_locked),
        legitimate_users_checked=len(legitimate),
    )
    assert one_ip <= settings.AXES_FAILURE_LIMIT == 10
    assert fifty_ips <= 10
    assert wrongly_locked == []


def test_family_locked_for_the_day_unlocks_itself_with_a_password_reset(family_a):
    login = family_a.user.username
    start = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        # 10 + 10 + 5 wrong passwords, waiting out the two 15-minute locks between.
        for wait, failures in ((0, 10), (16, 10), (32, 5)):
            traveller.move_to(start + dt.timedelta(minutes=wait))
            assert failures_until_locked(login, ["198.51.100.1"]) == failures
        traveller.move_to(start + dt.timedelta(hours=2))
        assert lock_minutes(log_in(login, ip="192.0.2.99")) > 20 * 60

        client = Client()
        client.post(reverse("portal:password-reset"), {"login": family_a.user.email})
        [email] = emails_to(family_a.user.email, kind="password_reset")
        client.get(link_path(email))
        client.post(
            reverse("portal:set-password"),
            {"new_password1": "Riviere-Bleue-77", "new_password2": "Riviere-Bleue-77"},
        )
        response = log_in(login, "Riviere-Bleue-77", ip="198.51.100.1", client=client)

        assert response.status_code == 302
        assert is_logged_in(client)


@pytest.fixture
def checked_passwords(monkeypatch):
    """When a password was compared with an account's, by account: what the portal really
    checked, observed from outside the lockout code."""
    checks: dict[str, list[dt.datetime]] = {}
    original = User.check_password

    def check_password(user, raw_password):
        checks.setdefault(user.username, []).append(timezone.now())
        return original(user, raw_password)

    monkeypatch.setattr(User, "check_password", check_password)
    return checks


def play_patient_attacker(login, until, traveller, start):
    """An attacker who knows the rules: a wrong password every second while the portal
    answers « incorrect », and after a lockout page waits as long as it says before trying
    again. Returns how many times the lockout page answered."""
    now, locks = start, 0
    while now < until:
        traveller.move_to(now)
        response = log_in(login, WRONG, ip="198.51.100.7")
        if response.status_code == 200:
            now += dt.timedelta(seconds=1)
        else:
            locks += 1
            now += dt.timedelta(minutes=lock_minutes(response), seconds=1)
    return locks


def most_in_a_day(times) -> int:
    """The largest number of ``times`` inside any 24-hour window."""
    times = sorted(times)
    best, first = 0, 0
    for last, moment in enumerate(times):
        while moment - times[first] >= dt.timedelta(hours=24):
            first += 1
        best = max(best, last - first + 1)
    return best


def test_at_most_twenty_five_wrong_passwords_a_day_on_one_account(
    family_a, checked_passwords, settings
):
    """Played over two and a half days, so that the windows straddling the end of a day's
    lock count too."""
    login = family_a.user.username
    start = dt.datetime(2025, 3, 3, 0, 0, tzinfo=dt.UTC)
    end = start + dt.timedelta(hours=60)
    with time_machine.travel(start, tick=False) as traveller:
        locks = play_patient_attacker(login, end, traveller, start)
        guesses = checked_passwords.get(login, [])
        per_day = most_in_a_day(guesses)
        first_day = sum(1 for moment in guesses if moment < start + dt.timedelta(hours=24))

        # Twelve hours into the third day's lock, the right password is refused too, and the
        # page says for how long.
        traveller.move_to(end)
        minutes = lock_minutes(log_in(login, ip="192.0.2.99"))

    print(f"lockout: {per_day} wrong passwords checked at most in 24 h ({len(guesses)} in 60 h,")
    print(f"  {locks} lockout pages); 12 h into a day's lock the page says {minutes} minutes")
    record("lockout", failures_per_24h=per_day, daily_limit=settings.LOGIN_FAILURES_PER_DAY)
    assert per_day <= 25
    assert first_day == settings.LOGIN_FAILURES_PER_DAY == 25
    # The lock is not permanent: each day brings a new budget.
    assert len(guesses) == 3 * 25
    assert 11 * 60 < minutes <= 12 * 60 + 15
