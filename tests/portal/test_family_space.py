import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from portail.households.models import HouseholdChild
from portail.notifications.models import OutgoingEmail
from tests.factories import (
    DEFAULT_PASSWORD,
    GuardianFactory,
    HouseholdFactory,
    StaffUserFactory,
    UserFactory,
)

from .families import make_family
from .pages import text_of, text_of_fragment

FAMILY_PAGES = [
    "portal:home",
    "portal:dashboard",
    "portal:my-space",
    "portal:household",
    "portal:contacts",
    "portal:credentials",
    "portal:news",
    "portal:documents",
    "portal:menus",
    "portal:practical-info",
]


def test_home_greets_the_guardian_and_summarises_the_household(family_client):
    response = family_client.get(reverse("portal:home"))

    text = text_of(response)
    assert "<h1>MON ACCUEIL</h1>" in response.content.decode()
    assert "Bonjour Madame Durand" in text
    assert "Léa Durand, structure d'accueil : Pic et Plume" in text
    assert f'href="{reverse("portal:dashboard")}"' in response.content.decode()
    assert f'href="{reverse("portal:my-space")}"' in response.content.decode()
    assert "Aucune actualité pour le moment." in text


def test_menu_shows_the_seeds_sections_in_french(family_client):
    text = text_of(family_client.get(reverse("portal:home")))

    for label in (
        "MON ACCUEIL",
        "ACTUALITÉS",
        "ÉDITION DE DOCUMENTS",
        "MENUS RESTAURATION",
        "INFOS PRATIQUES",
        "MON TABLEAU DE BORD",
        "MON ESPACE",
    ):
        assert label in text


def test_dashboard_shows_the_seeds_tiles_with_honest_empty_states(family_client):
    response = family_client.get(reverse("portal:dashboard"))

    content = response.content.decode()
    assert "<h1>MON TABLEAU DE BORD</h1>" in content
    tiles = {}
    for tile in re.findall(r'<li class="tile">(.*?)</li>', content, flags=re.S):
        title = re.search(r"<h2>(.*?)</h2>", tile).group(1)
        link = re.search(r'<a href="([^"]+)"', tile)
        tiles[title] = (link.group(1) if link else None, text_of_fragment(tile))
    assert list(tiles) == [
        "Profil",
        "Identifiants",
        "Entourage",
        "Dernières demandes",
        "Mes factures",
        "Mes actualités",
        "Mes coordonnées",
        "Édition de documents",
        "Mes prélèvements",
    ]
    assert tiles["Profil"] == (reverse("portal:my-space"), "Profil Madame Marie Durand")
    assert tiles["Identifiants"] == (
        reverse("portal:credentials"),
        "Identifiants Identifiant : durand.marie",
    )
    assert tiles["Entourage"] == (
        reverse("portal:contacts"),
        "Entourage 1 personne dans votre entourage",
    )
    assert tiles["Mes coordonnées"][0] == reverse("portal:my-space")
    assert tiles["Dernières demandes"] == (
        reverse("portal:request-list"),
        "Dernières demandes Aucune demande pour le moment. Nouvelle demande",
    )
    assert tiles["Mes factures"] == (
        reverse("portal:invoices"),
        "Mes factures Vous avez 0 facture non réglée",
    )
    assert tiles["Mes actualités"] == (
        reverse("portal:news"),
        "Mes actualités Actualités et menus de vos structures",
    )
    assert tiles["Édition de documents"] == (
        reverse("portal:documents"),
        "Édition de documents Documents officiels, attestations de paiement et fiscales",
    )
    assert tiles["Mes prélèvements"] == (
        reverse("portal:direct-debits"),
        "Mes prélèvements Aucun prélèvement pour le moment.",
    )


def test_my_space_shows_identity_address_phones_and_email(family_client):
    text = text_of(family_client.get(reverse("portal:my-space")))

    assert "MON ESPACE" in text
    assert "Madame Marie Durand" in text
    assert "Civilité Madame" in text
    assert "Nom Durand" in text
    assert "Prénom Marie" in text
    assert "Date de naissance 14 mars 1988" in text
    # The guardian has no address of their own: the household's is theirs.
    assert "Adresse postale 15 rue de la Grenette 74370 Bourg-les-Crèches" in text
    assert "Téléphone portable 06 50 50 42 58" in text
    assert "Téléphone fixe Non renseigné" in text
    assert "Téléphone professionnel 04 50 00 00 01" in text
    assert "E-mail durand.marie@example.fr" in text


def test_my_space_shows_the_guardians_own_address_when_they_have_one(family, family_client):
    family.guardian.address_line1 = "8 impasse des Tilleuls"
    family.guardian.postal_code = "74000"
    family.guardian.city = "Annecy"
    family.guardian.save()

    text = text_of(family_client.get(reverse("portal:my-space")))

    assert "Adresse postale 8 impasse des Tilleuls 74000 Annecy" in text


@pytest.mark.parametrize("page", ["portal:my-space", "portal:household", "portal:contacts"])
def test_changes_are_sent_as_requests_to_the_childs_nursery(family_client, page):
    # The seed's « signaler par mail à la structure d'accueil » became tracked requests
    # (tests/households covers them).
    response = family_client.get(reverse(page))

    assert "Envoyez une demande à la structure d'accueil de votre enfant" in text_of(response)
    content = response.content.decode()
    assert 'href="mailto:picetplume@bourg.example.fr"' not in content
    assert reverse("portal:request-create", kwargs={"kind": "adresse"}) in content


def test_household_page_lists_guardians_and_children(family, family_client):
    GuardianFactory(
        household=family.household,
        civility="m",
        first_name="Paul",
        last_name="Durand",
        mobile_phone="06 99 88 77 66",
        email="paul.durand@example.fr",
    )

    response = family_client.get(reverse("portal:household"))

    text = text_of(response)
    assert "MEMBRES FOYER" in text
    assert "Famille Durand" in text
    assert "Représentants légaux" in text
    assert "Madame Marie Durand" in text
    assert "Monsieur Paul Durand Téléphone portable 06 99 88 77 66" in text
    assert "paul.durand@example.fr" in text
    assert "Léa Durand Nom Durand Prénom Léa Date de naissance 2 mai 2023" in text
    assert "Structure d'accueil Pic et Plume" in text
    child_url = reverse("portal:child-detail", kwargs={"reference": family.child.reference})
    assert f'href="{child_url}"' in response.content.decode()


def test_child_page_shows_the_nursery_and_the_guardians_households(family, family_client):
    # The child also lives with the other parent, in a household this guardian cannot see.
    elsewhere = HouseholdFactory(name="Famille Bernard")
    HouseholdChild.objects.create(household=elsewhere, child=family.child)

    response = family_client.get(
        reverse("portal:child-detail", kwargs={"reference": family.child.reference})
    )

    text = text_of(response)
    assert "<h1>Léa Durand</h1>" in response.content.decode()
    assert "Date de naissance 2 mai 2023" in text
    assert "Nom Pic et Plume" in text
    assert "Adresse 3 chemin des Mésanges 74000 Bourg-les-Crèches" in text
    assert "Téléphone 04 50 11 22 33" in text
    assert "E-mail picetplume@bourg.example.fr" in text
    assert "Direction Mme Claire Dubois" in text
    assert "Foyers Famille Durand" in text
    assert "Bernard" not in text


def test_contacts_page_lists_the_entourage(family, family_client):
    response = family_client.get(reverse("portal:contacts"))

    text = text_of(response)
    assert "<h1>CONTACTS</h1>" in response.content.decode()
    assert "L'entourage de Famille Durand" in text
    assert (
        "Jeanne Martin Lien avec l'enfant grand-mère Téléphone portable 06 11 22 33 44 "
        "Autre téléphone Non renseigné Peut venir chercher l'enfant Oui "
        "À prévenir en cas d'urgence Non"
    ) in text
    contact_url = reverse("portal:contact-detail", kwargs={"reference": family.contact.reference})
    assert f'href="{contact_url}"' in response.content.decode()


def test_contact_page_shows_the_contact(family, family_client):
    response = family_client.get(
        reverse("portal:contact-detail", kwargs={"reference": family.contact.reference})
    )

    text = text_of(response)
    assert "<h1>Jeanne Martin</h1>" in response.content.decode()
    assert "Foyer Famille Durand" in text
    assert "Lien avec l'enfant grand-mère" in text
    assert "Peut venir chercher l'enfant Oui" in text
    assert "À prévenir en cas d'urgence Non" in text


def test_guardian_of_two_households_sees_both(family, family_client):
    other = make_family(name="Bernard")
    GuardianFactory(household=other.household, user=family.user, last_name="Durand")

    household_text = text_of(family_client.get(reverse("portal:household")))
    contacts_text = text_of(family_client.get(reverse("portal:contacts")))
    my_space_text = text_of(family_client.get(reverse("portal:my-space")))

    assert "Famille Durand" in household_text
    assert "Famille Bernard" in household_text
    assert "Enfant0 Bernard" in household_text
    assert "Proche0 Bernard" in contacts_text
    assert "Foyer : Famille Bernard" in my_space_text


def test_credentials_show_the_identifier_the_email_and_the_password_rule(family_client):
    response = family_client.get(reverse("portal:credentials"))

    content = response.content.decode()
    text = text_of(response)
    assert "<h1>Identifiants</h1>" in content
    assert "Identifiant durand.marie" in text
    assert "E-mail durand.marie@example.fr" in text
    assert "Au moins 8 caractères." in text
    assert "Au moins une majuscule." in text
    assert "Au moins un chiffre." in text
    for name, autocomplete in (
        ("current_password", "current-password"),
        ("new_password1", "new-password"),
        ("new_password2", "new-password"),
    ):
        tag = re.search(rf'<input [^>]*name="{name}"[^>]*>', content).group(0)
        assert f'autocomplete="{autocomplete}"' in tag
        assert f'id="id_{name}"' in tag
        assert 'type="password"' in tag
        assert "data-toggle" in tag
        assert 'data-show-label="Afficher le mot de passe"' in tag
        assert 'data-hide-label="Masquer le mot de passe"' in tag
        assert f'<label for="id_{name}">' in content
    assert "onpaste" not in content
    assert "portail/password.js" in content
    assert "Mot de passe actuel" in text


def change_password(client, current, new, again=None):
    return client.post(
        reverse("portal:credentials"),
        {
            "current_password": current,
            "new_password1": new,
            "new_password2": new if again is None else again,
        },
    )


@pytest.mark.parametrize("current", ["", "Pas-Le-Bon-42"])
def test_password_change_needs_the_current_password(family, family_client, current):
    response = change_password(family_client, current, "Nouveau-Soleil-2025")

    assert response.status_code == 200
    text = text_of(response)
    if current:
        assert "Votre mot de passe actuel est incorrect." in text
    else:
        assert "Ce champ est obligatoire." in text
    family.user.refresh_from_db()
    assert family.user.check_password(DEFAULT_PASSWORD)
    assert not OutgoingEmail.objects.exists()


def test_password_change_lists_every_unmet_rule_in_french(family, family_client):
    response = change_password(family_client, DEFAULT_PASSWORD, "abc")

    text = text_of(response)
    assert "Au moins 8 caractères." in text
    assert "Au moins une majuscule." in text
    assert "Au moins un chiffre." in text
    assert "Ce mot de passe est trop courant." in text
    errors = re.search(
        r'<ul class="errorlist" id="id_new_password1_errors">(.*?)</ul>',
        response.content.decode(),
        flags=re.S,
    ).group(1)
    assert errors.count("<li>") == 4
    family.user.refresh_from_db()
    assert family.user.check_password(DEFAULT_PASSWORD)


def test_password_change_refuses_two_different_new_passwords(family, family_client):
    response = change_password(
        family_client, DEFAULT_PASSWORD, "Nouveau-Soleil-2025", again="Nouveau-Soleil-2026"
    )

    assert "Les deux mots de passe sont différents." in text_of(response)
    family.user.refresh_from_db()
    assert family.user.check_password(DEFAULT_PASSWORD)


def test_password_change_keeps_this_session_ends_the_others_and_tells_by_email(
    family, family_client
):
    other_device = Client()
    other_device.force_login(family.user)

    response = change_password(family_client, DEFAULT_PASSWORD, "Nouveau-Soleil-2025")

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:credentials")
    page = family_client.get(response["Location"])
    assert page.status_code == 200
    assert "Votre mot de passe a été modifié." in text_of(page)
    assert family_client.session[SESSION_KEY] == str(family.user.pk)
    family.user.refresh_from_db()
    assert family.user.check_password("Nouveau-Soleil-2025")
    email = OutgoingEmail.objects.get()
    assert email.kind == "password_changed"
    assert email.to == "durand.marie@example.fr"
    assert "durand.marie" in email.body_text
    other = other_device.get(reverse("portal:dashboard"))
    assert other.status_code == 302
    assert other["Location"].startswith(reverse("portal:login"))


def test_news_documents_and_menus_say_there_is_nothing_yet(family_client):
    for page, title, empty in (
        ("portal:news", "ACTUALITÉS", "Aucune actualité pour le moment."),
        ("portal:documents", "ÉDITION DE DOCUMENTS", "Aucun document officiel pour le moment."),
        ("portal:menus", "MENUS RESTAURATION", "Aucun menu pour le moment."),
    ):
        response = family_client.get(reverse(page))
        assert f"<h1>{title}</h1>" in response.content.decode()
        assert empty in text_of(response)


def test_practical_information_shows_the_service_and_the_childrens_nurseries(family, family_client):
    make_family(name="Bernard")  # another family's nursery is not listed

    response = family_client.get(reverse("portal:practical-info"))

    text = text_of(response)
    assert "<h1>INFOS PRATIQUES</h1>" in response.content.decode()
    assert "Service Petite Enfance" in text
    assert "Commune Bourg-les-Crèches" in text
    assert "Adresse 1 place de la Mairie 74000 Bourg-les-Crèches" in text
    assert "Téléphone 04 50 22 05 57" in text
    assert "E-mail petite-enfance@bourg.example.fr" in text
    assert (
        "Pic et Plume Adresse 3 chemin des Mésanges 74000 Bourg-les-Crèches "
        "Téléphone 04 50 11 22 33 E-mail picetplume@bourg.example.fr Direction Mme Claire Dubois"
    ) in text
    assert "Crèche Bernard" not in text


@pytest.mark.parametrize("page", FAMILY_PAGES)
def test_every_family_page_has_a_title_and_a_heading(family_client, page):
    response = family_client.get(reverse(page))

    content = response.content.decode()
    assert response.status_code == 200
    title = re.search(r"<title>(.*?) — ", content).group(1).strip()
    assert title
    assert content.count("<h1>") == 1
    text_of(response)  # no unknown template variable


@pytest.mark.parametrize("page", FAMILY_PAGES)
def test_staff_are_sent_to_the_back_office(client, page):
    client.force_login(StaffUserFactory())

    response = client.get(reverse(page))

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


@pytest.mark.parametrize("page", FAMILY_PAGES)
def test_account_without_household_is_told_to_contact_the_service(client, organisation, page):
    client.force_login(UserFactory())

    response = client.get(reverse(page))

    assert response.status_code == 403
    text = text_of(response)
    assert "Votre compte n'est rattaché à aucun foyer" in text
    assert "Veuillez contacter le Service Petite Enfance : petite-enfance@bourg.example.fr" in text
