from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectDebitsConfig(AppConfig):
    name = "portail.direct_debits"
    verbose_name = _("Direct debits")
