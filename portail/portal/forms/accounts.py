from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


def password_input(autocomplete: str) -> forms.PasswordInput:
    return forms.PasswordInput(
        attrs={
            "autocomplete": autocomplete,
            "data-toggle": "",
            "data-show-label": _("Show the password"),
            "data-hide-label": _("Hide the password"),
        }
    )


class LoginForm(AuthenticationForm):
    """Identifier (the part of the e-mail before « @ ») or e-mail, and password."""

    username = forms.CharField(
        label=_("Identifier or e-mail address"),
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = forms.CharField(
        label=_("Password"), strip=False, widget=password_input("current-password")
    )

    error_messages = {
        "invalid_login": _(
            "Incorrect identifier or password. Check them and try again: after 10 failed "
            "attempts, logging in is blocked for 15 minutes."
        ),
        "inactive": _("This account is disabled. Please contact the service."),
        "staff_account": _("Staff accounts log in to the back office, not to the family portal."),
        "temporary_expired": _(
            "This temporary password has expired. Ask the service for a new one, or use "
            "« I forgot my password »."
        ),
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if user.is_staff:
            raise forms.ValidationError(self.error_messages["staff_account"], code="staff")
        if user.has_expired_temporary_password:
            raise forms.ValidationError(
                self.error_messages["temporary_expired"], code="temporary_expired"
            )


class PasswordResetRequestForm(forms.Form):
    login = forms.CharField(
        label=_("Identifier or e-mail address"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )


class NewPasswordForm(forms.Form):
    """Choose a password twice; every unmet rule is listed next to the field."""

    new_password1 = forms.CharField(
        label=_("New password"), strip=False, widget=password_input("new-password")
    )
    new_password2 = forms.CharField(
        label=_("Confirm the new password"), strip=False, widget=password_input("new-password")
    )

    error_messages = {
        "password_mismatch": _("The two passwords are different."),
        "same_as_temporary": _("Choose a password different from the temporary one."),
    }

    def __init__(self, *args, user, forbid_current=False, **kwargs):
        self.user = user
        self.forbid_current = forbid_current
        super().__init__(*args, **kwargs)

    def clean_new_password1(self):
        password = self.cleaned_data["new_password1"]
        password_validation.validate_password(password, self.user)
        if self.forbid_current and self.user.check_password(password):
            raise forms.ValidationError(
                self.error_messages["same_as_temporary"], code="same_as_temporary"
            )
        return password

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("new_password1"), cleaned.get("new_password2")
        if first and second and first != second:
            self.add_error(
                "new_password2",
                forms.ValidationError(
                    self.error_messages["password_mismatch"], code="password_mismatch"
                ),
            )
        return cleaned
