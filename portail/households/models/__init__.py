"""Households, their members and entourage (household.py), the requests families send to the
nursery (requests.py) and the household's history of changes (history.py)."""

from .history import ChangeAction, ChangedObject, HouseholdChange
from .household import (
    Child,
    ChildQuerySet,
    Civility,
    Contact,
    Guardian,
    Household,
    HouseholdChild,
    HouseholdQuerySet,
    PersonQuerySet,
)
from .requests import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    Absence,
    AbsenceReason,
    Request,
    RequestKind,
    RequestStatus,
)

__all__ = [
    "CLOSED_STATUSES",
    "OPEN_STATUSES",
    "Absence",
    "AbsenceReason",
    "ChangeAction",
    "ChangedObject",
    "Child",
    "ChildQuerySet",
    "Civility",
    "Contact",
    "Guardian",
    "Household",
    "HouseholdChange",
    "HouseholdChild",
    "HouseholdQuerySet",
    "PersonQuerySet",
    "Request",
    "RequestKind",
    "RequestStatus",
]
