"""« Mes demandes » in Chromium: the demo family reports an absence of Léa and sees it
« Envoyée »; every request page passes axe-core."""

import datetime
import re

import pytest
from django.core.management import call_command
from django.utils import timezone

from portail.households.models import Request, RequestKind, RequestStatus
from portail.organisation.management.commands.seed_demo import DEMO_IDENTIFIER, DEMO_PASSWORD

from .journeys import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_demo_family_reports_an_absence_and_sees_it_sent(page, axe, live_server):
    call_command("seed_demo", quiet=True)
    violations = {}

    page.goto(live_server.url + "/connexion/")
    page.get_by_label("Identifiant ou adresse e-mail").fill(DEMO_IDENTIFIER)
    page.get_by_label(re.compile(r"^Mot de passe")).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.goto(live_server.url + "/tableau-de-bord/")
    page.get_by_role("link", name="Dernières demandes").click()
    assert page.get_by_role("heading", name="Mes demandes", level=1).is_visible()
    text = " ".join(page.locator("main").inner_text().split())
    assert "Acceptée" in text  # the seeded request, already handled
    assert_accessible(axe, page, violations)

    page.get_by_role("link", name="Nouvelle demande").first.click()
    assert page.get_by_role("heading", name="Nouvelle demande", level=1).is_visible()
    assert_accessible(axe, page, violations)
    page.get_by_role("link", name="Absence", exact=True).click()

    # A mistake first: the form says what is wrong, in French.
    page.get_by_role("button", name="Envoyer ma demande").click()
    assert page.get_by_text("Ce champ est obligatoire.").first.is_visible()
    assert_accessible(axe, page, violations)

    today = timezone.localdate()
    page.get_by_label("Enfant").select_option(label="Léa Martin")
    page.get_by_label("Premier jour d'absence").fill(today.isoformat())
    page.get_by_label("Dernier jour d'absence (inclus)").fill(
        (today + datetime.timedelta(days=1)).isoformat()
    )
    page.get_by_label("Motif").select_option(label="Maladie")
    page.get_by_label("Commentaire pour la structure d'accueil (facultatif)").fill("Fièvre.")
    page.get_by_role("button", name="Envoyer ma demande").click()

    assert page.get_by_text("Votre demande a été envoyée à la structure d'accueil.").is_visible()
    text = " ".join(page.locator("main").inner_text().split())
    assert "Statut : Envoyée" in text
    assert "Maladie" in text
    assert_accessible(axe, page, violations)
    sent = Request.objects.filter(kind=RequestKind.ABSENCE, child__first_name="Léa").latest(
        "submitted_at"
    )
    assert sent.status == RequestStatus.SENT
    assert sent.payload["comment"] == "Fièvre."

    page.get_by_role("link", name="Historique de mon foyer").first.click()
    assert page.get_by_role("heading", name="Historique de mon foyer", level=1).is_visible()
    assert "04 65 71 90 99" in page.locator("main").inner_text()
    assert_accessible(axe, page, violations)

    assert violations == {}, "\n".join(violations.values())
