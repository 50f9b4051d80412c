"""The family's space: every query starts from the logged-in guardian's households."""

from axes.handlers.proxy import AxesProxyHandler
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.signals import user_login_failed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from portail.accounts import services as account_services
from portail.accounts.validators import password_rule_descriptions
from portail.billing.models import Invoice
from portail.content import services as content_services
from portail.households.models import Child, Contact, Household, Request
from portail.notifications.models import Notification

from ..decorators import family_required
from ..forms.family import PasswordChangeForm
from .accounts import locked_out
from .content import whats_new
from .notifications import unread_tiles


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


@family_required
def dashboard(request):
    user = request.user
    context = {
        "guardian": _guardianships(request)[0],
        "contact_count": Contact.objects.for_user(user).count(),
        "unpaid_invoice_count": Invoice.objects.visible_to(user).unpaid().count(),
        "unread_tiles": unread_tiles(Notification.objects.for_user(user).unread_counts()),
        # « Dernières demandes »: the three latest, with their child (one query).
        "latest_requests": list(
            Request.objects.for_user(user).select_related("child").latest_first()[:3]
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
