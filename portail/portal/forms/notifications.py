"""How a guardian wants to be e-mailed, category by category."""

from django import forms
from django.utils.translation import gettext_lazy as _

from portail.notifications.models import ALWAYS_EMAILED, Delivery, NotificationCategory


class NotificationPreferencesForm(forms.Form):
    """One choice per category that can be switched off; invoices and payment problems are
    not in the form: they are always e-mailed."""

    def __init__(self, *args, preferences: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        for category in self.configurable_categories():
            self.fields[category] = forms.ChoiceField(
                label=category.label,
                choices=Delivery.choices,
                initial=preferences[category],
                widget=forms.RadioSelect,
            )

    @staticmethod
    def configurable_categories() -> list[NotificationCategory]:
        return [category for category in NotificationCategory if category not in ALWAYS_EMAILED]

    @staticmethod
    def always_emailed_categories() -> list[NotificationCategory]:
        return [category for category in NotificationCategory if category in ALWAYS_EMAILED]


ALWAYS_EMAILED_HELP = _(
    "New invoices and payment problems are always e-mailed to you, straight away."
)
