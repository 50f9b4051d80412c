"""AUTH-08 figures (SECURITY.md part 4, « Enumeration »): nobody learns whether an account
exists from the login or the password reset pages, neither from what they say nor from how
long they take. Timings are measured on the production hasher (Argon2), interleaving known
and unknown identifiers, and compared by their medians and a Mann-Whitney U test."""

import math
import statistics
import time

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

import config.settings as production_settings
from portail.notifications.models import OutgoingEmail
from tests.accounts.conftest import text_of

from .figures import record

SAMPLES = 60
ROUNDS = 3
MAX_MEDIAN_DELTA_MS = 5.0
MIN_P_VALUE = 0.01
WRONG = "Pas-Le-Bon-1"
LOGIN_URL = reverse("portal:login")
RESET_URL = reverse("portal:password-reset")


def mann_whitney_p_value(first, second) -> float:
    """Two-sided p-value of the Mann-Whitney U test, by the normal approximation with the
    correction for ties (fine from about 20 samples a side)."""
    n1, n2 = len(first), len(second)
    ordered = sorted([(value, 0) for value in first] + [(value, 1) for value in second])
    ranks, tie_term, index = [0.0] * len(ordered), 0.0, 0
    while index < len(ordered):
        end = index
        while end + 1 < len(ordered) and ordered[end + 1][0] == ordered[index][0]:
            end += 1
        for position in range(index, end + 1):
            ranks[position] = (index + end) / 2 + 1
        tied = end - index + 1
        tie_term += tied**3 - tied
        index = end + 1
    rank_sum = sum(rank for rank, (_value, side) in zip(ranks, ordered, strict=True) if side == 0)
    u = rank_sum - n1 * (n1 + 1) / 2
    n = n1 + n2
    variance = n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1)))
    if variance == 0:
        return 1.0
    z = (abs(u - n1 * n2 / 2) - 0.5) / math.sqrt(variance)
    return min(1.0, math.erfc(max(z, 0.0) / math.sqrt(2)))


def test_mann_whitney_tells_shifted_samples_from_mixed_ones():
    same = [float(n % 7) for n in range(60)]
    assert mann_whitney_p_value(same, list(reversed(same))) > 0.5
    assert mann_whitney_p_value(list(range(60)), [value + 30 for value in range(60)]) < 1e-6
    # scipy.stats.mannwhitneyu([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]): p = 0.0122 (asymptotic,
    # continuity-corrected, two-sided).
    assert mann_whitney_p_value([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]) == pytest.approx(
        0.0122, abs=1e-3
    )


def compare_timings(known, unknown, prepare=None):
    """Time ``known()`` and ``unknown()`` alternately (ABBA, so neither always goes first),
    SAMPLES each, after a warm-up; up to ROUNDS rounds while the machine is too noisy to
    conclude. Returns the last round's figures: median of the paired differences and
    Mann-Whitney p-value, on the CPU time and on the wall-clock time.

    The verdict is on the CPU time the request's thread spent (the test client runs the whole
    request in it, SQLite included): what a request does differently for a real account shows
    there, while the wall clock of a 2-core machine shared with other jobs swings by hundreds
    of milliseconds (seen: ±13 ms between medians of 300 ms, with the sign flipping)."""
    for _warm_up in range(3):
        for request in (known, unknown):
            if prepare:
                prepare()
            request()
    for _round in range(ROUNDS):
        wall = {known: [], unknown: []}
        cpu = {known: [], unknown: []}
        for sample in range(SAMPLES):
            order = (known, unknown) if sample % 2 == 0 else (unknown, known)
            for request in order:
                if prepare:
                    prepare()
                started, cpu_started = time.perf_counter(), time.thread_time()
                request()
                cpu[request].append((time.thread_time() - cpu_started) * 1000)
                wall[request].append((time.perf_counter() - started) * 1000)
        figures = {}
        for clock, timings in (("cpu", cpu), ("wall", wall)):
            # Each sample's two requests ran side by side: their difference cancels the
            # load of the rest of the machine, which drifts over the minute a round lasts.
            pairs = zip(timings[known], timings[unknown], strict=True)
            figures[f"{clock}_delta_ms"] = statistics.median(a - b for a, b in pairs)
            figures[f"{clock}_p_value"] = mann_whitney_p_value(timings[known], timings[unknown])
            print(
                f"  {clock}: medians {statistics.median(timings[known]):.1f} / "
                f"{statistics.median(timings[unknown]):.1f} ms, "
                f"Δ {figures[f'{clock}_delta_ms']:+.2f} ms, p = {figures[f'{clock}_p_value']:.3f}"
            )
        if (
            abs(figures["cpu_delta_ms"]) < MAX_MEDIAN_DELTA_MS
            and figures["cpu_p_value"] > MIN_P_VALUE
        ):
            break
    return figures


@pytest.fixture
def production_hasher(settings, family_a):
    """Argon2 with the production parameters, for the account too."""
    settings.PASSWORD_HASHERS = production_settings.PASSWORD_HASHERS
    family_a.user.set_password("Soleil-Matin-42")
    family_a.user.save(update_fields=["password"])
    assert family_a.user.password.startswith("argon2$argon2id$")
    return family_a.user


def forget_attempts():
    """Each try starts from a clean slate, or the lockout would answer after 10."""
    AccessAttempt.objects.all().delete()
    AccessFailureLog.objects.all().delete()
    cache.clear()


def test_login_takes_as_long_and_says_the_same_for_unknown_identifiers(production_hasher):
    user = production_hasher
    unknown_login = "arnaud.marin"
    assert len(unknown_login) == len(user.username)

    def known():
        return Client().post(LOGIN_URL, {"username": user.username, "password": WRONG})

    def unknown():
        return Client().post(LOGIN_URL, {"username": unknown_login, "password": WRONG})

    forget_attempts()
    logins = [user.username, unknown_login, user.email, "arnaud.marin@example.fr"]
    answers = [Client().post(LOGIN_URL, {"username": login, "password": WRONG}) for login in logins]
    assert [answer.status_code for answer in answers] == [200] * 4
    # The same page, but for the identifier typed back into the field.
    pages = {text_of(answer) for answer in answers}
    assert len(pages) == 1
    assert "Identifiant ou mot de passe incorrect." in pages.pop()
    assert len({tuple(sorted(answer.cookies)) for answer in answers}) == 1

    print("login, known versus unknown identifier:")
    figures = compare_timings(known, unknown, prepare=forget_attempts)

    record(
        "enumeration",
        login_median_delta_ms=round(figures["cpu_delta_ms"], 2),
        login_p_value=round(figures["cpu_p_value"], 4),
        login_wall_median_delta_ms=round(figures["wall_delta_ms"], 2),
        login_wall_p_value=round(figures["wall_p_value"], 4),
    )
    assert abs(figures["cpu_delta_ms"]) < MAX_MEDIAN_DELTA_MS
    assert figures["cpu_p_value"] > MIN_P_VALUE


def test_password_reset_takes_as_long_and_says_the_same_for_unknown_addresses(
    production_hasher, settings
):
    user = production_hasher
    # As in production: tasks go to the database queue for the worker (the tests' default
    # runs them inside the request).
    settings.TASKS = production_settings.TASKS
    # Every request for the account does the whole work (a link, an e-mail), not only the
    # first five of the hour.
    settings.PASSWORD_RESET_EMAILS_PER_HOUR = 10_000
    unknown_email = "arnaud.marin@example.fr"
    assert len(unknown_email) == len(user.email)

    def known():
        return Client().post(RESET_URL, {"login": user.email})

    def unknown():
        return Client().post(RESET_URL, {"login": unknown_email})

    answers = [known(), unknown()]
    assert [answer.status_code for answer in answers] == [200, 200]
    assert text_of(answers[0]) == text_of(answers[1])
    # Each request queued one task; the worker e-mails the link to the real account only.
    queued = list(DBTaskResult.objects.order_by("enqueued_at"))
    assert [task.task_path for task in queued] == ["portail.accounts.tasks.send_password_reset"] * 2
    for task in queued:
        task.task.call(*task.args_kwargs["args"], **task.args_kwargs["kwargs"])
    assert [email.to for email in OutgoingEmail.objects.filter(kind="password_reset")] == [
        user.email
    ]

    print("password reset, known versus unknown address:")
    figures = compare_timings(known, unknown, prepare=cache.clear)

    record(
        "enumeration",
        reset_median_delta_ms=round(figures["cpu_delta_ms"], 2),
        reset_p_value=round(figures["cpu_p_value"], 4),
        reset_wall_median_delta_ms=round(figures["wall_delta_ms"], 2),
        reset_wall_p_value=round(figures["wall_p_value"], 4),
        samples=SAMPLES,
        clock="CPU time of the request",
    )
    assert abs(figures["cpu_delta_ms"]) < MAX_MEDIAN_DELTA_MS
    assert figures["cpu_p_value"] > MIN_P_VALUE
