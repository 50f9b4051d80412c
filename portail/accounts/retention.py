"""The retention periods of docs/operations.md, applied by ``manage.py purge_expired_data``
(daily). What accounting still needs is anonymised rather than deleted; what nothing needs
is deleted. Every step is idempotent and reports counts only.

- Households whose last activity (last invoiced month, last login of a guardian, creation)
  is older than ``RETENTION_HOUSEHOLD_YEARS``: guardians, children and the household are
  anonymised (invoices keep the payer's name they were issued with), contacts,
  notifications, requests (with their attached files), absences and the household's
  history deleted, the accounts disabled and stripped of identity.
- Issued invoices older than ``RETENTION_INVOICE_YEARS`` are counted for the archives
  (public accounting documents are handed to the archives service, never deleted here).
- Audit events, login attempts and used or expired account links older than
  ``RETENTION_LOG_DAYS``; sent or failed outbox e-mails older than ``RETENTION_OUTBOX_DAYS``;
  expired sessions.
"""

import datetime
from dataclasses import dataclass

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from portail.audit.models import AuditAction, AuditEvent
from portail.audit.services import record_event

from .models import AccountLink

ANONYMISED = "Anonyme"


@dataclass
class PurgeLine:
    category: str
    due: int
    purged: int
    note: str = ""


def _years_ago(now, years: int) -> datetime.datetime:
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February
        return now.replace(year=now.year - years, day=28)


def expired_households(*, now=None):
    """Households with no activity since the cut-off and not anonymised yet."""
    Household = apps.get_model("households", "Household")
    now = now or timezone.now()
    cutoff = _years_ago(now, settings.RETENTION_HOUSEHOLD_YEARS)
    return (
        Household.objects.exclude(name=ANONYMISED)
        .filter(created_at__lt=cutoff)
        .annotate(
            last_invoiced_on=Max("invoices__period_on"),
            last_login_at=Max("guardians__user__last_login"),
        )
        .filter(Q(last_invoiced_on__isnull=True) | Q(last_invoiced_on__lt=cutoff.date()))
        .filter(Q(last_login_at__isnull=True) | Q(last_login_at__lt=cutoff))
    )


@transaction.atomic
def anonymise_household(household) -> None:
    Guardian = apps.get_model("households", "Guardian")
    Child = apps.get_model("households", "Child")
    Contact = apps.get_model("households", "Contact")
    Notification = apps.get_model("notifications", "Notification")
    User = apps.get_model("accounts", "User")

    guardians = Guardian.objects.filter(household=household)
    users = User.objects.filter(guardianships__household=household).distinct()
    for user in users:
        # A person who is also guardian of a household still active keeps the account.
        if (
            user.guardianships.exclude(household=household)
            .exclude(household__name=ANONYMISED)
            .exists()
        ):
            continue
        user.username = f"anonyme-{user.pk}"
        user.email = ""
        user.first_name = ""
        user.last_name = ""
        user.is_active = False
        user.set_unusable_password()
        user.save()
    blank = {
        "address_line1": "",
        "address_line2": "",
        "postal_code": "",
        "city": "",
    }
    guardians.update(
        first_name=ANONYMISED,
        last_name="",
        birth_date=None,
        mobile_phone="",
        home_phone="",
        work_phone="",
        email="",
        **blank,
    )
    for child in Child.objects.filter(households=household):
        if child.households.exclude(pk=household.pk).exclude(name=ANONYMISED).exists():
            continue
        child.first_name = ANONYMISED
        child.last_name = ""
        # The year stays, for the statistics NS-058 allows.
        child.birth_date = child.birth_date.replace(month=1, day=1)
        child.save(update_fields=["first_name", "last_name", "birth_date"])
    Contact.objects.filter(household=household).delete()
    Notification.objects.filter(household=household).delete()
    _delete_requests_and_history(household)
    household.name = ANONYMISED
    household.external_code = ""
    for field, value in blank.items():
        setattr(household, field, value)
    household.save()


def _delete_requests_and_history(household) -> None:
    """What the family wrote to the nursery (addresses, phones, messages, health updates,
    absences and their reasons, attached files) and the old → new values of its history:
    personal data that no accounting needs. A question about an invoice goes too; the
    invoice and its credit notes stay."""
    Request = apps.get_model("households", "Request")
    HouseholdChange = apps.get_model("households", "HouseholdChange")
    Absence = apps.get_model("households", "Absence")

    HouseholdChange.objects.filter(household=household).delete()
    Absence.objects.filter(household=household).delete()
    requests = Request.objects.filter(household=household)
    files = list(requests.exclude(attachment="").values_list("attachment", flat=True))
    # Only the ids are read: a payload that no key decrypts any more must not stop the purge.
    requests.only("pk").delete()
    storage = Request._meta.get_field("attachment").storage
    for name in files:
        # robust: a file that cannot be deleted is logged, not a failed purge.
        transaction.on_commit(lambda name=name: storage.delete(name), robust=True)


def anonymised_households_with_requests():
    """Households anonymised before requests, absences and history were deleted with them."""
    Household = apps.get_model("households", "Household")
    return (
        Household.objects.filter(name=ANONYMISED)
        .filter(Q(requests__isnull=False) | Q(changes__isnull=False) | Q(absences__isnull=False))
        .distinct()
    )


def _delete(queryset, dry_run: bool) -> tuple[int, int]:
    due = queryset.count()
    if dry_run or not due:
        return due, 0
    queryset.delete()
    return due, due


def purge_expired_data(*, dry_run: bool = False, now=None) -> list[PurgeLine]:
    now = now or timezone.now()
    lines = []

    households = list(expired_households(now=now))
    if not dry_run:
        for household in households:
            anonymise_household(household)
    lines.append(PurgeLine("households", len(households), 0 if dry_run else len(households)))
    leftovers = list(anonymised_households_with_requests())
    if not dry_run:
        for household in leftovers:
            with transaction.atomic():
                _delete_requests_and_history(household)
    lines.append(
        PurgeLine(
            "requests of anonymised households",
            len(leftovers),
            0 if dry_run else len(leftovers),
        )
    )

    Invoice = apps.get_model("billing", "Invoice")
    invoice_cutoff = _years_ago(now, settings.RETENTION_INVOICE_YEARS).date()
    old_invoices = Invoice.objects.filter(issued_on__lt=invoice_cutoff).count()
    lines.append(
        PurgeLine(
            "invoices",
            old_invoices,
            0,
            note="public accounting documents: export them for the archives service",
        )
    )

    log_cutoff = now - datetime.timedelta(days=settings.RETENTION_LOG_DAYS)
    lines.append(
        PurgeLine("audit events", *_delete(AuditEvent.objects.older_than(log_cutoff), dry_run))
    )
    for label, model in [
        ("login attempts", AccessAttempt),
        ("login failures", AccessFailureLog),
        ("login records", AccessLog),
    ]:
        lines.append(
            PurgeLine(label, *_delete(model.objects.filter(attempt_time__lt=log_cutoff), dry_run))
        )
    lines.append(
        PurgeLine(
            "account links",
            *_delete(
                AccountLink.objects.filter(expires_at__lt=log_cutoff),
                dry_run,
            ),
        )
    )

    OutgoingEmail = apps.get_model("notifications", "OutgoingEmail")
    outbox_cutoff = now - datetime.timedelta(days=settings.RETENTION_OUTBOX_DAYS)
    lines.append(
        PurgeLine(
            "outbox e-mails",
            *_delete(
                OutgoingEmail.objects.filter(created_at__lt=outbox_cutoff).exclude(
                    status=OutgoingEmail.Status.PENDING
                ),
                dry_run,
            ),
        )
    )
    lines.append(
        PurgeLine(
            "expired sessions", *_delete(Session.objects.filter(expire_date__lt=now), dry_run)
        )
    )

    if not dry_run:
        record_event(
            action=AuditAction.PURGE,
            details={line.category.replace(" ", "_"): line.purged for line in lines},
        )
    return lines
