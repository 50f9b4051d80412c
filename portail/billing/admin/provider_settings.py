"""The régie's online payment service in the back office: PayFiP by default, or a bank's
service (SystemPay/PayZen, Paybox) whose settings are the ones eopayment describes for it and
are checked by eopayment's own rules. Secrets are stored encrypted and never shown back."""

import json

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portail.billing.models import Regie
from portail.payments import payfip


def setting_key(provider: str, name: str) -> str:
    return f"{provider}__{name}"


def _setting_field(parameter: payfip.ProviderParameter) -> forms.Field:
    label = parameter.caption
    if parameter.is_secret:
        return forms.CharField(
            label=label,
            required=False,
            strip=True,
            widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        )
    if parameter.choices:
        return forms.ChoiceField(
            label=label,
            required=False,
            choices=[("", "—"), *parameter.choices],
            initial=parameter.default,
        )
    return forms.CharField(
        label=label, required=False, initial=parameter.default, help_text=parameter.help_text
    )


def provider_fieldsets() -> list[tuple]:
    """One folded section per redirect-form service, after the PayFiP one."""
    return [
        (
            gettext("Settings for {provider}").format(
                provider=Regie.OnlineProvider(provider).label
            ),
            {
                "classes": ["collapse"],
                "fields": [
                    setting_key(provider, parameter.name)
                    for parameter in payfip.provider_parameters(provider)
                ],
            },
        )
        for provider in payfip.FORM_PROVIDERS
    ]


class RegieForm(forms.ModelForm):
    class Meta:
        model = Regie
        fields = ["online_provider"]  # the admin gives the full list from its fieldsets

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "online_provider" in self.fields:
            # A régie created without choosing stays with PayFiP, as before there was a choice.
            self.fields["online_provider"].required = False
        regie = self.instance
        stored_secrets = regie.online_provider_secret_values if regie.pk else {}
        for provider in payfip.FORM_PROVIDERS:
            for parameter in payfip.provider_parameters(provider):
                key = setting_key(provider, parameter.name)
                if key not in self.fields:
                    continue
                if parameter.is_secret:
                    stored = provider == regie.online_provider and stored_secrets.get(
                        parameter.name
                    )
                    self.fields[key].help_text = (
                        gettext("A value is stored (encrypted). Leave empty to keep it.")
                        if stored
                        else gettext("Stored encrypted; never shown again.")
                    )
                elif provider == regie.online_provider and regie.pk:
                    value = regie.online_provider_options.get(parameter.name)
                    if value is not None:
                        self.initial[key] = value

    def clean_online_provider(self):
        return self.cleaned_data.get("online_provider") or Regie.OnlineProvider.PAYFIP

    def clean(self):
        cleaned = super().clean()
        provider = cleaned.get("online_provider") or Regie.OnlineProvider.PAYFIP
        if provider not in payfip.FORM_PROVIDERS:
            self.instance.online_provider_options = {}
            self.instance.online_provider_secrets = ""
            return cleaned
        previous = (
            self.instance.online_provider_secret_values
            if self.instance.pk and self.initial.get("online_provider") == provider
            else {}
        )
        options, secrets = {}, {}
        for parameter in payfip.provider_parameters(provider):
            value = (cleaned.get(setting_key(provider, parameter.name)) or "").strip()
            if parameter.is_secret:
                value = value or previous.get(parameter.name, "")
                if value:
                    secrets[parameter.name] = value
            elif value:
                options[parameter.name] = value
        for name, message in payfip.check_provider_settings(provider, options, secrets).items():
            key = setting_key(provider, name)
            self.add_error(key if key in self.fields else None, message)
        self.instance.online_provider_options = options
        self.instance.online_provider_secrets = json.dumps(secrets) if secrets else ""
        return cleaned


def _declare_setting_fields() -> None:
    """The settings' fields are declared on the class (the admin builds its form from the
    fieldsets' names), one per eopayment parameter of each service."""
    for provider in payfip.FORM_PROVIDERS:
        for parameter in payfip.provider_parameters(provider):
            field = _setting_field(parameter)
            RegieForm.base_fields[setting_key(provider, parameter.name)] = field
            RegieForm.declared_fields[setting_key(provider, parameter.name)] = field


_declare_setting_fields()

ONLINE_PAYMENT_HELP = _(
    "PayFiP needs only the client number. Another service needs its settings below, as given "
    "by the bank; its secrets are stored encrypted."
)
