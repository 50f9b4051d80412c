"""A family's personal data (RGPD): everything the portal holds about its account and
households, for download (Art. 15), and the request to close the account (Art. 17).

The models are found by introspection (``portail.audit.services.household_paths``), so a
model added later with a path to the household is exported without touching this file."""

import datetime
import decimal
import uuid

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.translation import gettext as _

from portail.audit.models import AuditAction
from portail.audit.services import household_paths, record_event

from .models import AccountClosureRequest

# Never exported: secrets, and raw exchanges with payment services.
EXCLUDED_FIELDS = {"password", "token_hash", "bank_data", "key", "bin_key", "session_key"}
# Account-level models exported through their ``user`` foreign key (besides the households').
EXCLUDED_APPS = {"audit", "admin", "sessions", "contenttypes", "axes", "otp_totp", "auth"}
EXCLUDED_MODELS = {"accounts.accountlink"}
USER_FIELDS = [
    "username",
    "email",
    "first_name",
    "last_name",
    "language",
    "date_joined",
    "last_login",
    "password_changed_at",
]


class ClosureAlreadyRequested(Exception):
    """The account already has a closure request waiting for staff."""


def _masked(name: str, value):
    """IBAN-like values keep only their last four characters (ASVS 8.3.2 export, masked)."""
    if value and "iban" in name.lower():
        text = str(value).replace(" ", "")
        return "•••• " + text[-4:]
    return value


def _json_value(value):
    if isinstance(value, FieldFile):
        return value.name or None
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    return value


def _display_value(obj, field, value):
    if value is None or value == "":
        return "—"
    if field.choices:
        return getattr(obj, f"get_{field.name}_display")()
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, FieldFile):
        return value.name
    return str(value)


def _exported_fields(model):
    return [
        field
        for field in model._meta.concrete_fields
        if field.name not in EXCLUDED_FIELDS and not field.primary_key
    ]


def _user_models(user_model):
    """Models tied to the account itself (CGU acceptances, notification preferences…)."""
    found = []
    for model in apps.get_models():
        if model._meta.app_label in EXCLUDED_APPS or model._meta.label_lower in EXCLUDED_MODELS:
            continue
        if household_paths(model):
            continue
        for field in model._meta.concrete_fields:
            if field.many_to_one and field.related_model is user_model and field.name == "user":
                found.append(model)
                break
    return found


def _household_models():
    return [
        model
        for model in apps.get_models()
        if household_paths(model)
        and model._meta.app_label not in EXCLUDED_APPS
        and model._meta.label_lower not in EXCLUDED_MODELS
    ]


def _section(model, rows):
    fields = _exported_fields(model)
    return {
        "model": model._meta.label_lower,
        "title": str(model._meta.verbose_name_plural),
        "records": [
            {
                field.attname: _json_value(_masked(field.name, field.value_from_object(row)))
                for field in fields
            }
            for row in rows
        ],
        "readable": [
            [
                (
                    str(field.verbose_name),
                    _masked(field.name, _display_value(row, field, field.value_from_object(row))),
                )
                for field in fields
                if not field.many_to_one
            ]
            for row in rows
        ],
    }


def collect_personal_data(*, user) -> dict:
    """Everything about the account and its households: one query per model, whatever the
    amount of data. ``sections`` lists, per model, the raw records (JSON) and readable rows."""
    Household = apps.get_model("households", "Household")
    household_ids = list(Household.objects.for_user(user).values_list("pk", flat=True))
    sections = []
    for model in _household_models():
        condition = Q()
        for path in household_paths(model):
            condition |= Q(**{f"{path}__in": household_ids})
        rows = list(model._default_manager.filter(condition).distinct().order_by("pk"))
        if rows:
            sections.append(_section(model, rows))
    for model in _user_models(get_user_model()):
        rows = list(model._default_manager.filter(user=user).order_by("pk"))
        if rows:
            sections.append(_section(model, rows))
    return {
        "generated_at": timezone.now().isoformat(),
        "account": {name: _json_value(getattr(user, name)) for name in USER_FIELDS},
        "sections": sections,
    }


def export_personal_data(*, user, request=None, format: str) -> dict:
    """The data of ``collect_personal_data``, with the download recorded in the audit trail."""
    data = collect_personal_data(user=user)
    record_event(
        action=AuditAction.PERSONAL_DATA_EXPORT,
        request=request,
        actor=user,
        target=user,
        details={"format": format, "sections": len(data["sections"])},
    )
    return data


def as_json_document(data: dict) -> dict:
    """The machine-readable file: records keyed by model, without the readable rows."""
    return {
        "generated_at": data["generated_at"],
        "account": data["account"],
        "data": {section["model"]: section["records"] for section in data["sections"]},
    }


@transaction.atomic
def request_account_closure(*, user, household=None, reason: str = "", request=None):
    """Record the request for staff (who close the account and keep what accounting needs)
    and tell the service by e-mail. Raises ClosureAlreadyRequested if one is pending."""
    from portail.notifications.services import queue_email
    from portail.organisation.models import Organisation

    if AccountClosureRequest.objects.filter(
        user=user, status=AccountClosureRequest.Status.PENDING
    ).exists():
        raise ClosureAlreadyRequested
    closure = AccountClosureRequest.objects.create(
        user=user, household=household, reason=reason.strip()[:2000]
    )
    record_event(
        action=AuditAction.CLOSURE_REQUEST,
        request=request,
        actor=user,
        target=closure,
        household=household,
    )
    organisation = Organisation.current()
    if organisation.service_email:
        queue_email(
            kind="account_closure_request",
            to=organisation.service_email,
            context={"closure": closure, "identifier": user.username},
        )
    return closure


@transaction.atomic
def close_account(*, closure: AccountClosureRequest, handled_by) -> AccountClosureRequest:
    """Disable the account: no login, every session ends (the password hash changes), no
    more e-mails. Invoices, payments and the household stay until their retention ends."""
    closure = AccountClosureRequest.objects.select_for_update().get(pk=closure.pk)
    if closure.status != AccountClosureRequest.Status.PENDING:
        return closure
    user = closure.user
    if user is not None:
        user.is_active = False
        user.set_unusable_password()
        user.save(update_fields=["is_active", "password"])
    closure.status = AccountClosureRequest.Status.DONE
    closure.handled_by = handled_by
    closure.handled_at = timezone.now()
    closure.save(update_fields=["status", "handled_by", "handled_at"])
    return closure
