from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

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
    "portal:dashboard": {"portal:invoices", "portal:invoice-detail", "portal:paperless"},
    "portal:my-space": {
        "portal:household",
        "portal:child-detail",
        "portal:contacts",
        "portal:contact-detail",
        "portal:credentials",
    },
}


def portal(request):
    """The family's main menu and the session timings the warning script needs."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.is_staff:
        return {}
    match = getattr(request, "resolver_match", None)
    current = match.view_name if match else None
    return {
        "portal_navigation": [
            {
                "url": reverse(name),
                "label": label,
                "is_current": name == current or current in SECTIONS.get(name, ()),
            }
            for name, label in NAVIGATION
        ],
        "session_idle_seconds": settings.SESSION_COOKIE_AGE,
        "session_warning_seconds": settings.SESSION_WARNING_SECONDS,
    }
