"""Writing the audit trail, and knowing which records are a household's personal data."""

import json
from functools import cache

from django.apps import apps

from .models import AuditAction as AuditAction  # re-exported: callers import both from here
from .models import AuditEvent

# Words that must never appear as a key or value of ``details``: the trail says which fields
# changed, never what they hold.
SENSITIVE_WORDS = ("password", "iban", "bic", "token", "secret", "otp", "card")
# Apps whose models are never a household's data, even when they point at one: the trail
# itself, sessions, Django's own logs.
NOT_HOUSEHOLD_DATA_APPS = {
    "audit",
    "admin",
    "sessions",
    "contenttypes",
    "axes",
    "django_tasks_database",
}


def household_model():
    return apps.get_model("households", "Household")


@cache
def household_paths(model) -> tuple[str, ...]:
    """How to reach the household(s) from a row of ``model``: the lookups (e.g.
    ``("household",)``, ``("households",)``, ``("payer__household",)``) found by following
    foreign keys and many-to-many fields at most two steps. Empty: not household data."""
    household = household_model()
    if model is household:
        return ("pk",)
    if model._meta.app_label in NOT_HOUSEHOLD_DATA_APPS:
        return ()
    direct, indirect = [], []
    for field in model._meta.get_fields():
        if not (field.many_to_one or field.many_to_many or field.one_to_one) or field.auto_created:
            continue
        related = field.related_model
        if related is None:
            continue
        if related is household:
            direct.append(field.name)
            continue
        if related._meta.app_label in NOT_HOUSEHOLD_DATA_APPS or related is model:
            continue
        for sub in related._meta.get_fields():
            if (
                (sub.many_to_one or sub.many_to_many or sub.one_to_one)
                and not sub.auto_created
                and sub.related_model is household
            ):
                indirect.append(f"{field.name}__{sub.name}")
    return tuple(direct or indirect)


def is_household_data(model) -> bool:
    return model is get_user_model_class() or bool(household_paths(model))


def get_user_model_class():
    from django.contrib.auth import get_user_model

    return get_user_model()


def household_data_models() -> list:
    """Every installed model holding a household's data (the export and the audit use it)."""
    return [model for model in apps.get_models() if household_paths(model)]


def find_household_record(reference):
    """The household-data row with this ``reference`` (UUID), whatever its model, or None."""
    if not reference:
        return None
    for model in household_data_models():
        if "reference" in {field.name for field in model._meta.concrete_fields}:
            row = model._default_manager.filter(reference=reference).first()
            if row is not None:
                return row
    return None


def household_of(obj):
    """The (first) household a record belongs to, or None."""
    if obj is None:
        return None
    household = household_model()
    if isinstance(obj, household):
        return obj
    if isinstance(obj, get_user_model_class()):
        guardianship = obj.guardianships.select_related("household").first()
        return guardianship.household if guardianship else None
    for path in household_paths(type(obj)):
        return household.objects.filter(
            pk__in=type(obj)._default_manager.filter(pk=obj.pk).values(f"{path}__pk")
        ).first()
    return None


def clean_details(details: dict | None) -> dict:
    """Keep only harmless keys: a sensitive word in a key drops the key, and values are
    lists of field names, counts or short codes (never free text)."""
    cleaned = {}
    for key, value in (details or {}).items():
        if any(word in key.lower() for word in SENSITIVE_WORDS):
            continue
        if isinstance(value, (list, tuple)):
            value = [str(item)[:100] for item in value][:50]
        elif not isinstance(value, (int, float, bool)) and value is not None:
            value = str(value)[:200]
        cleaned[key] = value
    return cleaned


def target_reference(obj) -> str:
    return str(getattr(obj, "reference", None) or obj.pk)


def record_event(
    *,
    action: str,
    request=None,
    actor=None,
    target=None,
    target_type: str = "",
    target_id: str = "",
    household=None,
    details: dict | None = None,
) -> AuditEvent:
    """Record one event. ``request`` gives the actor (if logged in) and the client's IP
    address; ``target`` gives the record's type, reference and household."""
    from portail.accounts.backends import client_ip_address

    ip_address = client_ip_address(request) if request is not None else None
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            actor = user
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or target_reference(target)
        if household is None:
            household = household_of(target)
    if request is not None:
        # The middleware records a download only when the view did not record it itself.
        request.audit_recorded = True
    return AuditEvent.objects.create(
        actor=actor,
        actor_label=actor.get_username() if actor is not None else "",
        is_staff_actor=bool(actor is not None and actor.is_staff),
        action=action,
        target_type=target_type,
        target_id=str(target_id)[:64],
        household=household,
        ip_address=ip_address,
        details=clean_details(details),
    )


def changed_field_names(change_message: str) -> list[str]:
    """The field names of an admin change message (LogEntry's JSON), without values."""
    try:
        messages = json.loads(change_message or "[]")
    except ValueError:
        return []
    names = []
    for message in messages if isinstance(messages, list) else []:
        for kind in ("changed", "added", "deleted"):
            body = message.get(kind) if isinstance(message, dict) else None
            if isinstance(body, dict):
                names.extend(body.get("fields", []))
                if body.get("name"):
                    names.append(str(body["name"]))
    return names


def purge_audit_events(*, before, dry_run: bool = False) -> int:
    events = AuditEvent.objects.older_than(before)
    if dry_run:
        return events.count()
    deleted, _per_model = events.delete()
    return deleted
