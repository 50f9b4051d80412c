"""« ADHÉSION À LA FACTURE/COMPTE EN LIGNE »: each household opts in or out of paper."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from portail.households.models import Household
from portail.households.services import set_paperless_invoices
from tests.factories import GuardianFactory, HouseholdFactory

from ..families import make_family
from ..pages import text_of

URL = reverse("portal:paperless")


def field_name(household):
    return f"paperless_{household.reference.hex}"


def paperless(household) -> bool:
    return Household.objects.get(pk=household.pk).paperless_invoices


def test_the_page_shows_the_households_current_choice(family_client, family):
    text = text_of(family_client.get(URL))

    assert "ADHÉSION À LA FACTURE/COMPTE EN LIGNE" in text
    assert (
        "Famille Durand : j'adhère à la facture en ligne et ne reçois plus de facture papier."
        in text
    )
    assert "Actuellement : factures papier envoyées par courrier." in text


def test_family_opts_in_then_out_of_paperless_invoices(family_client, family):
    response = family_client.post(URL, {field_name(family.household): "on"}, follow=True)

    assert paperless(family.household) is True
    text = text_of(response)
    assert "Votre choix est enregistré." in text
    assert "Actuellement : factures en ligne uniquement." in text

    family_client.post(URL, {})

    assert paperless(family.household) is False


def test_a_guardian_of_two_households_chooses_for_each(client, family):
    second = HouseholdFactory(name="Famille Durand-Roux")
    GuardianFactory(household=second, user=family.user, first_name="Marie", last_name="Durand")
    client.force_login(family.user)

    client.post(URL, {field_name(second): "on"})

    assert paperless(second) is True
    assert paperless(family.household) is False


def test_another_households_choice_cannot_be_changed(family_client, family):
    other = make_family(name="Bertin")

    family_client.post(URL, {field_name(other.household): "on"})

    assert paperless(other.household) is False


def test_the_choice_needs_the_forms_csrf_token(family):
    client = Client(enforce_csrf_checks=True)
    client.force_login(family.user)

    response = client.post(URL, {field_name(family.household): "on"})

    assert response.status_code == 403
    assert paperless(family.household) is False

    page = client.get(URL).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    client.post(URL, {"csrfmiddlewaretoken": token, field_name(family.household): "on"})
    assert paperless(family.household) is True


@pytest.mark.parametrize("enabled", [True, False])
def test_set_paperless_invoices_records_the_choice(family, enabled):
    household = set_paperless_invoices(
        household=family.household, enabled=enabled, changed_by=family.user
    )

    assert household.paperless_invoices is enabled
    assert paperless(family.household) is enabled
