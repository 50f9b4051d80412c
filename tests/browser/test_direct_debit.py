"""« MES PRÉLÈVEMENTS » in Chromium: a family asks for direct debit, reads the mandate,
signs it with the code e-mailed to it (read from the outbox) and sees it; every page passes
axe-core. Selectors use field ids and URLs, so the test holds before and after the French
catalogue is compiled."""

import re

import pytest

from portail.billing.services import create_regie
from portail.direct_debits.models import CreditorSettings, Mandate
from portail.notifications.models import OutgoingEmail
from tests.factories import DEFAULT_PASSWORD, GuardianFactory, HouseholdFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def assert_accessible(axe, page, violations):
    results = axe.run(page)
    if results.violations_count:
        violations[page.url] = results.generate_report()


def test_family_signs_a_mandate_online_and_sees_it(page, axe, live_server):
    regie = create_regie(name="Régie Petite Enfance")
    CreditorSettings.objects.create(
        regie=regie,
        creditor_name="Régie Petite Enfance",
        creditor_address="Mairie\n1 place de la Mairie\n74990 Val-des-Tilleuls",
        ics="FR72ZZZ123456",
        creditor_iban="FR1420041010050500013M02606",
        creditor_iban_last4="2606",
        creditor_bic="PSSTFRPP",
        rum_prefix="TILLEULS",
    )
    household = HouseholdFactory(name="Famille Martin")
    user = UserFactory(username="camille.martin", first_name="Camille", last_name="Martin")
    GuardianFactory(household=household, user=user, first_name="Camille", last_name="Martin")
    violations = {}

    page.goto(live_server.url + "/connexion/")
    page.get_by_label("Identifiant ou adresse e-mail").fill("camille.martin")
    page.get_by_label(re.compile(r"^Mot de passe")).fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Connexion").click()
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
