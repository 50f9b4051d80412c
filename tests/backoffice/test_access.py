"""Roles: an administrator sees everything; nursery staff only their nurseries' households."""

import pytest
from django.urls import reverse

from portail.households.models import Household
from portail.organisation.models import Organisation
from tests.factories import ChildFactory, HouseholdFactory, TermsVersionFactory

from .conftest import text_of


def test_nursery_staff_sees_only_their_households_in_the_list(staff_client, martin, durand):
    response = staff_client.get(reverse("admin:households_household_changelist"))

    assert response.status_code == 200
    page = text_of(response)
    assert "Famille Martin" in page
    assert "Famille Durand" not in page


def test_nursery_staff_sees_a_household_with_a_child_in_their_nursery(
    staff_client, loptiou, pic_et_plume
):
    household = HouseholdFactory(name="Famille Roux", nursery=loptiou)
    ChildFactory(household=household, nursery=pic_et_plume)

    response = staff_client.get(reverse("admin:households_household_changelist"))

    assert "Famille Roux" in text_of(response)


@pytest.mark.parametrize(
    "url_name, related",
    [
        ("admin:households_household_change", lambda household: household),
        ("admin:households_guardian_change", lambda household: household.guardians.first()),
        ("admin:households_child_change", lambda household: household.children.first()),
        ("admin:households_household_history", lambda household: household),
    ],
)
def test_nursery_staff_cannot_open_another_nurserys_household(
    staff_client, durand, url_name, related
):
    response = staff_client.get(reverse(url_name, args=[related(durand).pk]))

    # The admin answers « does not exist » by a redirect to its home page.
    assert response.status_code in (302, 404)
    assert response.status_code != 200


def test_nursery_staff_cannot_change_another_nurserys_household_by_post(staff_client, durand):
    url = reverse("admin:households_household_change", args=[durand.pk])

    staff_client.post(url, {"name": "Piraté", "nursery": durand.nursery_id})

    durand.refresh_from_db()
    assert durand.name == "Famille Durand"


def test_nursery_staff_changes_their_household(staff_client, martin):
    url = reverse("admin:households_household_change", args=[martin.pk])
    response = staff_client.get(url)
    assert response.status_code == 200
    assert "Camille" in text_of(response)


def test_nursery_staff_cannot_delete_a_household(staff_client, martin):
    response = staff_client.post(
        reverse("admin:households_household_delete", args=[martin.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert Household.objects.filter(pk=martin.pk).exists()


def test_nursery_staff_can_only_attach_a_household_to_their_nurseries(
    staff_client, pic_et_plume, loptiou
):
    add = reverse("admin:households_household_add")
    form = staff_client.get(add)
    assert "Pic et Plume" in form.content.decode()
    assert "Loptiou" not in form.content.decode()

    response = staff_client.post(add, household_form(name="Famille Piège", nursery=loptiou.pk))

    assert response.status_code == 200
    assert not Household.objects.filter(name="Famille Piège").exists()
    response = staff_client.post(add, household_form(name="Famille Neuve", nursery=pic_et_plume.pk))
    assert response.status_code == 302
    assert Household.objects.get(name="Famille Neuve").nursery == pic_et_plume


def household_form(**fields):
    data = {"name": "", "nursery": "", "address_line1": "", "city": "", "postal_code": ""}
    for prefix in ("guardians", "memberships", "contacts"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    data.update(fields)
    return data


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:organisation_organisation_changelist",
        "admin:organisation_termsversion_changelist",
        "admin:accounts_user_changelist",
        "admin:accounts_user_add",
        "admin:notifications_outgoingemail_changelist",
        "admin:otp_totp_totpdevice_changelist",
        "admin:accounts_accountlink_changelist",
    ],
)
def test_nursery_staff_cannot_reach_settings_accounts_or_the_outbox(staff_client, url_name):
    response = staff_client.get(reverse(url_name))

    assert response.status_code == 403


def test_nursery_staff_cannot_open_their_own_user_page(staff_client, nursery_staff):
    response = staff_client.get(reverse("admin:accounts_user_change", args=[nursery_staff.pk]))

    assert response.status_code in (302, 403)


def test_nursery_staff_home_lists_only_household_work(staff_client):
    response = staff_client.get(reverse("admin:index"))

    page = text_of(response)
    assert "Foyers" in page
    assert "Organisation" not in page
    assert "Utilisateurs" not in page


def test_nursery_staff_sees_their_nursery_read_only_and_not_the_others(
    staff_client, pic_et_plume, loptiou
):
    own = staff_client.get(reverse("admin:nurseries_nursery_change", args=[pic_et_plume.pk]))
    other = staff_client.get(reverse("admin:nurseries_nursery_change", args=[loptiou.pk]))

    assert own.status_code == 200
    assert 'name="_save"' not in own.content.decode()
    assert other.status_code == 302


def test_administrator_sees_every_household(admin_client, martin, durand):
    response = admin_client.get(reverse("admin:households_household_changelist"))

    page = text_of(response)
    assert "Famille Martin" in page
    assert "Famille Durand" in page


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:index",
        "admin:organisation_termsversion_changelist",
        "admin:accounts_user_changelist",
        "admin:accounts_user_add",
        "admin:notifications_outgoingemail_changelist",
        "admin:otp_totp_totpdevice_changelist",
        "admin:accounts_accountlink_changelist",
        "admin:accounts_termsacceptance_changelist",
        "admin:households_guardian_changelist",
        "admin:households_child_changelist",
        "admin:households_household_add",
        "admin:nurseries_nursery_changelist",
    ],
)
def test_administrator_reaches_every_page(admin_client, martin, url_name):
    response = admin_client.get(reverse(url_name))

    assert response.status_code == 200
    assert "INVALID_TEMPLATE_VARIABLE" not in text_of(response)


def test_organisation_is_a_single_row_opened_from_the_list(admin_client):
    response = admin_client.get(reverse("admin:organisation_organisation_changelist"))

    organisation = Organisation.current()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "admin:organisation_organisation_change", args=[organisation.pk]
    )
    page = admin_client.get(response["Location"])
    assert page.status_code == 200
    assert "Supprimer" not in text_of(page)
    assert admin_client.get(reverse("admin:organisation_organisation_add")).status_code == 403


def test_household_search_finds_guardians_and_children(admin_client, martin, durand):
    url = reverse("admin:households_household_changelist")

    by_child = text_of(admin_client.get(url, {"q": "Léa"}))
    by_email = text_of(admin_client.get(url, {"q": "simon@example.fr"}))

    assert "Famille Martin" in by_child
    assert "Famille Durand" not in by_child
    assert "Famille Durand" in by_email


def test_child_autocomplete_offers_only_the_staff_members_children(staff_client, martin, durand):
    response = staff_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "households",
            "model_name": "householdchild",
            "field_name": "child",
            "term": "",
        },
    )

    names = [result["text"] for result in response.json()["results"]]
    assert names == ["Léa Martin"]


def test_terms_versions_are_listed_for_administrators(admin_client):
    TermsVersionFactory(version=1)

    response = admin_client.get(reverse("admin:organisation_termsversion_changelist"))

    assert "version 1" in text_of(response).lower()
