from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminSite


class BackofficeSite(OTPAdminSite):
    """Staff only, with a verified TOTP device (ASVS 4.3.1)."""

    name = "admin"
    site_header = _("Portail Famille — back office")
    site_title = _("Portail Famille back office")
    index_title = _("Daily management")

    def __init__(self, name="admin"):
        super().__init__(name)
