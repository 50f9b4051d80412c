from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import gettext_lazy as _

from portail.lib.sessions import RENEW_AFTER_SECONDS, seconds_since_renewal

NAVIGATION = [
    ("portal:home", _("MY HOME")),
    ("portal:news", _("NEWS")),
    ("portal:documents", _("DOCUMENTS")),
    ("portal:menus", _("MEALS MENUS")),
    ("portal:practical-info", _("PRACTICAL INFORMATION")),
    ("portal:dashboard", _("MY DASHBOARD")),
    ("portal:my-space", _("MY SPACE")),
]


# Pages that belong to a menu entry without being its own page.
SECTIONS = {
    "portal:news": {"portal:news-detail"},
    "portal:dashboard": {
        "portal:invoices",
        "portal:invoice-detail",
        "portal:paperless",
        "portal:request-list",
        "portal:request-new",
        "portal:request-create",
        "portal:request-detail",
        "portal:notifications",
    },
    "portal:my-space": {
        "portal:household",
        "portal:child-detail",
        "portal:contacts",
        "portal:contact-detail",
        "portal:credentials",
        "portal:notification-preferences",
        "portal:household-history",
        "portal:my-data",
        "portal:my-data-readable",
        "portal:account-closure",
    },
}


# The menu's addresses, reversed once per URL configuration and prefix (reversing is a
# noticeable share of a page's cost when done on every page).
_navigation_urls: dict = {}


def navigation_urls() -> dict[str, str]:
    key = (get_urlconf(), get_script_prefix())
    urls = _navigation_urls.get(key)
    if urls is None:
        urls = _navigation_urls[key] = {name: reverse(name) for name, _label in NAVIGATION}
    return urls


def portal(request):
    """The family's main menu and the session timings the warning script needs."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.is_staff:
        return {}
    match = getattr(request, "resolver_match", None)
    current = match.view_name if match else None
    urls = navigation_urls()
    return {
        "portal_navigation": [
            {
                "url": urls[name],
                "label": label,
                "is_current": name == current or current in SECTIONS.get(name, ()),
            }
            for name, label in NAVIGATION
        ],
        "session_idle_seconds": idle_seconds_left(request.session),
        "session_warning_seconds": settings.SESSION_WARNING_SECONDS,
    }


def idle_seconds_left(session) -> int:
    """Until the idle end: a full period when this request renews the session (at most once a
    minute, portail.lib.sessions), else the period less the time since the last renewal."""
    elapsed = seconds_since_renewal(session)
    if elapsed >= RENEW_AFTER_SECONDS:
        elapsed = 0
    return settings.SESSION_COOKIE_AGE - int(elapsed)
