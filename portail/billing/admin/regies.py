"""Régies and their invoice kinds, set up by administrators."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portail.backoffice.permissions import AdministratorOnlyMixin
from portail.billing.models import InvoiceKind, Regie
from portail.billing.services import create_regie
from portail.payments import payfip

from .common import change_url, object_button_urls
from .provider_settings import ONLINE_PAYMENT_HELP, RegieForm, provider_fieldsets


class InvoiceKindInline(AdministratorOnlyMixin, admin.TabularInline):
    model = InvoiceKind
    extra = 0
    fields = ["label", "position"]


@admin.register(Regie)
class RegieAdmin(AdministratorOnlyMixin, admin.ModelAdmin):
    form = RegieForm
    list_display = ["name", "email", "phone", "payment_delay_days", "invoice_number_format"]
    search_fields = ["name"]
    fieldsets = [
        (None, {"fields": ["name", "address", ("email", "phone")]}),
        (
            _("Numbering and due date"),
            {
                "fields": [
                    "invoice_number_format",
                    "credit_note_number_format",
                    "receipt_number_format",
                    "payment_delay_days",
                ]
            },
        ),
        (
            _("Accepted payment methods"),
            {
                "fields": [
                    ("accepts_card_online", "accepts_direct_debit"),
                    ("accepts_cheque", "accepts_cash"),
                    ("accepts_cesu", "accepts_transfer"),
                ]
            },
        ),
        (
            _("Online payment"),
            {
                "fields": [
                    "online_provider",
                    ("payfip_client_number", "payfip_mode"),
                    "payfip_connection",
                ],
                "description": ONLINE_PAYMENT_HELP,
            },
        ),
        (
            _("Printed on invoices"),
            {"fields": ["issuer_name", "appeal_notice", "payment_instructions"]},
        ),
    ]
    readonly_fields = ["payfip_connection"]
    inlines = [InvoiceKindInline]

    def get_fieldsets(self, request, obj=None):
        # The bank services' settings come right after the « Online payment » section.
        fieldsets = list(super().get_fieldsets(request, obj))
        at = next(
            i
            for i, (_name, options) in enumerate(fieldsets)
            if "online_provider" in options["fields"]
        )
        return [*fieldsets[: at + 1], *provider_fieldsets(), *fieldsets[at + 1 :]]

    @admin.display(description=_("PayFiP connection"))
    def payfip_connection(self, regie):
        if regie.pk is None:
            return gettext("Save the régie first.")
        if not payfip.supports_connection_test(regie.online_provider):
            return gettext("This payment service has no connection test: make a test payment.")
        # A submit button of the change form itself (forms cannot nest): it sends the
        # number as typed to the test page, which saves nothing.
        return format_html(
            '<button type="submit" class="button" formaction="{}" formnovalidate>{}</button>'
            '<div class="help">{}</div>',
            reverse("admin:billing_regie_payfip_test", args=[regie.pk]),
            gettext("Test the connection"),
            gettext("Asks PayFiP for the details of this client number (recupererDetailClient)."),
        )

    def get_urls(self):
        return [
            *object_button_urls(self, ("payfip-test", self.payfip_test_view)),
            *super().get_urls(),
        ]

    def payfip_test_view(self, request, object_id):
        regie = self.get_object(request, unquote(object_id))
        if regie is None or not self.has_change_permission(request, regie):
            raise Http404(gettext("No such régie."))
        if request.method != "POST" or not payfip.supports_connection_test(regie.online_provider):
            return HttpResponseRedirect(change_url(regie))
        typed = request.POST.get("payfip_client_number", "").strip()
        if typed.isdigit() and len(typed) == 6:
            regie.payfip_client_number = typed
        if not (regie.payfip_client_number.isdigit() and len(regie.payfip_client_number) == 6):
            messages.error(request, gettext("The PayFiP client number has exactly 6 digits."))
            return HttpResponseRedirect(change_url(regie))
        try:
            details = payfip.client_details(regie=regie)
        except payfip.PayFiPUnavailable as error:
            messages.error(
                request,
                gettext("PayFiP does not accept client number {number}: {code} {message}").format(
                    number=regie.payfip_client_number, code=error.code, message=error.message
                ),
            )
        else:
            labels = " / ".join(
                details[key] for key in ("libelleN1", "libelleN2", "libelleN3") if details.get(key)
            )
            messages.success(
                request,
                gettext("PayFiP knows client number {number}: {labels}.").format(
                    number=regie.payfip_client_number, labels=labels
                ),
            )
        return HttpResponseRedirect(change_url(regie))

    def get_inlines(self, request, obj):
        # A new régie gets the two usual kinds from create_regie; more are added afterwards.
        return self.inlines if obj is not None else []

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        fields = {
            field.attname: getattr(obj, field.attname)
            for field in obj._meta.concrete_fields
            if not field.primary_key
        }
        regie = create_regie(**fields)
        # The admin goes on (history, redirection) with the object its form built.
        obj.pk = regie.pk
        obj._state.adding = False
        obj._state.db = regie._state.db
        messages.info(
            request,
            gettext("The régie has its two usual invoice kinds: {kinds}.").format(
                kinds=", ".join(f"« {kind.label} »" for kind in regie.kinds.all())
            ),
        )


@admin.register(InvoiceKind)
class InvoiceKindAdmin(AdministratorOnlyMixin, admin.ModelAdmin):
    list_display = ["label", "regie", "position"]
    list_filter = ["regie"]
    list_select_related = ["regie"]
    search_fields = ["label", "regie__name"]
    fields = ["regie", "label", "position"]
