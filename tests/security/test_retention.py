"""DATA-05: `manage.py purge_expired_data` anonymises households past their retention
period, deletes old logs and e-mails, keeps invoices for the archives; --dry-run only
counts, and a second run finds nothing left to do."""

import datetime
from io import StringIO

import pytest
import time_machine
from axes.models import AccessAttempt
from django.core.management import call_command
from django.utils import timezone

from portail.accounts.models import User
from portail.accounts.retention import ANONYMISED, expired_households, purge_expired_data
from portail.audit.models import AuditAction, AuditEvent
from portail.households.models import Child, Contact, Guardian, Household
from portail.notifications.models import OutgoingEmail
from tests.factories import InvoiceFactory
from tests.portal.families import make_family

from .figures import record

NOW = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.UTC)


def days_ago(days):
    return NOW - datetime.timedelta(days=days)


@pytest.fixture
def scenario():
    """One household gone for 3 years and a day, one still active, old and recent logs."""
    with time_machine.travel(days_ago(5 * 365), tick=False):
        gone = make_family(name="Partie")
        active = make_family(name="Restee")
    Household.objects.filter(pk__in=[gone.household.pk, active.household.pk]).update(
        created_at=days_ago(5 * 365)
    )
    InvoiceFactory(
        household=gone.household, payer=gone.guardian, period_on=datetime.date(2023, 5, 1)
    )
    InvoiceFactory(
        household=active.household, payer=active.guardian, period_on=datetime.date(2026, 5, 1)
    )
    User.objects.filter(pk=gone.user.pk).update(last_login=days_ago(3 * 365 + 2))
    with time_machine.travel(days_ago(400), tick=False):
        AuditEvent.objects.create(action=AuditAction.VIEW, at=days_ago(400))
        AccessAttempt.objects.create(
            username="x",
            ip_address="192.0.2.1",
            user_agent="t",
            http_accept="t",
            path_info="/",
            get_data="",
            post_data="",
            failures_since_start=1,
        )
    AuditEvent.objects.create(action=AuditAction.VIEW, at=days_ago(10))
    OutgoingEmail.objects.create(
        kind="password_reset",
        to="a@example.fr",
        from_email="n@example.fr",
        subject="s",
        body_text="b",
        status=OutgoingEmail.Status.SENT,
        created_at=days_ago(400),
    )
    OutgoingEmail.objects.create(
        kind="password_reset",
        to="b@example.fr",
        from_email="n@example.fr",
        subject="s",
        body_text="b",
        status=OutgoingEmail.Status.SENT,
        created_at=days_ago(5),
    )
    return gone, active


def old_address_change(household, *, new_value):
    """A line of the household's history four years ago: its address, old → new."""
    from portail.households.models import HouseholdChange

    return HouseholdChange.objects.create(
        household=household,
        changed_at=days_ago(4 * 365),
        action="changed",
        object_type="household",
        object_label=household.name,
        field_name="address_line1",
        old_value="3 rue des Lilas",
        new_value=new_value,
    )


def test_dry_run_counts_without_changing_anything(scenario):
    gone, _active = scenario
    out = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("purge_expired_data", "--dry-run", stdout=out)
    text = out.getvalue()
    assert "Dry run" in text
    assert "households: due 1, purged 0" in text
    assert "audit events: due 1, purged 0" in text
    assert "outbox e-mails: due 1, purged 0" in text
    assert Household.objects.get(pk=gone.household.pk).name == "Famille Partie"


def test_the_purge_anonymises_what_is_due_and_keeps_the_rest(scenario):
    gone, active = scenario
    with time_machine.travel(NOW, tick=False):
        lines = purge_expired_data()
        again = purge_expired_data()
    by_category = {line.category: line for line in lines}
    record(
        "retention",
        **{f"{line.category.replace(' ', '_')}_due": line.due for line in lines},
        **{f"{line.category.replace(' ', '_')}_purged": line.purged for line in lines},
    )
    for category in ("households", "audit events", "login attempts", "outbox e-mails"):
        assert by_category[category].due == by_category[category].purged == 1, category

    household = Household.objects.get(pk=gone.household.pk)
    assert household.name == ANONYMISED and household.address_line1 == ""
    guardian = Guardian.objects.get(pk=gone.guardian.pk)
    assert (guardian.first_name, guardian.last_name, guardian.email, guardian.mobile_phone) == (
        ANONYMISED,
        "",
        "",
        "",
    )
    child = Child.objects.get(pk=gone.child.pk)
    assert (child.first_name, child.birth_date) == (ANONYMISED, datetime.date(2023, 1, 1))
    assert not Contact.objects.filter(household=household).exists()
    user = User.objects.get(pk=gone.user.pk)
    assert not user.is_active and user.email == "" and user.username == f"anonyme-{user.pk}"
    # Accounting keeps the invoice as issued.
    assert household.invoices.count() == 1
    # The active household, recent logs and e-mails stay.
    assert Household.objects.get(pk=active.household.pk).name == "Famille Restee"
    assert User.objects.get(pk=active.user.pk).is_active
    assert AuditEvent.objects.filter(action=AuditAction.VIEW).count() == 1
    assert OutgoingEmail.objects.filter(to="b@example.fr").exists()
    assert not OutgoingEmail.objects.filter(to="a@example.fr").exists()
    # Idempotent, and the purge itself is in the trail with counts only.
    assert all(line.due == 0 for line in again if line.category != "invoices")
    purge = AuditEvent.objects.filter(action=AuditAction.PURGE).last()
    assert purge.details["households"] == 1


def test_a_household_with_recent_activity_is_not_due(scenario):
    _gone, active = scenario
    with time_machine.travel(NOW, tick=False):
        assert active.household not in expired_households()
    with time_machine.travel(NOW + datetime.timedelta(days=3 * 366 + 60), tick=False):
        assert active.household in expired_households(now=timezone.now())


def test_the_purge_deletes_what_the_family_wrote_and_its_history(
    scenario, django_capture_on_commit_callbacks
):
    """Requests hold addresses, phones, messages, health updates and attached files; the
    history holds old → new values; absences their reasons: none of it is kept once the
    household is anonymised. The invoice a question was about stays."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from portail.billing.models import Invoice
    from portail.households.models import (
        Absence,
        AbsenceReason,
        HouseholdChange,
        Request,
        RequestKind,
    )
    from portail.households.services import submit_request

    gone, active = scenario
    with time_machine.travel(days_ago(4 * 365), tick=False):
        message = submit_request(
            household=gone.household,
            kind=RequestKind.MESSAGE,
            submitted_by=gone.user,
            payload={"subject": "Allergie", "message": "Léa ne supporte plus le lait."},
        )
        message.attachment.save("certificat.pdf", ContentFile(b"%PDF-1.4 certificat"))
        question = submit_request(
            household=gone.household,
            kind=RequestKind.INVOICE,
            submitted_by=gone.user,
            payload={"message": "Trop d'heures en mai."},
            invoice=gone.household.invoices.get(),
        )
        old_address_change(gone.household, new_value="5 avenue des Tilleuls")
        Absence.objects.create(
            child=gone.child,
            household=gone.household,
            starts_on=datetime.date(2022, 5, 2),
            ends_on=datetime.date(2022, 5, 6),
            reason=AbsenceReason.ILLNESS,
        )
        kept = submit_request(
            household=active.household,
            kind=RequestKind.MESSAGE,
            submitted_by=active.user,
            payload={"subject": "Bonjour", "message": "Merci."},
        )
    attachment = message.attachment.name
    assert default_storage.exists(attachment)

    with django_capture_on_commit_callbacks(execute=True), time_machine.travel(NOW, tick=False):
        purge_expired_data()

    assert not Request.objects.filter(household=gone.household).exists()
    assert not HouseholdChange.objects.filter(household=gone.household).exists()
    assert not Absence.objects.filter(household=gone.household).exists()
    assert not default_storage.exists(attachment)
    assert Invoice.objects.filter(pk=question.invoice_id).exists()
    assert Request.objects.filter(pk=kept.pk).exists()


def test_households_anonymised_earlier_lose_their_requests_at_the_next_purge(scenario):
    """A household anonymised by an earlier version (which kept requests and history) is
    cleaned at the next purge; the line says how many, and a second purge finds none."""
    from portail.accounts.retention import anonymise_household
    from portail.households.models import HouseholdChange, Request, RequestKind
    from portail.households.services import submit_request

    gone, _active = scenario
    submit_request(
        household=gone.household,
        kind=RequestKind.MESSAGE,
        submitted_by=gone.user,
        payload={"subject": "Adresse", "message": "Nous déménageons au 5 rue des Lilas."},
    )
    anonymise_household(Household.objects.get(pk=gone.household.pk))
    # As an earlier version left it: anonymised, its request and history still there.
    Request.objects.create(
        household=gone.household,
        kind=RequestKind.MESSAGE,
        payload={"subject": "Santé", "message": "Allergie au lait."},
        submitted_at=days_ago(4 * 365),
    )
    old_address_change(gone.household, new_value="5 rue des Lilas")

    with time_machine.travel(NOW, tick=False):
        dry = {line.category: line for line in purge_expired_data(dry_run=True)}
        first = {line.category: line for line in purge_expired_data()}
        again = {line.category: line for line in purge_expired_data()}

    category = "requests of anonymised households"
    assert (dry[category].due, dry[category].purged) == (1, 0)
    assert (first[category].due, first[category].purged) == (1, 1)
    assert (again[category].due, again[category].purged) == (0, 0)
    assert not Request.objects.filter(household=gone.household).exists()
    assert not HouseholdChange.objects.filter(household=gone.household).exists()
