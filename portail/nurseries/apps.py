from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NurseriesConfig(AppConfig):
    name = "portail.nurseries"
    label = "nurseries"
    verbose_name = _("Nurseries")
