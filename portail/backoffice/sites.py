from django import forms
from django.contrib.auth.views import LogoutView
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user, user_has_device
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite
from django_otp.forms import OTPAuthenticationFormMixin

from portail.organisation.models import Organisation


class StaffLoginForm(OTPAdminAuthenticationForm):
    """Identifier, password and the 6-digit code of the staff member's authenticator app.

    Family accounts are refused like a wrong password (``is_staff`` is checked by the admin's
    form). A staff member with a single device need not choose it: it is the one checked."""

    otp_token = forms.CharField(
        label=_("Verification code"),
        required=False,
        help_text=_("The 6-digit code shown by your authenticator app."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": 6}
        ),
    )
    otp_error_messages = {
        **OTPAuthenticationFormMixin.otp_error_messages,
        "token_required": _("Enter the 6-digit code shown by your authenticator app."),
        "invalid_token": _(
            "This code is not valid. Enter the code your authenticator app shows now."
        ),
        "device_required": _("Choose the device that gives you the code."),
    }
    error_messages = {
        **OTPAdminAuthenticationForm.error_messages,
        # The same answer for a wrong password and for a family account: nothing is revealed.
        "invalid_login": _(
            "Enter the identifier and password of a staff account. Families log in on the "
            "portal, not here."
        ),
    }
    no_device_message = _(
        "Your account has no authenticator app yet: ask an administrator to set one up."
    )

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("Identifier")

    def clean_otp(self, user):
        if user is not None and not user_has_device(user):
            raise forms.ValidationError(self.no_device_message, code="no_device")
        super().clean_otp(user)

    def _chosen_device(self, user):
        device = super()._chosen_device(user)
        if device is None:
            # Called inside clean_otp's transaction, as for_verify requires.
            devices = list(devices_for_user(user, for_verify=True))
            if len(devices) == 1:
                device = devices[0]
        return device

    def _update_form(self, user):
        # Unlike django-otp, never send the password back in the page; offer the device
        # list only to someone who has several.
        choices = self.device_choices(user)
        if len(choices) > 2:
            self.fields["otp_device"].widget.choices = choices


# The home page in the order of a working day, with names staff understand. Our own apps'
# names come from their AppConfig; third-party ones get theirs here.
APP_ORDER = [
    "households",
    "billing",
    "payments",
    "jobs",
    "nurseries",
    "accounts",
    "otp_totp",
    "organisation",
    "notifications",
    "axes",
    "django_tasks_database",
]
APP_NAMES = {
    "otp_totp": _("Second factor"),
    "axes": _("Login attempts"),
    "django_tasks_database": _("Background tasks"),
}
MODEL_NAMES = {
    ("otp_totp", "totpdevice"): _("Authenticator apps (TOTP)"),
    ("django_tasks_database", "dbtaskresult"): _("Task results"),
}


class BackofficeSite(OTPAdminSite):
    """Staff only, with a verified TOTP device (ASVS 4.3.1)."""

    name = "admin"
    site_header = _("Portail Famille — back office")
    site_title = _("Portail Famille back office")
    index_title = _("Daily management")
    login_form = StaffLoginForm
    login_template = "admin/login.html"

    def __init__(self, name="admin"):
        super().__init__(name)

    def each_context(self, request):
        context = super().each_context(request)
        context["site_header"] = gettext("{town} — back office").format(
            town=Organisation.current().town_name
        )
        return context

    def get_app_list(self, request, app_label=None):
        apps = super().get_app_list(request, app_label)
        for app in apps:
            app["name"] = APP_NAMES.get(app["app_label"], app["name"])
            for model in app["models"]:
                key = (app["app_label"], model["object_name"].lower())
                model["name"] = MODEL_NAMES.get(key, model["name"])
        known = {label: position for position, label in enumerate(APP_ORDER)}
        return sorted(apps, key=lambda app: known.get(app["app_label"], len(APP_ORDER)))

    def logout(self, request, extra_context=None):
        # Staff go back to the staff login, not to the families' (LOGOUT_REDIRECT_URL).
        request.current_app = self.name
        return LogoutView.as_view(
            next_page=reverse("admin:login", current_app=self.name),
            extra_context={**self.each_context(request), "has_permission": False},
        )(request)
