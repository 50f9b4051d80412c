"""The notification centre, the e-mail preferences and ÉDITION DE DOCUMENTS in Chromium:
without JavaScript needed, keyboard and mouse alike, and every page passes axe-core."""

import datetime

import pytest

from portail.billing.services import create_regie
from portail.notifications.models import Delivery, Notification, NotificationCategory
from portail.notifications.services import notify_households, preferences_of
from portail.payments.models import PaymentMethod
from tests.attestations.conftest import hours, invoice, pay
from tests.portal.families import make_family

from .test_content import assert_accessible, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def family():
    family = make_family(name="Durand")
    regie = create_regie(name="Régie Petite Enfance", invoice_number_format="F{year}-{number:04d}")
    bill = invoice(
        regie,
        family.guardian,
        datetime.date(2025, 1, 1),
        datetime.date(2025, 2, 5),
        hours(family.child, "10", "2.50"),
    )
    pay(regie, family.guardian, bill, "25.00", datetime.date(2025, 2, 20), PaymentMethod.CASH)
    for category, label, url in (
        (NotificationCategory.NEWS, "Fête de l'été", "/actualites/"),
        (NotificationCategory.DOCUMENT, "Règlement de fonctionnement", "/edition-de-documents/"),
        (NotificationCategory.MENU, "Menus de juin", "/menus-restauration/"),
    ):
        notify_households(households=[family.household], category=category, label=label, url=url)
    return family


def test_notification_pages_and_documents_pass_axe(page, axe, live_server, family):
    violations = {}
    log_in(page, live_server, family.user.username)

    for url in (
        "/notifications/",
        "/mon-espace/notifications/",
        "/edition-de-documents/",
        "/tableau-de-bord/",
    ):
        page.goto(live_server.url + url)
        assert page.get_by_role("heading", level=1).count() == 1, url
        assert_accessible(axe, page, violations)

    assert violations == {}, "\n".join(violations.values())


def test_family_opens_a_notification_then_reads_them_all(page, live_server, family):
    log_in(page, live_server, family.user.username)
    header_link = page.locator("a.notifications-link")
    assert "4" in header_link.inner_text(), "the three above and the new invoice"

    header_link.click()
    page.locator(".notification a", has_text="Fête de l'été").click()
    page.wait_for_url("**/actualites/")
    assert Notification.objects.filter(label="Fête de l'été", read_at__isnull=False).exists()

    page.goto(live_server.url + "/notifications/")
    assert page.locator(".notification--unread").count() == 3
    page.locator(".notifications-actions button").click()
    page.wait_for_load_state()
    assert page.locator(".notification--unread").count() == 0
    assert not any(c.isdigit() for c in page.locator("a.notifications-link").inner_text())


def test_guardian_chooses_the_daily_summary_with_the_keyboard(page, live_server, family):
    log_in(page, live_server, family.user.username)
    page.goto(live_server.url + "/mon-espace/notifications/")

    page.locator('input[name="news"][value="daily_digest"]').focus()
    page.keyboard.press("Space")
    page.locator('input[name="document"][value="never"]').check()
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()

    chosen = preferences_of(family.user)
    assert chosen["news"] == Delivery.DAILY_DIGEST
    assert chosen["document"] == Delivery.NEVER
    assert chosen["invoice"] == Delivery.IMMEDIATELY
    assert page.locator('input[name="news"][value="daily_digest"]').is_checked()


def test_family_downloads_its_certificates(page, live_server, family):
    log_in(page, live_server, family.user.username)
    page.goto(live_server.url + "/edition-de-documents/")

    with page.expect_download() as tax:
        page.locator('a[href*="/attestation-fiscale/2025/"]').click()
    assert tax.value.suggested_filename == "attestation-fiscale-2025.pdf"

    page.locator('input[name="start_on"]').fill("2025-01-01")
    page.locator('input[name="end_on"]').fill("2025-12-31")
    with page.expect_download() as payment:
        page.locator('form[action$="/attestation-de-paiement/"] button').click()
    assert payment.value.suggested_filename == "attestation-paiement-2025-01-01-2025-12-31.pdf"
