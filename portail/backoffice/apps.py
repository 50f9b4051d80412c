from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class BackofficeAdminConfig(AdminConfig):
    """The Django admin, served at /gestion/ as the staff back office, with a second factor."""

    default_site = "portail.backoffice.sites.BackofficeSite"


class BackofficeConfig(AppConfig):
    name = "portail.backoffice"
    label = "backoffice"
