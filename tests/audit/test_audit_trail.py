"""DATA-03: every login, failed login, logout, staff read or change of a household's data in
the back office and every export is in the audit trail — who, when, what, from where —
without the values themselves; administrators search it, nursery staff do not see it, and
rows never change."""

import datetime

import pytest
from django.db import DatabaseError, transaction
from django.test import Client
from django.urls import reverse

from portail.audit.models import AuditAction, AuditEvent
from portail.audit.services import record_event
from tests.backoffice.conftest import add_device, log_in_with_second_factor
from tests.factories import DEFAULT_PASSWORD, StaffUserFactory
from tests.portal.families import make_family
from tests.security.figures import record

from .helpers import form_data

ALLERGY = "Arachides-Kiwi-Sésame"


@pytest.fixture
def family():
    return make_family(name="Durand")


@pytest.fixture
def nursery_staff(family):
    user = StaffUserFactory(username="nadia.audit")
    family.nursery.staff.add(user)
    add_device(user)
    return user


@pytest.fixture
def administrator():
    user = StaffUserFactory(username="admin.audit", is_superuser=True)
    add_device(user)
    return user


def staff(user) -> Client:
    client = Client(REMOTE_ADDR="198.51.100.20")
    log_in_with_second_factor(client, user)
    return client


def events(action):
    return AuditEvent.objects.filter(action=action)


def test_logins_failed_logins_and_logouts_are_recorded(family):
    client = Client(REMOTE_ADDR="203.0.113.5")
    client.post(
        reverse("portal:login"), {"username": family.user.username, "password": "Mauvais-1"}
    )
    client.post(reverse("portal:login"), {"username": "inconnu", "password": "Mauvais-1"})
    client.post(
        reverse("portal:login"), {"username": family.user.username, "password": DEFAULT_PASSWORD}
    )
    client.post(reverse("portal:logout"))

    failed = list(events(AuditAction.LOGIN_FAILED).order_by("pk"))
    assert [(e.actor_id, e.details["known_account"]) for e in failed] == [
        (family.user.pk, True),
        (None, False),
    ]
    login = events(AuditAction.LOGIN).get()
    assert (login.actor_id, login.actor_label, login.ip_address) == (
        family.user.pk,
        family.user.username,
        "203.0.113.5",
    )
    assert events(AuditAction.LOGOUT).get().actor_id == family.user.pk
    # What was typed in the login field is never kept (a password typed there by mistake).
    assert not AuditEvent.objects.filter(actor_label="inconnu").exists()
    assert "Mauvais-1" not in str(list(AuditEvent.objects.values()))


def test_staff_reading_and_changing_a_childs_health_data_is_recorded_without_values(
    family, nursery_staff
):
    client = staff(nursery_staff)
    url = reverse("admin:households_child_change", args=[family.child.pk])
    page = client.get(url)
    assert page.status_code == 200
    read = events(AuditAction.VIEW).get()
    assert (read.actor_id, read.target_type, read.target_id, read.household_id) == (
        nursery_staff.pk,
        "households.child",
        str(family.child.reference),
        family.household.pk,
    )
    assert read.ip_address == "198.51.100.20"

    data = form_data(page, "child_form")
    data["allergies"] = ALLERGY
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    change = events(AuditAction.CHANGE).get(target_type="households.child")
    assert change.household_id == family.household.pk
    assert change.details["fields"] and all(
        ALLERGY not in field for field in change.details["fields"]
    )
    assert ALLERGY not in str(list(AuditEvent.objects.values()))


def test_staff_changes_to_a_household_are_recorded(family, nursery_staff):
    client = staff(nursery_staff)
    url = reverse("admin:households_household_change", args=[family.household.pk])
    data = form_data(client.get(url), "household_form")
    data["address_line1"] = "8 impasse Secrète"
    assert client.post(url, data).status_code == 302
    change = events(AuditAction.CHANGE).get(target_type="households.household")
    assert change.target_id == str(family.household.reference)
    assert "8 impasse Secrète" not in str(change.details)


def test_the_accounting_export_and_its_download_are_recorded(
    administrator, django_capture_on_commit_callbacks
):
    from tests.factories import InvoiceFactory

    regie = InvoiceFactory().regie
    client = staff(administrator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("backoffice:accounting-export"),
            {
                "regie": regie.pk,
                "kind": "invoices",
                "start_on": "2022-01-01",
                "end_on": "2022-01-31",
            },
        )
    assert response.status_code == 302
    export = events(AuditAction.EXPORT).get()
    assert (export.actor_id, export.target_type, export.details) == (
        administrator.pk,
        "jobs.job",
        {"kind": "invoices"},
    )
    assert client.get(response.headers["Location"] + "fichier/").status_code == 200
    assert events(AuditAction.DOWNLOAD).filter(target_id=export.target_id).exists()


def test_every_sensitive_action_of_a_scenario_is_recorded(family, nursery_staff, administrator):
    """The figure of SECURITY.md part 4: actions performed vs events written."""
    performed = 0
    client = Client()
    client.post(reverse("portal:login"), {"username": family.user.username, "password": "Faux-2"})
    performed += 1
    client.post(
        reverse("portal:login"), {"username": family.user.username, "password": DEFAULT_PASSWORD}
    )
    performed += 1
    client.post(reverse("portal:logout"))
    performed += 1
    reader = staff(nursery_staff)  # a staff login (the second factor checked)
    performed += 1
    for name, obj in [
        ("households_household_change", family.household),
        ("households_child_change", family.child),
        ("households_guardian_change", family.guardian),
    ]:
        assert reader.get(reverse(f"admin:{name}", args=[obj.pk])).status_code == 200
        performed += 1
    recorded = AuditEvent.objects.count()
    sensitive = [
        family.guardian.email,
        family.guardian.mobile_phone,
        family.child.first_name,
        DEFAULT_PASSWORD,
    ]
    dump = str(list(AuditEvent.objects.values()))
    hits = sum(dump.count(value) for value in sensitive)
    record(
        "audit",
        actions_performed=performed,
        events_written=recorded,
        sensitive_values_in_trail=hits,
    )
    assert recorded == performed
    assert hits == 0


def test_administrators_search_the_trail_by_household_and_actor(family, administrator):
    other = make_family(name="Lefort")
    record_event(action=AuditAction.VIEW, actor=administrator, target=family.child)
    record_event(action=AuditAction.VIEW, actor=administrator, target=other.child)
    client = staff(administrator)
    url = reverse("admin:audit_auditevent_changelist")
    page = client.get(url, {"q": "Famille Durand"}).content.decode()
    assert str(family.child.reference) in page
    assert str(other.child.reference) not in page
    page = client.get(url, {"q": "admin.audit"}).content.decode()
    assert str(other.child.reference) in page
    event = AuditEvent.objects.first()
    # Read-only: no change, no deletion, no addition.
    change = client.get(reverse("admin:audit_auditevent_change", args=[event.pk])).content.decode()
    assert 'name="_save"' not in change
    assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    assert (
        client.post(
            reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"}
        ).status_code
        == 403
    )


def test_nursery_staff_cannot_see_the_audit_trail(nursery_staff):
    client = staff(nursery_staff)
    assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == 403
    assert "/gestion/audit/" not in client.get(reverse("admin:index")).content.decode()


def test_audit_events_never_change(family):
    event = record_event(action=AuditAction.VIEW, target=family.child)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action=AuditAction.CHANGE)
    assert AuditEvent.objects.get(pk=event.pk).action == AuditAction.VIEW


def test_details_never_keep_sensitive_keys_or_long_text(family):
    event = record_event(
        action=AuditAction.CHANGE,
        target=family.guardian,
        details={
            "fields": ["IBAN"],
            "iban": "FR7630006000011234567890189",
            "password": "x",
            "note": "y" * 500,
        },
    )
    assert "iban" not in event.details and "password" not in event.details
    assert len(event.details["note"]) == 200


def test_the_family_sees_the_changes_staff_made_to_its_data(family, nursery_staff):
    client = staff(nursery_staff)
    url = reverse("admin:households_guardian_change", args=[family.guardian.pk])
    data = form_data(client.get(url), "guardian_form")
    data["mobile_phone"] = "06 99 99 99 99"
    assert client.post(url, data).status_code == 302
    other = make_family(name="Voisin")
    record_event(
        action=AuditAction.CHANGE,
        actor=nursery_staff,
        target=other.guardian,
        details={"fields": ["Adresse secrète"]},
    )

    family_client = Client()
    family_client.force_login(family.user)
    page = family_client.get(reverse("portal:my-data")).content.decode()
    assert "06 99 99 99 99" not in page
    assert "Adresse secrète" not in page
    assert AuditEvent.objects.filter(
        household_id=family.household.pk, action=AuditAction.CHANGE
    ).exists()
    assert page.count("<tr>") == 2  # the header and the one change


def test_purge_removes_events_older_than_the_retention_period(family, settings):
    from django.utils import timezone

    from portail.audit.services import purge_audit_events

    settings.RETENTION_LOG_DAYS = 365
    old = record_event(action=AuditAction.VIEW, target=family.child)
    AuditEvent.objects.filter(pk=old.pk).delete()
    AuditEvent.objects.create(
        action=AuditAction.VIEW, at=timezone.now() - datetime.timedelta(days=366)
    )
    AuditEvent.objects.create(
        action=AuditAction.VIEW, at=timezone.now() - datetime.timedelta(days=10)
    )
    cutoff = timezone.now() - datetime.timedelta(days=365)
    assert purge_audit_events(before=cutoff, dry_run=True) == 1
    assert purge_audit_events(before=cutoff) == 1
    assert AuditEvent.objects.count() == 1


def test_a_file_staff_download_from_the_back_office_is_recorded_with_its_household(
    family, nursery_staff
):
    """Generic: any attachment of a back-office page (here an invoice's PDF) is recorded,
    tied to the record and so to the household."""
    from tests.factories import InvoiceFactory
    from tests.portal.billing.conftest import store_pdf

    invoice = InvoiceFactory(household=family.household, payer=family.guardian)
    store_pdf(invoice, "pdf", b"%PDF-1.4\n% facture\n%%EOF\n")
    client = staff(nursery_staff)
    response = client.get(reverse("admin:billing_invoice_pdf", args=[invoice.pk]))
    assert response.status_code == 200
    download = events(AuditAction.DOWNLOAD).get()
    assert (download.target_type, download.target_id, download.household_id) == (
        "billing.invoice",
        str(invoice.reference),
        family.household.pk,
    )


def test_staff_reading_a_familys_request_in_the_staff_tools_is_recorded(family, nursery_staff):
    from tests.households.factories import submit_address_request

    request_row = submit_address_request(family)
    client = staff(nursery_staff)
    response = client.get(reverse("backoffice:request-detail", args=[request_row.reference]))
    assert response.status_code == 200
    read = events(AuditAction.VIEW).get()
    assert (read.target_id, read.household_id, read.actor_id) == (
        str(request_row.reference),
        family.household.pk,
        nursery_staff.pk,
    )
