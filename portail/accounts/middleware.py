import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

from portail.lib.process_cache import ProcessCache
from portail.organisation.models import TermsVersion

SESSION_STARTED_KEY = "auth_started_at"
TERMS_ACCEPTED_KEY = "terms_version_accepted"

# What a family may reach before the CGU are accepted or a temporary password is changed.
GATE_ALLOWED = {
    "portal:logout",
    "portal:terms",
    "portal:password-change-required",
    "portal:session-extend",
    "set_language",
    # The legal pages, readable before accepting the CGU they complete.
    "portal:legal-notice",
    "portal:privacy",
    "portal:accessibility",
    # The development outbox (404 unless DEBUG): a newcomer reads the activation e-mail there.
    "notifications:outbox-list",
    "notifications:outbox-detail",
}


def _terms_in_force():
    """(pk, version) of the CGU version in force (``TermsVersion.objects.current()``), or None,
    and when the next already-scheduled version comes into force (None if none is): one
    query over the published versions, a few over the years."""
    now = timezone.now()
    current, upcoming = None, None
    published = TermsVersion.objects.exclude(published_at=None).order_by("-version")
    for pk, version, published_at in published.values_list("pk", "version", "published_at"):
        if published_at > now:
            upcoming = published_at if upcoming is None else min(upcoming, published_at)
        elif current is None:
            current = (pk, version)
    return current, upcoming


def _seconds_until_upcoming(value) -> float:
    _current, upcoming = value
    if upcoming is None:
        return float("inf")
    return max(0.0, (upcoming - timezone.now()).total_seconds())


# Every family page checks the CGU version in force: each process keeps it a minute (a
# version published in the back office applies at once on that node, within a minute on the
# others; a version scheduled for a later time applies at that time).
TERMS_CACHED_SECONDS = 60
terms_in_force = ProcessCache(
    _terms_in_force,
    seconds=TERMS_CACHED_SECONDS,
    models=[TermsVersion],
    expiry=_seconds_until_upcoming,
)


class PortalLoginRequiredMiddleware(LoginRequiredMiddleware):
    """Every page needs a login, except those marked ``login_not_required``. The back office
    (/gestion/) checks staff, second factor and permissions itself and has its own login."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith("/gestion/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class AbsoluteSessionTimeoutMiddleware:
    """Sessions end 12 hours after login whatever the activity (ASVS 3.3.2); the 30-minute
    idle end is the session cookie's age, renewed on every request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            started = request.session.get(SESSION_STARTED_KEY)
            now = time.time()
            if started is None:
                request.session[SESSION_STARTED_KEY] = now
            elif now - started > settings.SESSION_ABSOLUTE_SECONDS:
                is_staff_area = request.path_info.startswith("/gestion/")
                logout(request)
                messages.info(request, _("Your session has ended. Please log in again."))
                return redirect("admin:login" if is_staff_area else settings.LOGIN_URL)
        return self.get_response(request)


class FamilyGateMiddleware:
    """A family reaches nothing before changing a temporary password, then nothing before
    accepting the current CGU."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not user.is_staff:
            destination = self._gate(request)
            if destination is not None:
                try:
                    view_name = resolve(request.path_info).view_name
                except Resolver404:
                    view_name = None
                if view_name not in GATE_ALLOWED:
                    return redirect(destination)
        return self.get_response(request)

    @staticmethod
    def _gate(request):
        if request.user.must_change_password:
            return reverse("portal:password-change-required")
        current, _upcoming = terms_in_force.get()
        if current is None:
            return None
        pk, version = current
        if request.session.get(TERMS_ACCEPTED_KEY) == version:
            return None
        if request.user.terms_acceptances.filter(terms_id=pk).exists():
            request.session[TERMS_ACCEPTED_KEY] = version
            return None
        return reverse("portal:terms")


class SecurityHeadersMiddleware:
    """Headers Django's SecurityMiddleware does not set: Permissions-Policy on every response,
    and ``Cache-Control: no-store`` on every page shown to a logged-in person, so that no
    shared cache or back button keeps a copy of a family's data (ASVS 8.2.1)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = getattr(settings, "PERMISSIONS_POLICY", "")
        if policy:
            response.headers.setdefault("Permissions-Policy", policy)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
        return response
