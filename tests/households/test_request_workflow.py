"""A request's life through the services: sent (the nursery is e-mailed) → in progress →
accepted (the change lands in the household's data, with its history) or refused (with a
comment). No decision is ever taken twice."""

import datetime

import pytest
from django.db import IntegrityError, connection, transaction

from portail.households import services
from portail.households.models import (
    Absence,
    ChangeAction,
    Contact,
    HouseholdChange,
    Request,
    RequestKind,
    RequestStatus,
)
from portail.notifications.models import Notification, OutgoingEmail
from tests.factories import ContactFactory

from .factories import submit_absence_request, submit_address_request, submit_message


def test_a_new_request_is_sent_and_the_nursery_gets_an_email(family):
    request = submit_address_request(family)

    assert request.status == RequestStatus.SENT
    assert request.nursery == family.nursery
    email = OutgoingEmail.objects.get(kind="request_received")
    assert email.to == family.nursery.email
    assert "Famille Durand" in email.subject
    assert str(request.reference) in email.body_text
    # The e-mail says what kind of request arrived, never its content.
    assert "4 rue du Lac" not in email.body_text
    assert "4 rue du Lac" not in email.body_html


def test_a_request_about_a_child_goes_to_the_childs_nursery(family):
    from tests.factories import NurseryFactory

    other_nursery = NurseryFactory(name="Loptiou", email="loptiou@example.fr")
    family.child.nursery = other_nursery
    family.child.save()

    request = submit_absence_request(family)

    assert request.nursery == other_nursery
    assert OutgoingEmail.objects.get(kind="request_received").to == "loptiou@example.fr"


def test_taking_a_request_puts_it_in_progress_and_tells_the_family(family, nursery_staff):
    request = submit_message(family)

    taken = services.take_request(request=request, staff=nursery_staff)

    assert taken.status == RequestStatus.IN_PROGRESS
    assert taken.taken_by == nursery_staff
    assert taken.taken_at is not None
    notification = Notification.objects.get(recipient=family.user)
    assert notification.category == "request"
    assert str(request.reference) in notification.url


def test_a_request_cannot_be_taken_twice(family, nursery_staff):
    request = submit_message(family)
    services.take_request(request=request, staff=nursery_staff)

    with pytest.raises(services.RequestTransitionError, match="déjà été prise en charge"):
        services.take_request(request=request, staff=nursery_staff)


def test_accepting_an_address_change_applies_it_and_writes_the_history(family, nursery_staff):
    old_address = family.household.address_line1
    request = submit_address_request(family)

    services.accept_request(request=request, staff=nursery_staff)

    family.household.refresh_from_db()
    assert family.household.address_line1 == "4 rue du Lac"
    assert family.household.postal_code == "74960"
    assert family.household.city == "Cran-Gevrier"
    request.refresh_from_db()
    assert request.status == RequestStatus.ACCEPTED
    assert request.decided_by == nursery_staff
    rows = {row.field_name: row for row in HouseholdChange.objects.filter(request=request)}
    assert set(rows) == {"address_line1", "postal_code", "city"}
    assert rows["address_line1"].old_value == old_address
    assert rows["address_line1"].new_value == "4 rue du Lac"
    assert rows["address_line1"].changed_by == nursery_staff
    assert rows["address_line1"].household == family.household


def test_a_request_cannot_be_accepted_twice(family, nursery_staff):
    request = submit_address_request(family)
    services.accept_request(request=request, staff=nursery_staff)
    history = HouseholdChange.objects.count()

    with pytest.raises(
        services.RequestTransitionError, match="ne peut pas être acceptée à nouveau"
    ):
        services.accept_request(request=request, staff=nursery_staff)
    assert HouseholdChange.objects.count() == history


def test_a_refused_request_cannot_be_accepted(family, nursery_staff):
    request = submit_address_request(family)
    services.refuse_request(request=request, staff=nursery_staff, comment="Adresse incomplète.")

    with pytest.raises(services.RequestTransitionError):
        services.accept_request(request=request, staff=nursery_staff)
    family.household.refresh_from_db()
    assert family.household.address_line1 != "4 rue du Lac"


def test_refusing_needs_a_comment(family, nursery_staff):
    request = submit_address_request(family)

    with pytest.raises(services.RequestTransitionError, match="Indiquez pourquoi"):
        services.refuse_request(request=request, staff=nursery_staff, comment="   ")
    request.refresh_from_db()
    assert request.status == RequestStatus.SENT


def test_the_database_refuses_a_refusal_without_a_comment(family):
    request = submit_message(family)
    with pytest.raises(IntegrityError), transaction.atomic():
        Request.objects.filter(pk=request.pk).update(
            status=RequestStatus.REFUSED, decided_at=request.submitted_at
        )


def test_refusing_keeps_the_comment_for_the_family(family, nursery_staff):
    request = submit_address_request(family)

    services.refuse_request(
        request=request, staff=nursery_staff, comment="Merci de joindre un justificatif."
    )

    request.refresh_from_db()
    assert request.status == RequestStatus.REFUSED
    assert request.staff_comment == "Merci de joindre un justificatif."
    assert Notification.objects.filter(recipient=family.user, category="request").exists()


def test_accepting_phones_and_email_changes_the_guardian(family, nursery_staff):
    request = services.submit_request(
        household=family.household,
        kind=RequestKind.CONTACT_DETAILS,
        submitted_by=family.user,
        guardian=family.guardian,
        payload={
            "mobile_phone": "07 11 22 33 44",
            "home_phone": "",
            "work_phone": "",
            "email": "marie.durand@nouveau.example.fr",
        },
    )

    services.accept_request(request=request, staff=nursery_staff)

    family.guardian.refresh_from_db()
    assert family.guardian.mobile_phone == "07 11 22 33 44"
    assert family.guardian.email == "marie.durand@nouveau.example.fr"
    fields = set(
        HouseholdChange.objects.filter(request=request).values_list("field_name", flat=True)
    )
    assert {"mobile_phone", "email"} <= fields


def test_accepting_a_new_contact_adds_them_with_their_flags(family, nursery_staff):
    request = services.submit_request(
        household=family.household,
        kind=RequestKind.CONTACT_ADD,
        submitted_by=family.user,
        payload={
            "first_name": "Paul",
            "last_name": "Girard",
            "relationship": "voisin",
            "mobile_phone": "06 10 20 30 40",
            "other_phone": "",
            "can_pick_up": True,
            "is_emergency_contact": False,
        },
    )

    services.accept_request(request=request, staff=nursery_staff)

    paul = Contact.objects.get(household=family.household, first_name="Paul")
    assert paul.can_pick_up is True
    assert paul.is_emergency_contact is False
    row = HouseholdChange.objects.get(request=request)
    assert row.action == ChangeAction.ADDED
    assert row.object_label == "Paul Girard"


def test_accepting_a_contact_change_and_a_removal(family, nursery_staff):
    neighbour = ContactFactory(
        household=family.household, first_name="Zoé", last_name="Roux", can_pick_up=False
    )
    change = services.submit_request(
        household=family.household,
        kind=RequestKind.CONTACT_CHANGE,
        submitted_by=family.user,
        contact=neighbour,
        payload={
            "first_name": "Zoé",
            "last_name": "Roux",
            "relationship": "voisine",
            "mobile_phone": "06 98 76 54 32",
            "other_phone": "",
            "can_pick_up": True,
            "is_emergency_contact": True,
        },
    )
    services.accept_request(request=change, staff=nursery_staff)
    neighbour.refresh_from_db()
    assert neighbour.can_pick_up is True
    assert neighbour.relationship == "voisine"
    pick_up = HouseholdChange.objects.get(request=change, field_name="can_pick_up")
    assert (pick_up.old_value, pick_up.new_value) == ("✗", "✓")

    removal = services.submit_request(
        household=family.household,
        kind=RequestKind.CONTACT_REMOVE,
        submitted_by=family.user,
        contact=neighbour,
        payload={},
    )
    services.accept_request(request=removal, staff=nursery_staff)
    assert not Contact.objects.filter(pk=neighbour.pk).exists()
    row = HouseholdChange.objects.get(request=removal)
    assert (row.action, row.object_label) == (ChangeAction.REMOVED, "Zoé Roux")
    removal.refresh_from_db()
    assert removal.contact is None  # the request stays, its contact is gone


def test_a_removal_of_a_contact_already_gone_cannot_be_accepted(family, nursery_staff):
    contact = ContactFactory(household=family.household)
    removal = services.submit_request(
        household=family.household,
        kind=RequestKind.CONTACT_REMOVE,
        submitted_by=family.user,
        contact=contact,
        payload={},
    )
    contact.delete()

    with pytest.raises(services.RequestTransitionError, match="ne fait plus partie de l'entourage"):
        services.accept_request(request=removal, staff=nursery_staff)


def test_accepting_an_absence_records_it(family, nursery_staff):
    request = submit_absence_request(family, starts_on="2026-03-02", ends_on="2026-03-04")

    services.accept_request(request=request, staff=nursery_staff)

    absence = Absence.objects.get(request=request)
    assert absence.child == family.child
    assert absence.household == family.household
    assert (absence.starts_on, absence.ends_on) == (
        datetime.date(2026, 3, 2),
        datetime.date(2026, 3, 4),
    )
    assert absence.reason == "illness"
    assert absence.recorded_by == nursery_staff


def test_accepting_health_information_keeps_it_encrypted_and_out_of_the_history(
    family, nursery_staff
):
    request = services.submit_request(
        household=family.household,
        kind=RequestKind.HEALTH,
        submitted_by=family.user,
        child=family.child,
        payload={
            "allergies": "Arachide, kiwi",
            "doctor": "Dr Morel 04 50 11 11 11",
            "pai": "Stylo d'adrénaline",
        },
    )

    services.accept_request(request=request, staff=nursery_staff)

    family.child.refresh_from_db()
    assert family.child.allergies == "Arachide, kiwi"
    assert family.child.pai == "Stylo d'adrénaline"
    assert family.child.health_updated_at is not None
    row = HouseholdChange.objects.get(request=request)
    assert row.action == ChangeAction.HEALTH_UPDATED
    assert (row.field_name, row.old_value, row.new_value) == ("", "", "")

    # Read straight from the database: no plaintext anywhere, neither on the child nor in
    # the stored request.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT allergies, doctor, pai FROM households_child WHERE id = %s",
            [family.child.pk],
        )
        stored = cursor.fetchone()
        cursor.execute("SELECT payload_text FROM households_request WHERE id = %s", [request.pk])
        stored += cursor.fetchone()
        cursor.execute("SELECT old_value, new_value FROM households_householdchange")
        stored += tuple(value for row in cursor.fetchall() for value in row)
    raw = " ".join(str(value) for value in stored)
    for secret in ["Arachide", "kiwi", "Morel", "adrénaline"]:
        assert secret not in raw
    assert all(value.startswith("fernet:") for value in stored[:4])


def test_the_database_refuses_health_values_in_the_history(family):
    with pytest.raises(IntegrityError), transaction.atomic():
        HouseholdChange.objects.create(
            household=family.household,
            changed_at=family.household.created_at,
            action=ChangeAction.HEALTH_UPDATED,
            object_type="child",
            object_label="Léa",
            new_value="Arachide",
        )


def test_accepting_a_message_changes_nothing_in_the_household(family, nursery_staff):
    request = submit_message(family)

    services.accept_request(request=request, staff=nursery_staff, comment="Bien noté.")

    request.refresh_from_db()
    assert request.status == RequestStatus.ACCEPTED
    assert request.staff_comment == "Bien noté."
    assert not HouseholdChange.objects.exists()
