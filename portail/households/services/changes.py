"""Changes to a household's data, each written with its history rows (HouseholdChange): who,
when, which field, old → new. Health information is the exception: the history only says it
was updated, never what it says.

Called by an accepted request (services/requests.py) and by the back office's edits."""

from django.db import transaction
from django.utils import timezone

from ..models import (
    Absence,
    ChangeAction,
    ChangedObject,
    Child,
    Contact,
    Guardian,
    Household,
    HouseholdChange,
)

ADDRESS_FIELDS = ["address_line1", "address_line2", "postal_code", "city"]
GUARDIAN_CONTACT_FIELDS = ["mobile_phone", "home_phone", "work_phone", "email"]
CONTACT_FIELDS = [
    "first_name",
    "last_name",
    "relationship",
    "mobile_phone",
    "other_phone",
    "can_pick_up",
    "is_emergency_contact",
]
HEALTH_FIELDS = ["allergies", "doctor", "pai"]
HISTORY_VALUE_LENGTH = 255


def _shown(value) -> str:
    """A value as the history keeps it: booleans as yes/no marks, text cut to the column."""
    if isinstance(value, bool):
        return "✓" if value else "✗"
    return ("" if value is None else str(value))[:HISTORY_VALUE_LENGTH]


def _history(*, household, changed_by, request, action, object_type, object_label, **values):
    return HouseholdChange(
        household=household,
        changed_at=timezone.now(),
        changed_by=changed_by,
        request=request,
        action=action,
        object_type=object_type,
        object_label=str(object_label)[:200],
        **values,
    )


def _apply_fields(obj, values: dict, allowed: list[str]) -> list[tuple[str, object, object]]:
    """Set the allowed fields that differ; return (field, old, new) for each one changed."""
    changed = []
    for name in allowed:
        if name not in values:
            continue
        old, new = getattr(obj, name), values[name]
        if old != new:
            setattr(obj, name, new)
            changed.append((name, old, new))
    return changed


def _field_changes(*, household, changed_by, request, object_type, object_label, changed):
    return [
        _history(
            household=household,
            changed_by=changed_by,
            request=request,
            action=ChangeAction.CHANGED,
            object_type=object_type,
            object_label=object_label,
            field_name=name,
            old_value=_shown(old),
            new_value=_shown(new),
        )
        for name, old, new in changed
    ]


@transaction.atomic
def update_household_address(
    *, household: Household, changed_by, request=None, **address
) -> Household:
    """The household's postal address (``address_line1``, ``address_line2``, ``postal_code``,
    ``city``); fields not given are kept."""
    household = Household.objects.select_for_update().get(pk=household.pk)
    changed = _apply_fields(household, address, ADDRESS_FIELDS)
    if changed:
        household.save(update_fields=[name for name, _old, _new in changed])
        HouseholdChange.objects.bulk_create(
            _field_changes(
                household=household,
                changed_by=changed_by,
                request=request,
                object_type=ChangedObject.HOUSEHOLD,
                object_label=household.name,
                changed=changed,
            )
        )
    return household


@transaction.atomic
def update_guardian_contact_details(
    *, guardian: Guardian, changed_by, request=None, **details
) -> Guardian:
    """A guardian's phones and e-mail (``mobile_phone``, ``home_phone``, ``work_phone``,
    ``email``). The e-mail is where the family's notifications go, not the login, which the
    guardian changes themselves."""
    guardian = Guardian.objects.select_for_update().select_related("household").get(pk=guardian.pk)
    changed = _apply_fields(guardian, details, GUARDIAN_CONTACT_FIELDS)
    if changed:
        guardian.save(update_fields=[name for name, _old, _new in changed])
        HouseholdChange.objects.bulk_create(
            _field_changes(
                household=guardian.household,
                changed_by=changed_by,
                request=request,
                object_type=ChangedObject.GUARDIAN,
                object_label=str(guardian),
                changed=changed,
            )
        )
    return guardian


@transaction.atomic
def add_contact(*, household: Household, changed_by, request=None, **fields) -> Contact:
    contact = Contact.objects.create(
        household=household, **{name: fields[name] for name in CONTACT_FIELDS if name in fields}
    )
    _history(
        household=household,
        changed_by=changed_by,
        request=request,
        action=ChangeAction.ADDED,
        object_type=ChangedObject.CONTACT,
        object_label=str(contact),
        new_value=_shown(contact.relationship),
    ).save()
    return contact


@transaction.atomic
def change_contact(*, contact: Contact, changed_by, request=None, **fields) -> Contact:
    contact = Contact.objects.select_for_update().select_related("household").get(pk=contact.pk)
    label = str(contact)
    changed = _apply_fields(contact, fields, CONTACT_FIELDS)
    if changed:
        contact.save(update_fields=[name for name, _old, _new in changed])
        HouseholdChange.objects.bulk_create(
            _field_changes(
                household=contact.household,
                changed_by=changed_by,
                request=request,
                object_type=ChangedObject.CONTACT,
                object_label=label,
                changed=changed,
            )
        )
    return contact


@transaction.atomic
def remove_contact(*, contact: Contact, changed_by, request=None) -> None:
    contact = Contact.objects.select_for_update().select_related("household").get(pk=contact.pk)
    _history(
        household=contact.household,
        changed_by=changed_by,
        request=request,
        action=ChangeAction.REMOVED,
        object_type=ChangedObject.CONTACT,
        object_label=str(contact),
        old_value=_shown(contact.relationship),
    ).save()
    contact.delete()


@transaction.atomic
def update_health_information(
    *, child: Child, changed_by, request=None, households=None, **health
) -> Child:
    """The child's allergies, doctor and PAI (encrypted columns). The history of each of the
    child's households (or of ``households``) says « health information updated », without
    any value."""
    child = Child.objects.select_for_update().get(pk=child.pk)
    changed = _apply_fields(child, health, HEALTH_FIELDS)
    if changed:
        child.health_updated_at = timezone.now()
        child.save(update_fields=[*(name for name, _old, _new in changed), "health_updated_at"])
        households = list(households) if households is not None else list(child.households.all())
        HouseholdChange.objects.bulk_create(
            _history(
                household=household,
                changed_by=changed_by,
                request=request,
                action=ChangeAction.HEALTH_UPDATED,
                object_type=ChangedObject.CHILD,
                object_label=str(child),
            )
            for household in households
        )
    return child


@transaction.atomic
def record_absence(
    *,
    child: Child,
    household: Household,
    starts_on,
    ends_on,
    reason,
    has_certificate=False,
    recorded_by,
    request=None,
) -> Absence:
    return Absence.objects.create(
        child=child,
        household=household,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=reason,
        has_certificate=has_certificate,
        recorded_by=recorded_by,
        request=request,
    )


def record_staff_edit(
    *,
    household: Household,
    changed_by,
    object_type,
    object_label,
    changed=(),
    action=ChangeAction.CHANGED,
) -> list[HouseholdChange]:
    """History rows for an edit saved by the back office's forms (which write the row
    themselves): ``changed`` is [(field, old, new)] for a change; an added or removed person,
    or updated health information, is one row without values."""
    if action == ChangeAction.CHANGED:
        rows = _field_changes(
            household=household,
            changed_by=changed_by,
            request=None,
            object_type=object_type,
            object_label=object_label,
            changed=changed,
        )
    else:
        rows = [
            _history(
                household=household,
                changed_by=changed_by,
                request=None,
                action=action,
                object_type=object_type,
                object_label=object_label,
            )
        ]
    return HouseholdChange.objects.bulk_create(rows)
