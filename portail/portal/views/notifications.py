"""The family's notification centre (« Les nouvelles factures, actualités et éditions de
documents sont notifiées ») and the e-mail preferences, in MON ESPACE."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from portail.notifications import services
from portail.notifications.models import Notification, NotificationCategory
from portail.notifications.templatetags.notification_tags import (
    forget_unread_count,
    remember_unread_count,
)

from ..decorators import family_required
from ..forms.notifications import ALWAYS_EMAILED_HELP, NotificationPreferencesForm

NOTIFICATIONS_PER_PAGE = 30


@family_required
def notifications(request):
    listed = Notification.objects.for_user(request.user).only(
        "reference", "category", "label", "created_at", "read_at"
    )
    page = Paginator(listed, NOTIFICATIONS_PER_PAGE).get_page(request.GET.get("page"))
    unread_count = Notification.objects.for_user(request.user).unread().count()
    remember_unread_count(request, unread_count)  # the header then says the same
    context = {"page": page, "unread_count": unread_count}
    return render(request, "portal/notifications/notifications.html", context)


def _is_safe(request, url: str) -> bool:
    return services.is_same_site_path(url) and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


@family_required
def notification_open(request, reference):
    """Opening a notification marks it read and goes to what it is about, on this site only
    (a link to anywhere else lands back on the notification centre)."""
    notification = get_object_or_404(
        Notification.objects.for_user(request.user), reference=reference
    )
    services.mark_read(notification=notification)
    forget_unread_count(request)
    if _is_safe(request, notification.url):
        return redirect(notification.url)
    return redirect("portal:notifications")


@family_required
@require_POST
def notifications_mark_all_read(request):
    count = services.mark_all_read(user=request.user)
    forget_unread_count(request)
    if count:
        messages.success(
            request,
            ngettext(
                "{count} notification marked as read.",
                "{count} notifications marked as read.",
                count,
            ).format(count=count),
        )
    return redirect("portal:notifications")


@family_required
def notification_preferences(request):
    user = request.user
    form = NotificationPreferencesForm(
        request.POST or None, preferences=services.preferences_of(user)
    )
    if request.method == "POST" and form.is_valid():
        services.set_preferences(user=user, deliveries=form.cleaned_data)
        messages.success(request, _("Your e-mail preferences have been saved."))
        return redirect("portal:notification-preferences")
    context = {
        "form": form,
        "always_emailed": form.always_emailed_categories(),
        "always_emailed_help": ALWAYS_EMAILED_HELP,
    }
    return render(request, "portal/notifications/preferences.html", context)


# The dashboard tiles and the categories whose unread notifications they count.
TILE_CATEGORIES = {
    "invoices": [NotificationCategory.INVOICE, NotificationCategory.PAYMENT_PROBLEM],
    "news": [NotificationCategory.NEWS, NotificationCategory.MENU],
    "documents": [NotificationCategory.DOCUMENT],
    "requests": [NotificationCategory.REQUEST],
    "direct_debits": [NotificationCategory.DIRECT_DEBIT],
}


def unread_tiles(counts: dict[str, int]) -> dict[str, int]:
    """Unread counts per dashboard tile, from the counts per category."""
    return {
        tile: sum(counts[category] for category in categories)
        for tile, categories in TILE_CATEGORIES.items()
    }
