"""AUTH-11(e), WEB-09: password reset requests are limited per account (e-mails) and per
address (429), while the answer for an account never reveals whether it exists."""

from django.urls import reverse

from portail.notifications.models import OutgoingEmail

from .figures import record


def test_thirty_reset_requests_send_at_most_five_emails(client, family_a, settings):
    settings.PASSWORD_RESET_REQUESTS_PER_IP_HOUR = 1000
    answers = set()
    for attempt in range(30):
        response = client.post(
            reverse("portal:password-reset"),
            {"login": family_a.user.username},
            REMOTE_ADDR=f"10.0.0.{attempt + 1}",
        )
        assert response.status_code == 200
        answers.add(response.content.decode().count("mot de passe"))
    sent = OutgoingEmail.objects.filter(to=family_a.user.email, kind="password_reset").count()
    record("rate_limits", reset_requests=30, reset_emails_sent=sent)
    assert sent == settings.PASSWORD_RESET_EMAILS_PER_HOUR == 5
    assert len(answers) == 1


def test_one_address_asking_too_many_resets_gets_429(client, settings):
    settings.PASSWORD_RESET_REQUESTS_PER_IP_HOUR = 20
    statuses = [
        client.post(
            reverse("portal:password-reset"),
            {"login": f"inconnu{number}@example.fr"},
            REMOTE_ADDR="192.0.2.7",
        ).status_code
        for number in range(25)
    ]
    record("rate_limits", reset_requests_before_429=statuses.index(429))
    assert statuses[:20] == [200] * 20
    assert statuses[20:] == [429] * 5
    response = client.post(
        reverse("portal:password-reset"), {"login": "x@example.fr"}, REMOTE_ADDR="192.0.2.7"
    )
    assert (
        "Trop de demandes" in response.content.decode()
        or "Too many requests" in response.content.decode()
    )
    # Another address is not affected.
    other = client.post(
        reverse("portal:password-reset"), {"login": "x@example.fr"}, REMOTE_ADDR="192.0.2.8"
    )
    assert other.status_code == 200


def test_login_lockout_settings_match_the_security_plan(settings):
    """CNIL 2022-100 cas n° 2 (SECURITY.md AUTH-06): ≤ 10 failures per account and per
    address, a finite cool-off, no global lock (tests/accounts/test_lockout.py proves it)."""
    assert settings.AXES_FAILURE_LIMIT <= 10
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username"], ["ip_address"]]
    record("lockout", failure_limit=settings.AXES_FAILURE_LIMIT, cooloff_minutes=15)
