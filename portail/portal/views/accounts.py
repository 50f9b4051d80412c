"""Login, logout, activation and reset links, forced password change, CGU acceptance."""

import math
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from portail.accounts import services as account_services
from portail.accounts.backends import axes_username, client_ip_address
from portail.accounts.lockout import daily_lock_ends_at
from portail.accounts.middleware import SESSION_STARTED_KEY, TERMS_ACCEPTED_KEY
from portail.accounts.models import AccountLink
from portail.accounts.validators import password_rule_descriptions
from portail.lib.sessions import renew
from portail.organisation.models import TermsVersion

from ..forms.accounts import LoginForm, NewPasswordForm, PasswordResetRequestForm

ACCOUNT_LINK_SESSION_KEY = "account_link_id"
BACKEND = "portail.accounts.backends.IdentifierOrEmailBackend"


class LoginView(auth_views.LoginView):
    template_name = "portal/accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        self.request.session[SESSION_STARTED_KEY] = time.time()
        account_services.forget_login_failures(user=form.get_user())
        return response


login_view = login_not_required(LoginView.as_view())


@login_not_required
def locked_out(request, original_response=None, credentials=None):
    """What django-axes answers once an account or an address is locked: the same page
    whether the account exists or not."""
    form = LoginForm(request)
    return render(
        request,
        "portal/accounts/login.html",
        {"form": form, "locked_out": True, "cooloff_minutes": _cooloff_minutes(credentials)},
        status=429,
    )


def _cooloff_minutes(credentials=None) -> int:
    """How long the lock lasts: the cool-off, or longer when the account spent its daily
    budget of wrong passwords (the lock then lifts when the oldest turn 24 hours old)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    username = axes_username(None, credentials) if credentials else ""
    ends_at = daily_lock_ends_at(username) if username else None
    if ends_at is not None:
        minutes = max(minutes, math.ceil((ends_at - timezone.now()).total_seconds() / 60))
    return minutes


@require_POST
def logout_view(request):
    logout(request)
    messages.success(request, _("You are logged out. See you soon!"))
    return redirect(settings.LOGOUT_REDIRECT_URL)


@login_not_required
@never_cache
def password_reset_view(request):
    """The answer is the same whether the account exists or not."""
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and not account_services.count_reset_request(
        ip_address=client_ip_address(request)
    ):
        context = {"form": form, "throttled": True}
        return render(request, "portal/accounts/password_reset.html", context, status=429)
    if request.method == "POST" and form.is_valid():
        account_services.ask_for_password_reset(login=form.cleaned_data["login"])
        return render(
            request,
            "portal/accounts/password_reset_sent.html",
            {"valid_minutes": settings.PASSWORD_RESET_LINK_MINUTES},
        )
    return render(request, "portal/accounts/password_reset.html", {"form": form})


@login_not_required
@never_cache
def account_link_view(request, token):
    """Check the e-mailed link, then move its token out of the URL into the session (so it
    never leaks through the Referer header or browser history) and ask for the password."""
    link = account_services.find_usable_link(token)
    if link is None:
        return render(request, "portal/accounts/link_invalid.html", status=400)
    if request.user.is_authenticated and request.user.pk != link.user_id:
        logout(request)
    request.session[ACCOUNT_LINK_SESSION_KEY] = link.pk
    return redirect("portal:set-password")


@login_not_required
@never_cache
@sensitive_post_parameters("new_password1", "new_password2")
def set_password_view(request):
    link = _link_from_session(request)
    if link is None:
        return render(request, "portal/accounts/link_invalid.html", status=400)
    form = NewPasswordForm(request.POST or None, user=link.user)
    if request.method == "POST" and form.is_valid():
        request.session.pop(ACCOUNT_LINK_SESSION_KEY, None)
        try:
            user = account_services.set_password_from_link(
                link=link, password=form.cleaned_data["new_password1"]
            )
        except account_services.LinkNoLongerUsable:
            return render(request, "portal/accounts/link_invalid.html", status=400)
        if link.purpose == AccountLink.Purpose.ACTIVATION:
            login(request, user, backend=BACKEND)
            request.session[SESSION_STARTED_KEY] = time.time()
            messages.success(request, _("Your password is saved. Welcome to your family space!"))
            return redirect("portal:terms")
        messages.success(
            request, _("Your password has been changed. Log in with your new password.")
        )
        return redirect("portal:login")
    return render(
        request,
        "portal/accounts/set_password.html",
        {
            "form": form,
            "account_user": link.user,
            "is_activation": link.purpose == AccountLink.Purpose.ACTIVATION,
            "rules": password_rule_descriptions(link.user),
        },
    )


def _link_from_session(request):
    link_id = request.session.get(ACCOUNT_LINK_SESSION_KEY)
    if link_id is None:
        return None
    link = AccountLink.objects.select_related("user").filter(pk=link_id).first()
    if link is None or not link.is_usable or not link.user.is_active:
        request.session.pop(ACCOUNT_LINK_SESSION_KEY, None)
        return None
    return link


@never_cache
@sensitive_post_parameters("new_password1", "new_password2")
def password_change_required_view(request):
    """After logging in with a temporary password: choose one's own before anything else."""
    user = request.user
    if not user.must_change_password:
        return redirect("portal:dashboard")
    form = NewPasswordForm(request.POST or None, user=user, forbid_current=True)
    if request.method == "POST" and form.is_valid():
        account_services.change_password(user=user, password=form.cleaned_data["new_password1"])
        update_session_auth_hash(request, user)
        messages.success(request, _("Your password has been changed."))
        return redirect("portal:terms")
    return render(
        request,
        "portal/accounts/password_change_required.html",
        {"form": form, "rules": password_rule_descriptions(user)},
    )


@never_cache
def terms_view(request):
    """The CGU in full, accepted with the button at the bottom (as in the seed)."""
    terms = TermsVersion.objects.current()
    if terms is None:
        return redirect("portal:dashboard")
    acceptance = request.user.terms_acceptances.filter(terms=terms).first()
    if request.method == "POST":
        account_services.accept_terms(
            user=request.user, terms=terms, ip_address=client_ip_address(request)
        )
        request.session[TERMS_ACCEPTED_KEY] = terms.version
        return redirect("portal:dashboard")
    return render(request, "portal/accounts/terms.html", {"terms": terms, "acceptance": acceptance})


@require_POST
def session_extend_view(request):
    """Saving the session restarts the idle countdown."""
    renew(request.session)
    messages.success(request, _("Your session has been extended."))
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = settings.LOGIN_REDIRECT_URL
    return redirect(next_url)
