"""The legal pages (« Mentions légales », « Données personnelles », « Accessibilité »), open
to everyone, and the family's own personal data: download it, see what staff changed, ask
for the account to be closed."""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from portail.accounts import personal_data
from portail.accounts.models import AccountClosureRequest
from portail.audit.models import AuditEvent
from portail.households.models import Household

from ..decorators import family_required

RECENT_CHANGES = 30


@login_not_required
def legal_notice(request):
    return render(request, "portal/legal/legal_notice.html")


@login_not_required
def privacy(request):
    retention = {
        "household_years": settings.RETENTION_HOUSEHOLD_YEARS,
        "invoice_years": settings.RETENTION_INVOICE_YEARS,
        "log_days": settings.RETENTION_LOG_DAYS,
        "outbox_days": settings.RETENTION_OUTBOX_DAYS,
        "session_minutes": settings.SESSION_COOKIE_AGE // 60,
    }
    return render(request, "portal/legal/privacy.html", {"retention": retention})


@login_not_required
def accessibility(request):
    return render(request, "portal/legal/accessibility.html")


@login_not_required
def site_map(request):
    """« Plan du site »: every page of the portal the visitor may open, as a second way to
    find them besides the menu (RGAA 12.1). A family sees its rubriques and their pages."""
    user = request.user
    is_family = user.is_authenticated and not user.is_staff
    return render(request, "portal/legal/site_map.html", {"is_family": is_family})


def _household_history_url() -> str:
    """The household's history of requests (portail/portal/views/requests.py), if mounted."""
    try:
        return reverse("portal:household-history")
    except NoReverseMatch:
        return ""


@family_required
@never_cache
def my_data(request):
    """« Mes données »: download everything, see what staff changed, ask for closure."""
    user = request.user
    households = list(Household.objects.for_user(user))
    changes = list(
        AuditEvent.objects.filter(household_id__in=[h.pk for h in households], is_staff_actor=True)
        .changes()
        .order_by("-at")[:RECENT_CHANGES]
    )
    context = {
        "changes": changes,
        "history_url": _household_history_url(),
        "pending_closure": AccountClosureRequest.objects.filter(
            user=user, status=AccountClosureRequest.Status.PENDING
        ).first(),
    }
    return render(request, "portal/legal/my_data.html", context)


@family_required
@never_cache
def my_data_json(request):
    data = personal_data.export_personal_data(user=request.user, request=request, format="json")
    document = personal_data.as_json_document(data)
    response = HttpResponse(
        json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    filename = f"mes-donnees-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@family_required
@never_cache
def my_data_readable(request):
    data = personal_data.export_personal_data(user=request.user, request=request, format="html")
    return render(request, "portal/legal/my_data_readable.html", {"data": data})


@family_required
@never_cache
@require_http_methods(["GET", "POST"])
def account_closure(request):
    """A confirmation step, then the request goes to staff (nothing is deleted at once)."""
    user = request.user
    household = Household.objects.for_user(user).first()
    if request.method == "POST":
        try:
            personal_data.request_account_closure(
                user=user,
                household=household,
                reason=request.POST.get("reason", ""),
                request=request,
            )
        except personal_data.ClosureAlreadyRequested:
            messages.info(
                request, _("Your request to close your account is already with the service.")
            )
        else:
            messages.success(
                request,
                _(
                    "Your request has been sent to the service, which will contact you to "
                    "close your account."
                ),
            )
        return redirect("portal:my-data")
    return render(request, "portal/legal/account_closure.html")
