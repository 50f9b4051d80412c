"""The families' requests, as a queue per nursery (/gestion/outils/demandes/): staff take a
request, accept it — which applies the change to the household's data at once — or refuse it
with a comment. Nursery staff see only their nurseries' requests; administrators all."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters

from portail.backoffice.permissions import is_administrator, nurseries_for
from portail.billing.models import Invoice
from portail.households import services
from portail.households.models import Request, RequestKind, RequestStatus
from portail.households.uploads import serve_attachment

from . import page_context

REQUESTS_PER_PAGE = 50
OPEN = "open"
QUEUE_COLUMNS = [
    "reference",
    "kind",
    "status",
    "submitted_at",
    "household__name",
    "nursery__name",
    "child__first_name",
]


def requests_for(user):
    return Request.objects.for_staff(user)


def _filters(request, user):
    """The queue's filters from the query string, ignoring values that are not offered."""
    status = request.GET.get("status", OPEN)
    if status not in {OPEN, "all", *RequestStatus.values}:
        status = OPEN
    kind = request.GET.get("kind", "")
    if kind not in RequestKind.values:
        kind = ""
    nurseries = list(nurseries_for(user).order_by("name"))
    nursery = request.GET.get("nursery", "")
    if nursery not in {str(n.pk) for n in nurseries}:
        nursery = ""
    return status, kind, nursery, nurseries


def request_queue(request):
    user = request.user
    status, kind, nursery, nurseries = _filters(request, user)
    # Only what the queue shows: not the encrypted details of each request nor the child's
    # encrypted health information, which a list need not decrypt.
    listed = requests_for(user).select_related("household", "nursery", "child").only(*QUEUE_COLUMNS)
    if status == OPEN:
        listed = listed.open()
    elif status != "all":
        listed = listed.filter(status=status)
    if kind:
        listed = listed.filter(kind=kind)
    if nursery:
        listed = listed.filter(nursery_id=nursery)
    # Oldest first: the queue is worked in the order families wrote.
    listed = listed.order_by("submitted_at", "pk")
    context = page_context(
        request,
        title=_("Requests from families"),
        page=Paginator(listed, REQUESTS_PER_PAGE).get_page(request.GET.get("page")),
        status=status,
        kind=kind,
        nursery=nursery,
        nurseries=nurseries,
        statuses=[
            (OPEN, _("To handle (sent or in progress)")),
            ("all", _("All")),
            *RequestStatus.choices,
        ],
        kinds=RequestKind.choices,
    )
    return render(request, "backoffice/requests/queue.html", context)


# What a link may suggest as a credit note's reason (the credit-note page keeps as much).
SUGGESTED_REASON_MAX = 500


def _credit_note_url(item) -> str:
    """The invoice's credit-note page, its reason suggested from the family's question (the
    day it was sent, in local time; the lines ticked, whole ones only, as many as fit): the
    administrator types the amount, which only the checking of the invoice tells."""
    from django.urls import reverse

    from portail.households.models.requests import disputed_line_text

    date = formats.date_format(timezone.localtime(item.submitted_at), "SHORT_DATE_FORMAT")
    reason = _("Correction after your question of {date}").format(date=date)
    lines = [disputed_line_text(line) for line in item.disputed_lines]
    for count in range(len(lines), 0, -1):
        listed = "; ".join(lines[:count]) + ("; …" if count < len(lines) else "")
        candidate = _("Correction after your question of {date}: {lines}").format(
            date=date, lines=listed
        )
        if len(candidate) <= SUGGESTED_REASON_MAX:
            reason = candidate
            break
    url = reverse("admin:billing_invoice_credit_note", args=[item.invoice.pk])
    return f"{url}?{urlencode({'reason': reason})}"


def request_detail(request, reference):
    item = get_object_or_404(requests_for(request.user).with_people(), reference=reference)
    invoice = item.invoice
    can_correct = (
        invoice is not None
        and is_administrator(request.user)
        and invoice.status not in (Invoice.Status.DRAFT, Invoice.Status.CANCELLED)
    )
    context = page_context(
        request,
        title=f"{item.get_kind_display()} — {item.household.name}",
        item=item,
        rows=item.detail_rows(with_current=True),
        changes=item.changes.order_by("pk"),
        invoice=invoice,
        credit_note_url=_credit_note_url(item) if can_correct else "",
    )
    return render(request, "backoffice/requests/detail.html", context)


ACTIONS = {
    "take": (
        services.take_request,
        gettext_lazy("You have taken this request: the family sees it « in progress »."),
    ),
    "accept": (
        services.accept_request,
        gettext_lazy("Request accepted: the change has been applied."),
    ),
    "refuse": (
        services.refuse_request,
        gettext_lazy("Request refused: the family has been told why."),
    ),
}

# A document, a message or a question about an invoice changes nothing when accepted.
ACKNOWLEDGED = gettext_lazy("Request accepted: the family has been told.")


# A refusal's comment may speak of a child's health: never in an error report.
@sensitive_post_parameters()
def request_action(request, reference):
    """POST take / accept / refuse. A request already decided (by someone else in the
    meantime) is never decided twice: the staff member reads why."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    item = get_object_or_404(requests_for(request.user), reference=reference)
    action = request.POST.get("action")
    if action not in ACTIONS:
        messages.error(request, _("Choose what to do with the request."))
        return redirect("backoffice:request-detail", reference=item.reference)
    service, done = ACTIONS[action]
    if action == "accept" and not item.applies_a_change:
        done = ACKNOWLEDGED
    kwargs = {"request": item, "staff": request.user}
    if action in ("accept", "refuse"):
        kwargs["comment"] = request.POST.get("comment", "")
    try:
        service(**kwargs)
    except services.RequestTransitionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    return redirect("backoffice:request-detail", reference=item.reference)


def request_attachment(request, reference):
    item = get_object_or_404(requests_for(request.user), reference=reference)
    return serve_attachment(item)
