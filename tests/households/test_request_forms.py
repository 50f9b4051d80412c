"""Each kind of request validates what the family typed, in French, and only ever offers the
family's own children, contacts and guardians."""

import datetime

import pytest
from django.utils import timezone

from portail.portal.forms.requests import (
    AbsenceForm,
    AddressForm,
    ContactAddForm,
    ContactChangeForm,
    ContactDetailsForm,
    ContactRemoveForm,
    DocumentForm,
    HealthForm,
    MessageForm,
    normalise_phone,
)


def errors(form) -> dict:
    assert not form.is_valid()
    return {name: list(messages) for name, messages in form.errors.items()}


def test_address_form_is_prefilled_and_checks_the_postal_code(family):
    blank = AddressForm(user=family.user)
    assert blank["address_line1"].value() == family.household.address_line1

    form = AddressForm(
        {"address_line1": "4 rue du Lac", "postal_code": "7496", "city": "Annecy"},
        user=family.user,
    )
    assert errors(form) == {"postal_code": ["Saisissez un code postal de 5 chiffres."]}


def test_address_form_requires_the_address_and_the_city(family):
    form = AddressForm({"postal_code": "74960"}, user=family.user)
    found = errors(form)
    assert found["address_line1"] == ["Ce champ est obligatoire."]
    assert found["city"] == ["Ce champ est obligatoire."]


def test_a_change_that_changes_nothing_is_refused(family):
    household = family.household
    form = AddressForm(
        {
            "address_line1": household.address_line1,
            "address_line2": household.address_line2,
            "postal_code": household.postal_code,
            "city": household.city,
        },
        user=family.user,
    )
    assert errors(form) == {"__all__": ["Rien n'a changé : modifiez au moins une information."]}


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("0612345678", "06 12 34 56 78"),
        ("06.12.34.56.78", "06 12 34 56 78"),
        ("+33 6 12 34 56 78", "06 12 34 56 78"),
        ("0033612345678", "06 12 34 56 78"),
        ("+41  22 123 45 67", "+41 22 123 45 67"),
    ],
)
def test_phone_numbers_are_tidied(typed, stored):
    assert normalise_phone(typed) == stored


def test_contact_details_form_refuses_a_bad_phone_and_a_bad_email(family):
    form = ContactDetailsForm(
        {
            "guardian_choice": family.guardian.pk,
            "mobile_phone": "06 12",
            "email": "marie@",
        },
        user=family.user,
    )
    found = errors(form)
    assert found["mobile_phone"] == [
        "Saisissez un numéro de téléphone comme 06 12 34 56 78 (ou +41 … pour un numéro étranger)."
    ]
    assert found["email"] == ["Saisissez une adresse e-mail comme marie.durand@example.fr."]


def test_contact_details_form_offers_only_the_familys_guardians(family, other_family):
    form = ContactDetailsForm(
        {"guardian_choice": other_family.guardian.pk, "mobile_phone": "0611111111"},
        user=family.user,
    )
    assert "guardian_choice" in errors(form)
    assert list(ContactDetailsForm(user=family.user).fields["guardian_choice"].queryset) == [
        family.guardian
    ]


def test_a_new_contact_needs_a_phone(family):
    form = ContactAddForm(
        {"first_name": "Paul", "last_name": "Girard", "relationship": "voisin"},
        user=family.user,
    )
    assert errors(form) == {
        "mobile_phone": [
            "Indiquez au moins un numéro de téléphone, pour que la structure d'accueil "
            "puisse appeler cette personne."
        ]
    }


def test_a_new_contact_keeps_the_pick_up_and_emergency_flags(family):
    form = ContactAddForm(
        {
            "first_name": "Paul",
            "last_name": "Girard",
            "relationship": "voisin",
            "mobile_phone": "0610203040",
            "can_pick_up": "on",
        },
        user=family.user,
    )
    assert form.is_valid(), form.errors
    payload = form.payload()
    assert payload["can_pick_up"] is True
    assert payload["is_emergency_contact"] is False
    assert payload["mobile_phone"] == "06 10 20 30 40"
    assert form.household == family.household


def test_contact_change_is_prefilled_and_limited_to_the_familys_entourage(family, other_family):
    prefilled = ContactChangeForm(user=family.user, selected=family.contact)
    assert prefilled["first_name"].value() == family.contact.first_name
    assert prefilled["contact_choice"].value() == family.contact.pk

    form = ContactRemoveForm({"contact_choice": other_family.contact.pk}, user=family.user)
    assert errors(form) == {
        "contact_choice": [
            "Sélectionnez un choix valide. Ce choix ne fait pas partie de ceux disponibles."
        ]
    }


def test_absence_dates_must_be_in_order_and_recent(family):
    today = timezone.localdate()
    form = AbsenceForm(
        {
            "child_choice": family.child.pk,
            "starts_on": (today - datetime.timedelta(days=40)).isoformat(),
            "ends_on": (today - datetime.timedelta(days=45)).isoformat(),
            "reason": "illness",
        },
        user=family.user,
    )
    found = errors(form)
    assert found["ends_on"] == ["Le dernier jour d'absence ne peut pas précéder le premier."]
    assert found["starts_on"] == [
        "Une absence peut être signalée jusqu'à 31 jours après son début."
    ]


def test_absence_form_refuses_a_bad_date_and_an_unknown_reason(family):
    form = AbsenceForm(
        {
            "child_choice": family.child.pk,
            "starts_on": "31/02/2026",
            "ends_on": "2026-03-01",
            "reason": "party",
        },
        user=family.user,
    )
    found = errors(form)
    assert found["starts_on"] == ["Saisissez une date comme 14/03/2026."]
    assert "reason" in found


def test_a_valid_absence_gives_its_payload(family):
    today = timezone.localdate()
    form = AbsenceForm(
        {
            "child_choice": family.child.pk,
            "starts_on": today.isoformat(),
            "ends_on": (today + datetime.timedelta(days=2)).isoformat(),
            "reason": "family",
            "comment": "Mariage dans la famille",
        },
        user=family.user,
    )
    assert form.is_valid(), form.errors
    assert form.payload() == {
        "starts_on": today.isoformat(),
        "ends_on": (today + datetime.timedelta(days=2)).isoformat(),
        "reason": "family",
        "comment": "Mariage dans la famille",
    }
    assert form.child == family.child
    assert form.upload is None


def test_health_form_is_prefilled_with_the_current_information(family):
    family.child.allergies = "Lait de vache"
    family.child.save()
    form = HealthForm(user=family.user, selected=family.child)
    assert form["allergies"].value() == "Lait de vache"

    unchanged = HealthForm(
        {"child_choice": family.child.pk, "allergies": "Lait de vache"}, user=family.user
    )
    assert errors(unchanged) == {
        "__all__": ["Rien n'a changé : modifiez au moins une information."]
    }


def test_health_form_offers_only_the_familys_children(family, other_family):
    form = HealthForm(
        {"child_choice": other_family.child.pk, "allergies": "Arachide"}, user=family.user
    )
    assert "child_choice" in errors(form)


def test_a_document_needs_a_title_and_a_file(family):
    form = DocumentForm({}, {}, user=family.user)
    found = errors(form)
    assert found["title"] == ["Ce champ est obligatoire."]
    assert found["document"] == ["Ce champ est obligatoire."]


def test_a_message_needs_a_subject_and_a_text(family):
    form = MessageForm({"subject": "x" * 151}, user=family.user)
    found = errors(form)
    assert found["message"] == ["Ce champ est obligatoire."]
    assert found["subject"] == [
        "Assurez-vous que cette valeur comporte au plus 150 caractères (actuellement 151)."
    ]
