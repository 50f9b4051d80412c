"""The back office under the Content-Security-Policy, in Chromium: a member of staff logs in
with the second factor and opens the daily pages; no script or style is refused (a refused one
would silently break a page)."""

import re

import pytest
from django.urls import reverse

from tests.backoffice.conftest import add_device, current_code
from tests.factories import DEFAULT_PASSWORD, StaffUserFactory
from tests.portal.families import make_family
from tests.security.figures import record

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_pages_raise_no_csp_violation(page, live_server):
    family = make_family(name="Csp")
    administrator = StaffUserFactory(username="admin.csp", is_superuser=True)
    device = add_device(administrator)
    violations = []
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text and violations.append(message.text)
        ),
    )
    page.goto(live_server.url + reverse("admin:login"))
    page.locator("#id_username").fill(administrator.username)
    page.locator("#id_password").fill(DEFAULT_PASSWORD)
    page.locator("#id_otp_token").fill(current_code(device))
    page.locator("#id_otp_token").press("Enter")
    page.wait_for_url(re.compile(r".*/gestion/$"))
    urls = [
        reverse("admin:index"),
        reverse("admin:households_household_changelist"),
        reverse("admin:households_household_change", args=[family.household.pk]),
        reverse("admin:households_child_change", args=[family.child.pk]),
        reverse("admin:audit_auditevent_changelist"),
        reverse("admin:accounts_accountclosurerequest_changelist"),
        reverse("admin:billing_invoice_changelist"),
        reverse("backoffice:accounting-export"),
    ]
    for url in urls:
        page.goto(live_server.url + url)
    record("csp_browser", staff_pages=len(urls), staff_violations=len(violations))
    assert violations == []
