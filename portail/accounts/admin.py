"""Accounts in the back office, for administrators: staff members and their second factor,
and the journals of account links and CGU acceptances (read-only)."""

from base64 import b32encode

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp import admin as otp_totp_admin
from django_otp.plugins.otp_totp.models import TOTPDevice

from portail.backoffice.permissions import AdministratorOnlyMixin, ReadOnlyAdminMixin
from portail.nurseries.models import Nursery

from .models import AccountLink, TermsAcceptance, User

# Roles come from the user's flags (see portail/backoffice/permissions.py), not from groups.
if admin.site.is_registered(Group):
    admin.site.unregister(Group)


class NurseriesField(forms.ModelMultipleChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            queryset=Nursery.objects.all(),
            required=False,
            label=_("nurseries"),
            help_text=_("A member of staff sees the households of these nurseries only."),
            widget=FilteredSelectMultiple(_("nurseries"), is_stacked=False),
            **kwargs,
        )


class UniqueEmailMixin:
    def clean_email(self):
        email = self.cleaned_data.get("email", "").strip()
        others = User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk)
        if email and others.exists():
            raise forms.ValidationError(_("Another account already uses this e-mail address."))
        return email


class StaffCreationForm(UniqueEmailMixin, UserCreationForm):
    """A new account made in the back office is a staff account: its password must meet the
    staff rule (12 characters or more), which the validators apply to ``is_staff`` users."""

    nurseries = NurseriesField()

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ["username", "first_name", "last_name", "email", "is_superuser"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.is_staff = True
        self.fields["email"].required = True


class StaffChangeForm(UniqueEmailMixin, UserChangeForm):
    nurseries = NurseriesField()

    class Meta(UserChangeForm.Meta):
        model = User

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["nurseries"].initial = self.instance.nurseries.all()


def confirmed_devices():
    return TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True).values("pk")


@admin.register(User)
class UserAdmin(AdministratorOnlyMixin, DjangoUserAdmin):
    form = StaffChangeForm
    add_form = StaffCreationForm
    list_display = [
        "username",
        "first_name",
        "last_name",
        "email",
        "is_staff",
        "is_superuser",
        "nursery_names",
        "has_second_factor",
        "must_change_password",
        "last_login",
    ]
    list_filter = ["is_staff", "is_superuser", "is_active", "must_change_password", "nurseries"]
    search_fields = ["username", "first_name", "last_name", "email"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("Identity"), {"fields": ["first_name", "last_name", "email", "language"]}),
        (
            _("Role"),
            {
                "fields": ["is_active", "is_staff", "is_superuser", "nurseries"],
                "description": _(
                    "Administrator: everything. Nursery staff (staff, not administrator): "
                    "the households of their nurseries only. Families: neither box ticked."
                ),
            },
        ),
        (_("Second factor"), {"fields": ["second_factor"]}),
        (
            _("Password"),
            {
                "fields": [
                    "must_change_password",
                    "temporary_password_expires_at",
                    "password_changed_at",
                ]
            },
        ),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": [
                    "username",
                    ("first_name", "last_name"),
                    "email",
                    "is_superuser",
                    "nurseries",
                    "password1",
                    "password2",
                ],
                "description": _(
                    "A staff account. Families get theirs from « Send the invitation » on the "
                    "guardian's page. After saving, add the staff member's authenticator app "
                    "(second factor)."
                ),
            },
        ),
    ]
    readonly_fields = [
        "second_factor",
        "temporary_password_expires_at",
        "password_changed_at",
        "last_login",
        "date_joined",
    ]
    filter_horizontal = []

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related("nurseries")
            .annotate(has_confirmed_device=Exists(confirmed_devices()))
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if "nurseries" in form.cleaned_data:
            form.instance.nurseries.set(form.cleaned_data["nurseries"])

    def response_add(self, request, obj, post_url_continue=None):
        # The next step for a new staff member is their authenticator app.
        if "_addanother" not in request.POST and "_continue" not in request.POST:
            return HttpResponseRedirect(
                reverse(f"{self.admin_site.name}:otp_totp_totpdevice_add") + f"?user={obj.pk}"
            )
        return super().response_add(request, obj, post_url_continue)

    @admin.display(description=_("nurseries"))
    def nursery_names(self, user):
        return ", ".join(nursery.name for nursery in user.nurseries.all())

    @admin.display(description=_("second factor"), boolean=True)
    def has_second_factor(self, user):
        return user.has_confirmed_device

    @admin.display(description=_("authenticator app"))
    def second_factor(self, user):
        if user.pk is None:
            return "—"
        device = TOTPDevice.objects.filter(user=user).order_by("-confirmed", "pk").first()
        if device is None:
            return format_html(
                '<a href="{}?user={}">{}</a>',
                reverse(f"{self.admin_site.name}:otp_totp_totpdevice_add"),
                user.pk,
                gettext("Add an authenticator app"),
            )
        return format_html(
            '<a href="{}">{}</a>',
            reverse(f"{self.admin_site.name}:otp_totp_totpdevice_config", args=[device.pk]),
            gettext("Show the QR code and the secret"),
        )


@admin.register(AccountLink)
class AccountLinkAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Activation and reset links sent: who, when, used or not. The token is never shown."""

    list_display = [
        "user",
        "purpose",
        "created_at",
        "expires_at",
        "used_at",
        "revoked_at",
        "created_by",
    ]
    list_filter = ["purpose", "created_at"]
    list_select_related = ["user", "created_by"]
    search_fields = ["user__username", "user__email", "user__last_name"]
    fields = ["user", "purpose", "created_at", "expires_at", "used_at", "revoked_at", "created_by"]
    date_hierarchy = "created_at"


@admin.register(TermsAcceptance)
class TermsAcceptanceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The proof that each person accepted a version of the CGU."""

    list_display = ["user", "terms", "accepted_at", "ip_address"]
    list_filter = ["terms"]
    list_select_related = ["user", "terms"]
    search_fields = ["user__username", "user__email", "user__last_name"]
    fields = ["user", "terms", "accepted_at", "ip_address"]
    date_hierarchy = "accepted_at"


def spaced(secret: str) -> str:
    """« ABCD EFGH … »: easier to type into an app than 32 letters in a row."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


class StaffTOTPDeviceAdmin(AdministratorOnlyMixin, otp_totp_admin.TOTPDeviceAdmin):
    """Administrators give each staff member an authenticator app (TOTP): add the device,
    then let them scan the QR code (or type the secret) in their app."""

    raw_id_fields = []
    list_display = ["user", "name", "confirmed", "added_on", "last_used_on", "qrcode_link"]

    def get_list_display(self, request):
        return self.list_display

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (None, {"fields": ["user", "name", "confirmed"]}),
            (
                _("Settings"),
                {
                    "classes": ["collapse"],
                    "fields": ["key", "step", "t0", "digits", "tolerance", "drift"],
                },
            ),
        ]
        if obj is not None:
            fieldsets.insert(1, (_("Authenticator app"), {"fields": ["qrcode_link"]}))
            fieldsets.append((_("Use"), {"fields": ["added_on", "last_used_on"]}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        return ["qrcode_link", "added_on", "last_used_on"]

    def get_form(self, request, obj=None, **kwargs):
        # django-otp's fields have English labels only.
        kwargs["labels"] = {
            "user": _("staff member"),
            "name": _("name"),
            "confirmed": _("confirmed"),
            "key": _("secret key (hexadecimal)"),
            "step": _("time step (seconds)"),
            "t0": _("start time (Unix)"),
            "digits": _("digits"),
            "tolerance": _("tolerance (time steps)"),
            "drift": _("drift (time steps)"),
        }
        kwargs["help_texts"] = {
            "name": _("e.g. « Authenticator app on my phone »."),
            "confirmed": _("Only a confirmed device lets its owner log in."),
            "key": _("Generated for you: leave it as it is."),
        }
        return super().get_form(request, obj, **kwargs)

    @admin.display(description=_("added on"))
    def added_on(self, device):
        return device.created_at

    @admin.display(description=_("last used on"))
    def last_used_on(self, device):
        return device.last_used_at

    def get_changeform_initial_data(self, request):
        return {"name": gettext("Authenticator app"), "confirmed": True, **request.GET.dict()}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = User.objects.filter(is_staff=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("QR code"))
    def qrcode_link(self, device):
        return format_html(
            '<a href="{}">{}</a>',
            reverse(f"{self.admin_site.name}:otp_totp_totpdevice_config", args=[device.pk]),
            gettext("Show the QR code and the secret"),
        )

    def response_add(self, request, obj, post_url_continue=None):
        if "_addanother" not in request.POST and "_continue" not in request.POST:
            return HttpResponseRedirect(
                reverse(f"{self.admin_site.name}:otp_totp_totpdevice_config", args=[obj.pk])
            )
        return super().response_add(request, obj, post_url_continue)

    def qrcode_view(self, request, pk):
        # django-otp's own view fails with a server error on an unknown device.
        if not str(pk).isdigit() or not TOTPDevice.objects.filter(pk=pk).exists():
            raise Http404
        return super().qrcode_view(request, pk)

    def config_view(self, request, pk):
        device = (
            TOTPDevice.objects.select_related("user").filter(pk=pk).first()
            if str(pk).isdigit()
            else None
        )
        if device is None:
            raise Http404
        if not self.has_view_or_change_permission(request, device):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Authenticator app of {user}").format(user=device.user),
            "device": device,
            "secret": spaced(b32encode(device.bin_key).decode()),
            "config_url": device.config_url,
        }
        return TemplateResponse(request, "backoffice/totp_device_config.html", context)


if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)
admin.site.register(TOTPDevice, StaffTOTPDeviceAdmin)


# --- Account closure requests (RGPD) ------------------------------------------------------
from portail.backoffice.permissions import StaffScopeMixin, scoped_to_households  # noqa: E402

from .models import AccountClosureRequest  # noqa: E402
from .personal_data import close_account  # noqa: E402


@admin.register(AccountClosureRequest)
class AccountClosureRequestAdmin(StaffScopeMixin, admin.ModelAdmin):
    """Families' requests to close their account: staff of the household's nursery (or an
    administrator) close the account with the action; nothing else is edited here."""

    list_display = ["requested_at", "user", "household", "status", "handled_by", "handled_at"]
    list_filter = ["status"]
    search_fields = ["user__username", "household__name"]
    list_select_related = ["user", "household", "handled_by"]
    readonly_fields = [
        "user",
        "household",
        "reason",
        "status",
        "requested_at",
        "handled_by",
        "handled_at",
    ]
    fields = readonly_fields
    actions = ["close_accounts"]

    def scope_queryset(self, queryset, user):
        return scoped_to_households(queryset, user)

    def has_add_permission(self, request, *args):
        return False

    @admin.action(description=_("Close the selected accounts"))
    def close_accounts(self, request, queryset):
        closed = 0
        for closure in queryset.filter(status=AccountClosureRequest.Status.PENDING):
            close_account(closure=closure, handled_by=request.user)
            closed += 1
        self.message_user(
            request,
            ngettext(
                "{count} account closed. Its invoices and payments are kept.",
                "{count} accounts closed. Their invoices and payments are kept.",
                closed,
            ).format(count=closed),
        )
