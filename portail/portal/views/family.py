"""The family's space: every query starts from the logged-in guardian's households."""

from decimal import Decimal

from axes.handlers.proxy import AxesProxyHandler
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.signals import user_login_failed
from django.db import connection
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from portail.accounts import services as account_services
from portail.accounts.validators import password_rule_descriptions
from portail.billing.models import Invoice, family_scope_ids
from portail.content import services as content_services
from portail.direct_debits.models import Debit, Mandate
from portail.households.models import Child, Contact, Household, Request

from ..decorators import family_required
from ..forms.family import PasswordChangeForm
from .accounts import locked_out
from .billing import placeholders, visible_invoices_sql
from .content import whats_new
from .notifications import TILE_CATEGORIES

CENT = Decimal("0.01")


def _guardianships(request):
    """The person's own guardian rows (one per household), with the household's address, as
    ``family_required`` read them."""
    return request.guardianships


def _nurseries(user):
    """The nurseries of the children the person can see: where changes are to be reported."""
    return list(Child.objects.for_user(user).nurseries())


@family_required
def home(request):
    """MON ACCUEIL: the household, what is new since the guardian's previous visit (news,
    documents, menus, invoices) and the upcoming events."""
    user = request.user
    context = {
        "guardian": _guardianships(request)[0],
        "households": Household.objects.for_user(user).with_members(),
        **whats_new(user, since=content_services.record_home_visit(user=user)),
    }
    return render(request, "portal/family/home.html", context)


def _tile_figures(user, household_ids: list[int]) -> dict:
    """Every count of the dashboard's tiles, and the current mandate with its next debit, in
    one query of small indexed subqueries. Written as SQL: built with the ORM, this one query
    cost the page more CPU than all the others (the dashboard's cost is in building queries,
    not in running them). Each subquery says what its ORM twin says, named beside it;
    tests/portal/test_query_counts.py checks the figures against those twins."""
    own, _shared = family_scope_ids(user)  # never empty: family_required checked
    visible_invoices, invoice_params = visible_invoices_sql(user)
    # Mandate.objects.visible_to(user).exclude(status__in=[REVOKED, LAPSED])
    #     .order_by("-signed_at"): the current mandate.
    current_mandate = (
        f"FROM direct_debits_mandate WHERE payer_id IN ({placeholders(own)})"
        " AND status NOT IN (%s, %s) ORDER BY signed_at DESC, id DESC LIMIT 1"
    )
    mandate_params = [*own, Mandate.Status.REVOKED.value, Mandate.Status.LAPSED.value]
    # Debit.objects.filter(mandate=…, status__in=Debit.RUNNING).order_by("collection_on", "pk")
    next_debit = (
        f"FROM direct_debits_debit WHERE mandate_id = (SELECT id {current_mandate})"
        " AND status IN (%s, %s) ORDER BY collection_on, id LIMIT 1"
    )
    next_debit_params = [*mandate_params, *(status.value for status in Debit.RUNNING)]
    columns = [
        # Contact.objects.for_user(user).count()
        (
            "contact_count",
            f"SELECT COUNT(*) FROM households_contact"  # noqa: S608  # nosec B608: fixed tables, values as parameters
            f" WHERE household_id IN ({placeholders(household_ids)})",
            household_ids,
        ),
        # Invoice.objects.visible_to(user).unpaid().count()
        (
            "unpaid_invoice_count",
            f"SELECT COUNT(*) FROM billing_invoice WHERE status IN (%s, %s) AND {visible_invoices}",  # noqa: S608  # nosec B608
            [Invoice.Status.ISSUED.value, Invoice.Status.PARTIALLY_PAID.value, *invoice_params],
        ),
        # Notification.objects.for_user(user).unread().filter(category__in=…).count()
        *(
            (
                f"unread_{tile}",
                "SELECT COUNT(*) FROM notifications_notification WHERE recipient_id = %s"  # noqa: S608  # nosec B608
                f" AND read_at IS NULL AND category IN ({placeholders(categories)})",
                [user.pk, *(category.value for category in categories)],
            )
            for tile, categories in TILE_CATEGORIES.items()
        ),
        ("mandate_status", f"SELECT status {current_mandate}", mandate_params),
        ("next_debit_on", f"SELECT collection_on {next_debit}", next_debit_params),
        ("next_debit_amount", f"SELECT amount {next_debit}", next_debit_params),
    ]
    sql = "SELECT " + ", ".join(f"({subquery})" for _name, subquery, _params in columns)
    with connection.cursor() as cursor:
        cursor.execute(sql, [param for _name, _subquery, params in columns for param in params])
        row = cursor.fetchone()
    figures = {name: value for (name, _subquery, _params), value in zip(columns, row, strict=True)}
    # SQLite answers text and floats where PostgreSQL answers dates and decimals.
    figures["next_debit_on"] = Debit._meta.get_field("collection_on").to_python(
        figures["next_debit_on"]
    )
    if figures["next_debit_amount"] is not None:
        figures["next_debit_amount"] = Decimal(str(figures["next_debit_amount"])).quantize(CENT)
    return figures


@family_required
def dashboard(request):
    user = request.user
    guardianships = _guardianships(request)
    figures = _tile_figures(user, [guardian.household_id for guardian in guardianships])
    debit_tile = None
    if figures["mandate_status"] is not None:
        debit_tile = {
            "status": Mandate.Status(figures["mandate_status"]).label,
            "next_debit_on": figures["next_debit_on"],
            "next_debit_amount": figures["next_debit_amount"],
        }
    context = {
        "guardian": guardianships[0],
        "contact_count": figures["contact_count"],
        "unpaid_invoice_count": figures["unpaid_invoice_count"],
        "unread_tiles": {tile: figures[f"unread_{tile}"] for tile in TILE_CATEGORIES},
        "debit_tile": debit_tile,
        # « Dernières demandes »: the three latest, with their child (one query; not the
        # encrypted payload, which the tile does not show).
        "latest_requests": list(
            Request.objects.for_user(user)
            .select_related("child")
            .only("reference", "kind", "status", "child__first_name")
            .latest_first()[:3]
        ),
    }
    return render(request, "portal/family/dashboard.html", context)


@family_required
def my_space(request):
    user = request.user
    context = {"guardians": _guardianships(request), "nurseries": _nurseries(user)}
    return render(request, "portal/family/my_space.html", context)


@family_required
def household(request):
    user = request.user
    context = {
        "households": Household.objects.for_user(user).with_members(),
        "nurseries": _nurseries(user),
    }
    return render(request, "portal/family/household.html", context)


@family_required
def child_detail(request, reference):
    user = request.user
    child = get_object_or_404(
        Child.objects.for_user(user).select_related("nursery"), reference=reference
    )
    context = {
        "child": child,
        "households": Household.objects.for_user(user).filter(children=child),
    }
    return render(request, "portal/family/child_detail.html", context)


@family_required
def contacts(request):
    user = request.user
    context = {
        "households": Household.objects.for_user(user).with_contacts(),
        "nurseries": _nurseries(user),
    }
    return render(request, "portal/family/contacts.html", context)


@family_required
def contact_detail(request, reference):
    contact = get_object_or_404(
        Contact.objects.for_user(request.user).select_related("household"), reference=reference
    )
    return render(request, "portal/family/contact_detail.html", {"contact": contact})


@family_required
@never_cache
@sensitive_post_parameters("current_password", "new_password1", "new_password2")
def credentials(request):
    user = request.user
    form = PasswordChangeForm(request.POST or None, user=user)
    if request.method == "POST" and not form.is_valid() and form.has_wrong_current_password:
        # A wrong current password counts as a failed login (ASVS 2.2.1): whoever holds an
        # open session cannot guess the password here without limit.
        credentials = {"username": user.username}
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        if AxesProxyHandler.is_locked(request, credentials):
            logout(request)
            return locked_out(request, credentials=credentials)
    if request.method == "POST" and form.is_valid():
        account_services.change_password(user=user, password=form.cleaned_data["new_password1"])
        # Other sessions end with the old password hash; this one carries on.
        update_session_auth_hash(request, user)
        messages.success(request, _("Your password has been changed."))
        return redirect("portal:credentials")
    context = {"form": form, "rules": password_rule_descriptions(user)}
    return render(request, "portal/family/credentials.html", context)
