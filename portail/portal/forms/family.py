from django import forms
from django.utils.translation import gettext_lazy as _

from .accounts import NewPasswordForm, password_input


class PasswordChangeForm(NewPasswordForm):
    """Identifiants: the current password (ASVS 2.1.6), then the new one twice under the rule."""

    current_password = forms.CharField(
        label=_("Current password"), strip=False, widget=password_input("current-password")
    )

    field_order = ["current_password", "new_password1", "new_password2"]

    error_messages = {
        **NewPasswordForm.error_messages,
        "wrong_current_password": _("Your current password is not correct."),
    }

    @property
    def has_wrong_current_password(self) -> bool:
        return self.has_error("current_password", code="wrong_current_password")

    def clean_current_password(self):
        password = self.cleaned_data["current_password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(
                self.error_messages["wrong_current_password"], code="wrong_current_password"
            )
        return password
