from django import forms
from django.utils.translation import gettext as _


class PaperlessInvoicesForm(forms.Form):
    """« Adhésion à la facture/compte en ligne »: one checkbox per household of the person,
    ticked when the household receives its invoices on the portal only."""

    def __init__(self, *args, households, **kwargs):
        super().__init__(*args, **kwargs)
        self.households = list(households)
        for household in self.households:
            self.fields[self.field_name(household)] = forms.BooleanField(
                required=False,
                initial=household.paperless_invoices,
                label=_(
                    "%(household)s: I opt in to online invoices and no longer receive paper "
                    "invoices."
                )
                % {"household": household.name},
            )

    @staticmethod
    def field_name(household) -> str:
        return f"paperless_{household.reference.hex}"

    def choices(self):
        """(household, paperless or not) for each household, once the form is valid."""
        return [
            (household, self.cleaned_data[self.field_name(household)])
            for household in self.households
        ]

    def household_fields(self):
        return [(household, self[self.field_name(household)]) for household in self.households]
