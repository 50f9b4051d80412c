"""The seed's first login, walked in Chromium: activation link from the outbox, password
rules, CGU, MON TABLEAU DE BORD, the personal pages, logout, forgotten password."""

import re

import pytest

from portail.accounts.models import User
from portail.accounts.services import invite_guardian
from portail.notifications.models import OutgoingEmail
from tests.factories import (
    ChildFactory,
    ContactFactory,
    GuardianFactory,
    HouseholdFactory,
    NurseryFactory,
    TermsVersionFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LINK = re.compile(r"https?://\S+/compte/lien/\S+/")
NEW_PASSWORD = re.compile(r"^Nouveau mot de passe")
PASSWORD = re.compile(r"^Mot de passe")


def link_in_latest_email(kind):
    email = OutgoingEmail.objects.filter(kind=kind).latest("created_at")
    return LINK.search(email.body_text).group(0)


def assert_accessible(axe, page, violations):
    results = axe.run(page)
    if results.violations_count:
        violations[page.url] = results.generate_report()
    return results.violations_count


def test_new_guardian_activates_account_accepts_cgu_and_resets_password(page, axe, live_server):
    TermsVersionFactory(text="Article 1 — Objet du portail.\n\nArticle 2 — Données personnelles.")
    nursery = NurseryFactory(name="Pic et Plume", email="picetplume@val-des-tilleuls.example")
    household = HouseholdFactory(name="Famille Durand", nursery=nursery)
    guardian = GuardianFactory(
        household=household,
        first_name="Simon",
        last_name="Durand",
        email="durand.simon@live.fr",
        user=None,
    )
    ChildFactory(household=household, first_name="Léa", last_name="Durand", nursery=nursery)
    ContactFactory(household=household, first_name="Monique", last_name="Durand")
    invite_guardian(guardian=guardian)
    link = link_in_latest_email("account_invitation").replace("http://testserver", live_server.url)
    violations = {}
    checked = 0

    # The activation link leads to choosing a password; every unmet rule is listed.
    page.goto(link)
    assert "/compte/mot-de-passe/" in page.url
    assert page.get_by_text("durand.simon", exact=True).is_visible()
    checked += 1
    assert_accessible(axe, page, violations)
    page.get_by_label(NEW_PASSWORD).fill("court")
    page.get_by_label("Confirmez le nouveau mot de passe").fill("court")
    page.get_by_role("button", name="Valider").click()
    errors = page.locator(".errorlist").inner_text()
    assert "Au moins 8 caractères." in errors
    assert "Au moins une majuscule." in errors
    assert "Au moins un chiffre." in errors
    checked += 1
    assert_accessible(axe, page, violations)

    page.get_by_label(NEW_PASSWORD).fill("Tilleuls-2026")
    page.get_by_label("Confirmez le nouveau mot de passe").fill("Tilleuls-2026")
    page.get_by_role("button", name="Valider").click()

    # The CGU, accepted with the button at the bottom.
    assert page.url.endswith("/cgu/")
    assert page.get_by_text("Article 2 — Données personnelles.").is_visible()
    checked += 1
    assert_accessible(axe, page, violations)
    page.get_by_role("button", name="J'accepte les conditions générales d'utilisation").click()

    assert page.url.endswith("/tableau-de-bord/")
    assert page.get_by_role("heading", name="MON TABLEAU DE BORD").is_visible()
    for tile in ["Profil", "Identifiants", "Entourage", "Mes factures", "Mes prélèvements"]:
        assert page.get_by_role("heading", name=tile).is_visible()
    checked += 1
    assert_accessible(axe, page, violations)

    page.get_by_role("link", name="MON ESPACE").first.click()
    assert page.get_by_text("durand.simon@live.fr").first.is_visible()
    # Changes are reported through tracked requests, not by e-mail to the nursery.
    assert page.get_by_role("link", name="Changer mon adresse postale").is_visible()
    checked += 1
    assert_accessible(axe, page, violations)

    page.goto(live_server.url + "/mon-espace/foyer/")
    assert page.get_by_role("heading", name="MEMBRES FOYER").is_visible()
    assert page.get_by_text("Léa").first.is_visible()
    checked += 1
    assert_accessible(axe, page, violations)

    page.goto(live_server.url + "/mon-espace/contacts/")
    assert page.get_by_role("heading", name="CONTACTS").is_visible()
    assert page.get_by_text("Monique").first.is_visible()
    checked += 1
    assert_accessible(axe, page, violations)

    page.get_by_role("button", name="Se déconnecter").click()
    assert "/connexion/" in page.url
    checked += 1
    assert_accessible(axe, page, violations)

    # « J'ai oublié mon mot de passe »: the link comes by e-mail, then a new password.
    page.get_by_role("link", name="J'ai oublié mon mot de passe").click()
    page.get_by_label("Identifiant ou adresse e-mail").fill("durand.simon")
    page.get_by_role("button", name="M'envoyer le lien").click()
    assert page.get_by_role("heading", name="Consultez vos e-mails").is_visible()
    checked += 1
    assert_accessible(axe, page, violations)
    page.goto(link_in_latest_email("password_reset").replace("http://testserver", live_server.url))
    page.get_by_label(NEW_PASSWORD).fill("Marronniers-2027")
    page.get_by_label("Confirmez le nouveau mot de passe").fill("Marronniers-2027")
    page.get_by_role("button", name="Valider").click()
    assert "/connexion/" in page.url

    # The old password no longer works; the new one does, with the e-mail as login too.
    page.get_by_label("Identifiant ou adresse e-mail").fill("durand.simon")
    page.get_by_label(PASSWORD).fill("Tilleuls-2026")
    page.get_by_role("button", name="Connexion").click()
    assert page.get_by_text("Identifiant ou mot de passe incorrect").is_visible()
    page.get_by_label("Identifiant ou adresse e-mail").fill("Durand.Simon@live.fr")
    page.get_by_label(PASSWORD).fill("Marronniers-2027")
    page.get_by_role("button", name="Connexion").click()
    assert page.url.endswith("/tableau-de-bord/")
    assert User.objects.get(username="durand.simon").check_password("Marronniers-2027")

    assert violations == {}, "\n".join(violations.values())
    assert checked == 9
