"""DATA-06 / ASVS 7.1.1: the logs of a family's journey (login, failed login, pages, reset
link, data download, staff reading the household) hold no e-mail address, password, reset
token, session key or child name."""

import logging
import re

from django.test import Client
from django.urls import reverse

from portail.notifications.models import OutgoingEmail
from tests.factories import DEFAULT_PASSWORD

from .figures import record


def test_a_family_journey_leaves_no_personal_data_in_the_logs(
    caplog, family_a, administrator, staff_login, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    client = Client()
    client.post(
        reverse("portal:login"), {"username": family_a.user.email, "password": "Faux-Passe-1"}
    )
    client.post(
        reverse("portal:login"), {"username": family_a.user.username, "password": DEFAULT_PASSWORD}
    )
    for name in ("portal:dashboard", "portal:household", "portal:my-data", "portal:my-data-json"):
        client.get(reverse(name))
    client.get(reverse("portal:child-detail", kwargs={"reference": family_a.child.reference}))
    session_key = client.session.session_key
    client.post(reverse("portal:logout"))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("portal:password-reset"), {"login": family_a.user.email})
    email = OutgoingEmail.objects.get(kind="password_reset")
    token = re.search(r"/compte/lien/([^/]+)/", email.body_text).group(1)
    client.get(reverse("portal:account-link", kwargs={"token": token}))
    staff = staff_login(Client(), administrator)
    staff.get(reverse("admin:households_child_change", args=[family_a.child.pk]))

    logs = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    secrets = {
        "e-mail": family_a.user.email,
        "password": DEFAULT_PASSWORD,
        "wrong password": "Faux-Passe-1",
        "reset token": token,
        "session key": session_key,
        "child first name": family_a.child.first_name,
    }
    hits = {name: logs.count(value) for name, value in secrets.items() if value and value in logs}
    record("logs", records=len(caplog.records), sensitive_hits=sum(hits.values()))
    assert caplog.records
    assert hits == {}
