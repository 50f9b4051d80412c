"""Demo requests (« Dernières demandes »): the demo family has one accepted request (new work
phone, so its history shows a change), one pending (an absence of Léa next week) and a
question about its latest invoice (« Réclamation sur une facture », one line ticked); three
other households of Pic et Plume have requests waiting in nadia.lefevre's queue.

Idempotent: each request has a fixed reference and is made (through the services, as the
portal does) only when missing."""

import uuid
from datetime import timedelta

from django.utils import timezone

from portail.billing.models import Invoice
from portail.households import services
from portail.households.models import Request, RequestKind

NAMESPACE = uuid.UUID("3c1f7f0e-2a4b-4f65-9d0c-52e1f0a7b6d1")


def _reference(name: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, name)


def _submit(name: str, *, days_ago: int, **fields) -> Request | None:
    """The request named ``name``, created when missing; None when it already exists."""
    reference = _reference(name)
    if Request.objects.filter(reference=reference).exists():
        return None
    request = services.submit_request(**fields)
    Request.objects.filter(pk=request.pk).update(
        reference=reference, submitted_at=timezone.now() - timedelta(days=days_ago)
    )
    request.refresh_from_db()
    return request


def seed_requests(*, households, family_user, staff, today) -> None:
    """``households``: the demo's household rows (the demo family first); ``staff``: the
    member of staff who accepted the demo family's earlier request."""
    martin = households[0]
    camille = martin.guardians.get(user=family_user)
    lea = martin.children.order_by("-birth_date").last()

    accepted = _submit(
        "martin-work-phone",
        days_ago=12,
        household=martin,
        kind=RequestKind.CONTACT_DETAILS,
        submitted_by=family_user,
        guardian=camille,
        payload={
            "mobile_phone": camille.mobile_phone,
            "home_phone": camille.home_phone,
            "work_phone": "04 65 71 90 99",
            "email": camille.email,
            "comment": "Nouveau poste depuis ce mois-ci.",
        },
    )
    if accepted is not None:
        services.accept_request(request=accepted, staff=staff, comment="C'est noté, merci.")

    monday = today + timedelta(days=7 - today.weekday())
    _submit(
        "martin-absence",
        days_ago=1,
        household=martin,
        kind=RequestKind.ABSENCE,
        submitted_by=family_user,
        child=lea,
        payload={
            "starts_on": monday.isoformat(),
            "ends_on": (monday + timedelta(days=2)).isoformat(),
            "reason": "family",
            "comment": "Séjour chez les grands-parents.",
        },
    )

    invoice = (
        Invoice.objects.visible_to(family_user)
        .issued()
        .filter(household=martin)
        .order_by("-period_on", "-pk")
        .first()
    )
    line = invoice.lines.order_by("position", "pk").first() if invoice else None
    if line is not None:
        _submit(
            "martin-invoice-question",
            days_ago=2,
            household=martin,
            kind=RequestKind.INVOICE,
            submitted_by=family_user,
            invoice=invoice,
            payload={
                "lines": [
                    {"label": line.label, "child_name": line.child_name, "amount": str(line.amount)}
                ],
                "message": "Léa était absente deux jours pour maladie (certificat donné à la "
                "crèche) : ces heures ne devraient pas être facturées.",
            },
        )

    # Requests waiting in Pic et Plume's queue (even households attend Pic et Plume).
    others = [household for household in households[2::2]][:3]
    if len(others) < 3:
        return
    first, second, third = others
    _submit(
        "queue-address",
        days_ago=3,
        household=first,
        kind=RequestKind.ADDRESS,
        submitted_by=None,
        payload={
            "address_line1": "17 rue des Jonquilles",
            "address_line2": "Bâtiment B",
            "postal_code": first.postal_code or "74990",
            "city": first.city or "Val-des-Tilleuls",
        },
    )
    child = second.children.first()
    if child is not None:
        _submit(
            "queue-health",
            days_ago=2,
            household=second,
            kind=RequestKind.HEALTH,
            submitted_by=None,
            child=child,
            payload={
                "allergies": "Allergie aux fruits à coque",
                "doctor": "Dr Claire Morel, 04 65 71 00 00",
                "pai": "PAI alimentaire signé le mois dernier",
            },
        )
    _submit(
        "queue-contact",
        days_ago=0,
        household=third,
        kind=RequestKind.CONTACT_ADD,
        submitted_by=None,
        payload={
            "first_name": "Josiane",
            "last_name": "Perrin",
            "relationship": "voisine",
            "mobile_phone": "06 39 98 55 10",
            "other_phone": "",
            "can_pick_up": True,
            "is_emergency_contact": False,
        },
    )
