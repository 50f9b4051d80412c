"""Requests made through the service, as the family's forms do."""

from portail.households import services
from portail.households.models import RequestKind


def submit_address_request(family, **address):
    return services.submit_request(
        household=family.household,
        kind=RequestKind.ADDRESS,
        submitted_by=family.user,
        payload={
            "address_line1": "4 rue du Lac",
            "address_line2": "",
            "postal_code": "74960",
            "city": "Cran-Gevrier",
            **address,
        },
    )


def submit_absence_request(family, *, starts_on="2026-03-02", ends_on="2026-03-04"):
    return services.submit_request(
        household=family.household,
        kind=RequestKind.ABSENCE,
        submitted_by=family.user,
        child=family.child,
        payload={"starts_on": starts_on, "ends_on": ends_on, "reason": "illness"},
    )


def submit_message(family, subject="Sortie au parc"):
    return services.submit_request(
        household=family.household,
        kind=RequestKind.MESSAGE,
        submitted_by=family.user,
        payload={"subject": subject, "message": "Léa partira à 16 h vendredi."},
    )
