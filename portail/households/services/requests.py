"""The life of a family's request: sent (the nursery gets an e-mail) → in progress (a member
of staff took it) → accepted (the change is applied to the household's data in the same
transaction) or refused (with a comment). The family is notified of each change of status.

Each transition locks the request row, so two members of staff clicking at once cannot
accept it twice or accept what the other refused."""

import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import (
    AbsenceReason,
    Child,
    Household,
    Request,
    RequestKind,
    RequestStatus,
)
from ..uploads import CheckedUpload
from . import changes


class RequestTransitionError(Exception):
    """The request cannot go to the asked status (already decided, comment missing…). The
    message is for the member of staff."""


def nursery_for(*, household: Household, child: Child | None):
    """Where a request goes: the child's nursery when it is about a child, else the
    household's reference nursery, else the nursery of one of its children."""
    if child is not None and child.nursery_id:
        return child.nursery
    if household.nursery_id:
        return household.nursery
    first_child = household.children.exclude(nursery=None).select_related("nursery").first()
    return first_child.nursery if first_child else None


@transaction.atomic
def submit_request(
    *,
    household: Household,
    kind: str,
    submitted_by,
    payload: dict,
    child=None,
    contact=None,
    guardian=None,
    invoice=None,
    upload: CheckedUpload | None = None,
) -> Request:
    """Record the family's request and e-mail the nursery that it arrived. ``payload`` is
    what the kind's form validated; ``upload`` a file that passed ``check_upload``;
    ``invoice`` the invoice a question about an invoice is about (one of the household's)."""
    from portail.billing.models import Invoice
    from portail.notifications.services import queue_email

    if invoice is not None and invoice.household_id != household.pk:
        raise ValueError("A question about an invoice goes to the invoice's own household.")
    if invoice is not None and invoice.status in (Invoice.Status.DRAFT, Invoice.Status.CANCELLED):
        raise ValueError("Only an issued invoice that is not cancelled can be questioned.")
    request = Request(
        household=household,
        nursery=nursery_for(household=household, child=child),
        kind=kind,
        child=child,
        contact=contact,
        guardian=guardian,
        invoice=invoice,
        submitted_by=submitted_by,
        submitted_at=timezone.now(),
    )
    request.payload = payload
    if upload is not None:
        request.attachment_name = upload.display_name
        request.attachment_type = upload.mimetype
        # The storage name is random (Request.attachment's upload_to); only the extension
        # comes from the checked type.
        request.attachment.save(f"upload.{upload.extension}", ContentFile(upload.content), False)
    request.save()
    if request.nursery is not None and request.nursery.email:
        queue_email(
            kind="request_received",
            to=request.nursery.email,
            context={
                "request": request,
                "household": household,
                "nursery": request.nursery,
                "staff_url": settings.SITE_URL
                + reverse("backoffice:request-detail", kwargs={"reference": request.reference}),
            },
        )
    return request


def _locked(request: Request) -> Request:
    return (
        # Only the request row is locked (its nullable relations are outer joins).
        Request.objects.select_for_update(of=("self",))
        .select_related("household", "child", "contact", "guardian", "invoice__payer")
        .get(pk=request.pk)
    )


def _notify_family(request: Request) -> None:
    """The family's in-app notification (and e-mail, by each guardian's preference). A
    question about an invoice is told only to whom may see the invoice: its payer, or every
    guardian when the household shares its invoices (as ``Request.objects.for_user``)."""
    from portail.notifications.services import household_recipients, notify_recipients

    recipients = household_recipients([request.household])
    invoice = request.invoice
    if invoice is not None and not request.household.share_invoices_with_all_guardians:
        payer_user_id = invoice.payer.user_id
        recipients = [recipient for recipient in recipients if recipient.user.pk == payer_user_id]
    label = str(request.get_kind_display())
    url = reverse("portal:request-detail", kwargs={"reference": request.reference})
    notify_recipients(
        category="request", entries=[(recipient, label, url) for recipient in recipients]
    )


@transaction.atomic
def take_request(*, request: Request, staff) -> Request:
    """A member of staff starts working on the request: the family sees « en cours »."""
    request = _locked(request)
    if request.status != RequestStatus.SENT:
        raise RequestTransitionError(
            _("This request has already been taken or decided: reload the page.")
        )
    request.status = RequestStatus.IN_PROGRESS
    request.taken_by = staff
    request.taken_at = timezone.now()
    request.save(update_fields=["status", "taken_by", "taken_at"])
    _notify_family(request)
    return request


def _apply(request: Request, staff) -> None:
    """Apply the accepted change to the household's data, with its history rows."""
    # The family's own words ("comment") are for staff to read, not a field to set.
    data = {name: value for name, value in request.payload.items() if name != "comment"}
    household = request.household
    common = {"changed_by": staff, "request": request}
    kind = request.kind
    if kind == RequestKind.ADDRESS:
        changes.update_household_address(household=household, **common, **data)
    elif kind == RequestKind.CONTACT_DETAILS:
        if request.guardian is None or request.guardian.household_id != household.pk:
            raise RequestTransitionError(
                _("This guardian is no longer in the household: refuse the request instead.")
            )
        changes.update_guardian_contact_details(guardian=request.guardian, **common, **data)
    elif kind == RequestKind.CONTACT_ADD:
        changes.add_contact(household=household, **common, **data)
    elif kind in (RequestKind.CONTACT_CHANGE, RequestKind.CONTACT_REMOVE):
        if request.contact is None or request.contact.household_id != household.pk:
            raise RequestTransitionError(
                _("This person is no longer in the entourage: refuse the request instead.")
            )
        if kind == RequestKind.CONTACT_CHANGE:
            changes.change_contact(contact=request.contact, **common, **data)
        else:
            changes.remove_contact(contact=request.contact, **common)
    elif kind in (RequestKind.ABSENCE, RequestKind.HEALTH):
        if request.child is None or not household.children.filter(pk=request.child.pk).exists():
            raise RequestTransitionError(
                _("This child is no longer in the household: refuse the request instead.")
            )
        if kind == RequestKind.HEALTH:
            changes.update_health_information(
                child=request.child,
                households=[household],
                **common,
                allergies=data.get("allergies", ""),
                doctor=data.get("doctor", ""),
                pai=data.get("pai", ""),
            )
        else:
            changes.record_absence(
                child=request.child,
                household=household,
                starts_on=datetime.date.fromisoformat(data["starts_on"]),
                ends_on=datetime.date.fromisoformat(data["ends_on"]),
                reason=AbsenceReason(data["reason"]),
                has_certificate=bool(request.attachment),
                recorded_by=staff,
                request=request,
            )
    # Documents, messages and questions about an invoice are acknowledged: nothing in the
    # household changes (an invoice is corrected by a credit note, made in the back office).


@transaction.atomic
def accept_request(*, request: Request, staff, comment: str = "") -> Request:
    """Accept and apply the change in one go. Accepting twice is refused, not repeated."""
    request = _locked(request)
    if not request.is_open:
        raise RequestTransitionError(
            _("This request has already been decided: it cannot be accepted again.")
        )
    _apply(request, staff)
    now = timezone.now()
    if request.taken_at is None:
        request.taken_by, request.taken_at = staff, now
    request.status = RequestStatus.ACCEPTED
    request.decided_by, request.decided_at = staff, now
    request.staff_comment = comment.strip()
    request.save(
        update_fields=[
            "status",
            "taken_by",
            "taken_at",
            "decided_by",
            "decided_at",
            "staff_comment",
        ]
    )
    _notify_family(request)
    return request


@transaction.atomic
def refuse_request(*, request: Request, staff, comment: str) -> Request:
    """Refuse, saying why: the family reads the comment."""
    comment = (comment or "").strip()
    if not comment:
        raise RequestTransitionError(
            _("Say why the request is refused: the family reads this comment.")
        )
    request = _locked(request)
    if not request.is_open:
        raise RequestTransitionError(
            _("This request has already been decided: it cannot be refused any more.")
        )
    now = timezone.now()
    if request.taken_at is None:
        request.taken_by, request.taken_at = staff, now
    request.status = RequestStatus.REFUSED
    request.decided_by, request.decided_at = staff, now
    request.staff_comment = comment
    request.save(
        update_fields=[
            "status",
            "taken_by",
            "taken_at",
            "decided_by",
            "decided_at",
            "staff_comment",
        ]
    )
    _notify_family(request)
    return request
