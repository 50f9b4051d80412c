"""« Mes demandes »: the family's requests to the nursery (a change of address, phones,
entourage, an absence, health information, a document, a message), their status and the
household's history. Every query starts from the logged-in guardian's households."""

import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from portail.billing.models import Invoice
from portail.households import services
from portail.households.models import (
    Child,
    Contact,
    Guardian,
    HouseholdChange,
    Request,
    RequestKind,
)
from portail.households.uploads import serve_attachment

from ..decorators import family_required
from ..forms.requests import FORMS, SLUGS

REQUESTS_PER_PAGE = 20
CHANGES_PER_PAGE = 50


def _issued_invoices(user):
    """The invoices a family may dispute: those it sees, issued and not cancelled."""
    return Invoice.objects.visible_to(user).issued()


# The query parameter that picks what a form is about, and where to look for it: a model
# (among ``Model.objects.for_user(user)``) or a function of the user giving the queryset.
SELECTORS = {
    RequestKind.CONTACT_DETAILS: ("representant", Guardian),
    RequestKind.CONTACT_CHANGE: ("personne", Contact),
    RequestKind.CONTACT_REMOVE: ("personne", Contact),
    RequestKind.ABSENCE: ("enfant", Child),
    RequestKind.HEALTH: ("enfant", Child),
    RequestKind.INVOICE: ("facture", _issued_invoices),
}


@family_required
def request_list(request):
    listed = Request.objects.for_user(request.user).with_people().latest_first()
    context = {
        "page": Paginator(listed, REQUESTS_PER_PAGE).get_page(request.GET.get("page")),
        "slugs": SLUGS,
    }
    return render(request, "portal/requests/list.html", context)


@family_required
def request_new(request):
    context = {"choices": [(slug, form.title) for slug, form in FORMS.items()]}
    return render(request, "portal/requests/new.html", context)


def _selected(request, kind):
    """The child, contact, guardian or invoice named in the link, among the person's own."""
    parameter, source = SELECTORS.get(kind, (None, None))
    value = request.GET.get(parameter) if parameter else None
    if not value:
        return None
    try:
        reference = uuid.UUID(value)
    except ValueError as error:
        raise Http404 from error
    if isinstance(source, type):
        queryset = source.objects.for_user(request.user)
    else:
        queryset = source(request.user)
    return get_object_or_404(queryset, reference=reference)


# The forms carry health information, addresses and messages: an error report must not.
@sensitive_post_parameters()
@family_required
@never_cache
def request_create(request, kind):
    form_class = FORMS.get(kind)
    if form_class is None:
        raise Http404
    user = request.user
    selected = _selected(request, form_class.kind)
    if request.method == "POST":
        form = form_class(request.POST, request.FILES, user=user, selected=selected)
    else:
        form = form_class(user=user, selected=selected)
    if request.method == "POST" and form.is_valid():
        created = services.submit_request(
            household=form.household,
            kind=form.kind,
            submitted_by=user,
            payload=form.payload(),
            child=form.child,
            contact=form.contact,
            guardian=form.guardian,
            invoice=form.invoice,
            upload=form.upload,
        )
        messages.success(
            request,
            _("Your request has been sent to the nursery. You can follow it here."),
        )
        return redirect("portal:request-detail", reference=created.reference)
    context = {
        "form": form,
        "form_title": form_class.title,
        "kind": kind,
        "invoice": selected if form_class.kind == RequestKind.INVOICE else None,
    }
    return render(request, "portal/requests/form.html", context, status=200)


@family_required
def request_detail(request, reference):
    item = get_object_or_404(
        Request.objects.for_user(request.user).with_people(), reference=reference
    )
    context = {"item": item, "rows": item.detail_rows()}
    return render(request, "portal/requests/detail.html", context)


@family_required
def request_attachment(request, reference):
    item = get_object_or_404(Request.objects.for_user(request.user), reference=reference)
    return serve_attachment(item)


@family_required
def household_history(request):
    changes = (
        HouseholdChange.objects.for_user(request.user)
        .select_related("household", "changed_by", "request")
        .latest_first()
    )
    context = {
        "page": Paginator(changes, CHANGES_PER_PAGE).get_page(request.GET.get("page")),
    }
    return render(request, "portal/requests/history.html", context)
