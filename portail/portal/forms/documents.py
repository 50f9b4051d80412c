"""The period a family asks an attestation de paiement for."""

from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# A certificate covers at most this many days: enough for several school years, and it
# keeps a mistyped year (« 0202 ») from reading the whole table.
MAX_DAYS = 366 * 5


class PaymentCertificateForm(forms.Form):
    account = forms.ChoiceField(label=_("Household and régie"))
    start_on = forms.DateField(
        label=_("Start of the period"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end_on = forms.DateField(
        label=_("End of the period"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.choices = {choice.key: choice for choice in choices}
        self.fields["account"].choices = [
            (choice.key, f"{choice.household_name} — {choice.regie_name}") for choice in choices
        ]
        today = timezone.localdate()
        self.fields["start_on"].initial = date(today.year, 1, 1)
        self.fields["end_on"].initial = today

    def clean(self):
        cleaned = super().clean()
        start_on, end_on = cleaned.get("start_on"), cleaned.get("end_on")
        if start_on and end_on:
            if start_on > end_on:
                raise forms.ValidationError(_("The start date must be before the end date."))
            if (end_on - start_on).days > MAX_DAYS:
                raise forms.ValidationError(_("A certificate covers five years at most."))
        return cleaned

    @property
    def choice(self):
        return self.choices[self.cleaned_data["account"]]
