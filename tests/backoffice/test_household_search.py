"""The back office's household search: each word starts a name or is a whole family code or
e-mail (lookups its indexes answer), each household listed once, within the staff's scope."""

from django.urls import reverse

from .conftest import text_of

URL = reverse("admin:households_household_changelist")


def change_links(response, household) -> int:
    url = reverse("admin:households_household_change", args=[household.pk])
    return response.content.decode().count(f'href="{url}')


def test_a_word_finds_households_by_the_start_of_a_name(admin_client, martin, durand):
    by_guardian = text_of(admin_client.get(URL, {"q": "mart"}))
    by_household_and_child = text_of(admin_client.get(URL, {"q": "Famille zo"}))
    inside_a_name = text_of(admin_client.get(URL, {"q": "artin"}))

    assert "Famille Martin" in by_guardian and "Famille Durand" not in by_guardian
    assert "Famille Durand" in by_household_and_child
    assert "Famille Martin" not in by_household_and_child
    assert "Famille Martin" not in inside_a_name


def test_a_family_code_or_an_e_mail_is_searched_whole(admin_client, martin, durand):
    durand.external_code = "FAM-0042"
    durand.save()

    by_code = text_of(admin_client.get(URL, {"q": "fam-0042"}))
    by_email = text_of(admin_client.get(URL, {"q": "SIMON@example.fr"}))
    by_part_of_email = text_of(admin_client.get(URL, {"q": "simon@"}))

    assert "Famille Durand" in by_code and "Famille Martin" not in by_code
    assert "Famille Durand" in by_email
    assert "Famille Durand" not in by_part_of_email


def test_a_household_matched_by_several_people_is_listed_once(admin_client, martin):
    # Camille, Julien and Léa Martin all match.
    response = admin_client.get(URL, {"q": "Martin"})

    assert change_links(response, martin) == 1


def test_nursery_staff_search_only_their_households(staff_client, martin, durand):
    page = text_of(staff_client.get(URL, {"q": "Famille"}))

    assert "Famille Martin" in page
    assert "Famille Durand" not in page
