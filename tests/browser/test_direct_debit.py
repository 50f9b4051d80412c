"""« MES PRÉLÈVEMENTS » in Chromium: a family asks for direct debit, reads the mandate,
signs it with the code e-mailed to it (read from the outbox) and sees it; every page passes
axe-core. Selectors use field ids and URLs, so the test holds before and after the French
catalogue is compiled."""

import re

import pytest

from portail.direct_debits.models import Mandate
from portail.notifications.models import OutgoingEmail

from .journeys import assert_accessible, log_in, martin_family_with_direct_debit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_family_signs_a_mandate_online_and_sees_it(page, axe, live_server):
    martin_family_with_direct_debit()
    violations = {}

    log_in(page, "camille.martin")
    assert page.url.endswith("/tableau-de-bord/")
    assert_accessible(axe, page, violations)

    page.locator("a[href='/mes-prelevements/']").first.click()
    assert page.url.endswith("/mes-prelevements/")
    assert_accessible(axe, page, violations)

    page.locator("a[href='/mes-prelevements/demande/']").click()
    page.locator("#id_iban").fill("fr76 3000 6000 0112 3456 7890 180")  # wrong RIB key
    page.locator("main form button[type=submit]").click()
    assert page.locator("#id_iban_errors").is_visible()
    assert_accessible(axe, page, violations)
    page.locator("#id_iban").fill("FR76 3000 6000 0112 3456 7890 189")
    page.locator("main form button[type=submit]").click()
    assert "/mes-prelevements/signature/" in page.url
    text = page.locator("main").inner_text()
    assert "FR72ZZZ123456" in text and "Régie Petite Enfance" in text
    assert "FR76 **** **** **** **** ***0 189" in text
    assert "FR7630006000011234567890189" not in page.content()
    assert_accessible(axe, page, violations)

    email = OutgoingEmail.objects.get(kind="direct_debit_code")
    code = re.search(r"\b(\d{6})\b", email.body_text).group(1)
    page.locator("#id_consent").check()
    page.locator("#id_code").fill(code)
    page.locator("main form button[type=submit]").first.click()
    mandate = Mandate.objects.get()
    assert page.url.endswith(f"/mes-prelevements/mandats/{mandate.reference}/signe/")
    assert mandate.rum in page.locator("main").inner_text()
    assert_accessible(axe, page, violations)

    page.goto(live_server.url + "/mes-prelevements/")
    text = page.locator("main").inner_text()
    assert mandate.rum in text and "***0 189" in text
    assert_accessible(axe, page, violations)
    assert OutgoingEmail.objects.filter(kind="direct_debit_signed").exists()

    assert violations == {}, "\n".join(violations.values())
