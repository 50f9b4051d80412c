"""Every write about households made outside the admin: the paperless choice (paperless.py),
changes to the household's data with their history (changes.py) and the families' requests
(requests.py)."""

from .changes import (
    add_contact,
    change_contact,
    record_absence,
    record_staff_edit,
    remove_contact,
    update_guardian_contact_details,
    update_health_information,
    update_household_address,
)
from .paperless import set_paperless_invoices
from .requests import (
    RequestTransitionError,
    accept_request,
    refuse_request,
    submit_request,
    take_request,
)

__all__ = [
    "RequestTransitionError",
    "accept_request",
    "add_contact",
    "change_contact",
    "record_absence",
    "record_staff_edit",
    "refuse_request",
    "remove_contact",
    "set_paperless_invoices",
    "submit_request",
    "take_request",
    "update_guardian_contact_details",
    "update_health_information",
    "update_household_address",
]
