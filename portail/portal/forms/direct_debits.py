"""« MES PRÉLÈVEMENTS »: asking for direct debit, signing the mandate with the code, revoking.
Forms list their fields explicitly: a forged field (a household, a payer of another family)
is never read."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from portail.direct_debits.services import checked_account


class MandateRequestForm(forms.Form):
    payer = forms.TypedChoiceField(label=_("Payer"), coerce=int)
    regie = forms.TypedChoiceField(label=_("Creditor"), coerce=int)
    holder_name = forms.CharField(
        label=_("Account holder's name"),
        max_length=70,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    holder_address = forms.CharField(
        label=_("Account holder's address"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}),
    )
    iban = forms.CharField(
        label=_("IBAN"),
        max_length=50,
        help_text=_("As printed on your RIB, e.g. FR76 3000 1007 9412 3456 7890 185."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    bic = forms.CharField(
        label=_("BIC (optional)"),
        max_length=15,
        required=False,
        help_text=_("Found from the IBAN when we know the bank."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args, payers, regies, **kwargs):
        super().__init__(*args, **kwargs)
        self.payers = {payer.pk: payer for payer in payers}
        self.regies = {regie.pk: regie for regie in regies}
        self.fields["payer"].choices = [
            (payer.pk, f"{payer.full_name} — {payer.household.name}") for payer in payers
        ]
        self.fields["regie"].choices = [(regie.pk, regie.name) for regie in regies]
        # With a single choice there is nothing to choose: the field is not even shown.
        self.fixed = {}
        for name, choices in (("payer", self.payers), ("regie", self.regies)):
            if len(choices) == 1:
                del self.fields[name]
                self.fixed[name] = next(iter(choices))

    def clean(self):
        cleaned = super().clean()
        iban = cleaned.get("iban")
        if iban:
            try:
                info, bic = checked_account(iban=iban, bic=cleaned.get("bic", ""))
            except ValidationError as error:
                field = "bic" if error.code and error.code.startswith("bic") else "iban"
                self.add_error(field, error)
            else:
                cleaned["iban"], cleaned["bic"] = info.compact, bic
        return cleaned

    @property
    def chosen_payer(self):
        return self.payers[self.fixed.get("payer") or self.cleaned_data["payer"]]

    @property
    def chosen_regie(self):
        return self.regies[self.fixed.get("regie") or self.cleaned_data["regie"]]


class SignatureForm(forms.Form):
    consent = forms.BooleanField(
        label=_("I have read the mandate above and I accept it."),
        error_messages={"required": _("Tick the box to accept the mandate.")},
    )
    code = forms.RegexField(
        label=_("Code received by e-mail (6 digits)"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("The code has 6 digits."), "required": _("Enter the code.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": 6}
        ),
    )


class RevokeForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I confirm that I want to stop paying my invoices by direct debit."),
        error_messages={"required": _("Tick the box to confirm.")},
    )
