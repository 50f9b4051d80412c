"""Direct debit in the back office.

Administrators set up the creditor settings of a régie, build debit batches (in the
background), download their pain.008 file, mark them sent, confirm their settlement, and
record rejects by hand or from the bank's return file. Every member of staff sees the
mandates and debits of their households (nursery staff: their nurseries' only) with the IBAN
masked, and validates, suspends or revokes mandates. Every write goes through the services."""

import io

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from portail.backoffice.permissions import (
    AdministratorOnlyMixin,
    StaffScopeMixin,
    households_for,
    is_administrator,
)
from portail.billing.admin import RegieFilter, admin_page, change_url, euro_column, step_of
from portail.billing.models import Regie

from . import services
from .identifiers import check_bic, check_iban, check_ics, mask_iban
from .models import CreditorSettings, Debit, DebitBatch, Mandate

MAX_RETURN_FILE_SIZE = 20 * 1024 * 1024


# --- Creditor settings ---------------------------------------------------------------------


class CreditorSettingsForm(forms.ModelForm):
    new_creditor_iban = forms.CharField(
        label=_("Creditor IBAN"),
        required=False,
        help_text=_("Leave empty to keep the current account."),
    )

    class Meta:
        model = CreditorSettings
        fields = [
            "regie",
            "creditor_name",
            "creditor_address",
            "ics",
            "creditor_bic",
            "rum_prefix",
            "debit_lead_days",
            "prenotification_days",
            "mandates_need_validation",
            "max_rejects_before_suspension",
            "card_payment_for_covered_invoices",
            "represent_rejected_once",
        ]

    def clean_ics(self):
        return check_ics(self.cleaned_data["ics"])

    def clean_creditor_bic(self):
        return check_bic(self.cleaned_data["creditor_bic"])

    def clean_new_creditor_iban(self):
        value = self.cleaned_data["new_creditor_iban"]
        if not value:
            if not self.instance.creditor_iban:
                raise ValidationError(gettext("Enter the creditor's IBAN."))
            return None
        return check_iban(value)

    def save(self, commit=True):
        info = self.cleaned_data.get("new_creditor_iban")
        if info is not None:
            self.instance.creditor_iban = info.compact
            self.instance.creditor_iban_last4 = info.last4
        return super().save(commit)


@admin.register(CreditorSettings)
class CreditorSettingsAdmin(AdministratorOnlyMixin, admin.ModelAdmin):
    form = CreditorSettingsForm
    list_display = ["regie", "creditor_name", "ics", "creditor_account", "prenotification_days"]
    list_select_related = ["regie"]
    readonly_fields = ["creditor_account"]
    fieldsets = [
        (None, {"fields": ["regie", "creditor_name", "creditor_address"]}),
        (
            _("SEPA creditor"),
            {
                "fields": [
                    "ics",
                    "creditor_account",
                    "new_creditor_iban",
                    "creditor_bic",
                    "rum_prefix",
                ]
            },
        ),
        (
            _("Policy"),
            {
                "fields": [
                    ("debit_lead_days", "prenotification_days"),
                    "mandates_need_validation",
                    "max_rejects_before_suspension",
                    "card_payment_for_covered_invoices",
                    "represent_rejected_once",
                ]
            },
        ),
    ]

    @admin.display(description=_("creditor IBAN"))
    def creditor_account(self, creditor):
        return mask_iban(creditor.creditor_iban) if creditor.creditor_iban else "—"


# --- Mandates ------------------------------------------------------------------------------


@admin.register(Mandate)
class MandateAdmin(StaffScopeMixin, admin.ModelAdmin):
    list_display = [
        "rum",
        "holder_name",
        "household",
        "masked_account",
        "status",
        "signed_at",
        "regie",
    ]
    list_filter = ["status", RegieFilter]
    list_select_related = ["household", "regie"]
    search_fields = ["=rum", "holder_name", "household__name", "payer__last_name", "=iban_last4"]
    search_help_text = _("Search by RUM, account holder, household, payer or last 4 of the IBAN.")
    actions = ["validate_selected", "suspend_selected", "revoke_selected"]
    fields = [
        "rum",
        "regie",
        "household",
        "payer",
        "status",
        "kind",
        "holder_name",
        "holder_address",
        "masked_account",
        "bic",
        "next_sequence",
        "effective_on",
        "last_collection_on",
        "signed_at",
        "signed_by",
        "signed_from_ip",
        "code_verified_at",
        "pdf_document",
        "pdf_sha256",
        "validated_at",
        "validated_by",
        "ended_at",
        "end_reason",
        "replaces",
    ]
    readonly_fields = fields

    def scope_queryset(self, queryset, user):
        return queryset.filter(household__in=households_for(user).values("pk"))

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("IBAN"))
    def masked_account(self, mandate):
        return mandate.masked_iban

    @admin.display(description=_("signed mandate (PDF)"))
    def pdf_document(self, mandate):
        if not mandate.pdf:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:direct_debits_mandate_pdf", args=[mandate.pk]),
            gettext("Download the signed mandate"),
        )

    def get_urls(self):
        return [
            path(
                "<path:object_id>/pdf/",
                self.admin_site.admin_view(self.pdf_view),
                name="direct_debits_mandate_pdf",
            ),
            *super().get_urls(),
        ]

    def pdf_view(self, request, object_id):
        mandate = self.get_object(request, unquote(object_id))
        if mandate is None or not mandate.pdf:
            raise Http404(gettext("No such mandate."))
        return FileResponse(
            io.BytesIO(mandate.read_pdf()),
            as_attachment=True,
            filename=f"mandat-{mandate.rum}.pdf",
            content_type="application/pdf",
        )

    def _apply(self, request, queryset, action, done_message):
        done = 0
        for mandate in queryset:
            try:
                action(mandate)
            except services.MandateError as error:
                messages.error(request, f"{mandate.rum} : {error}")
            else:
                done += 1
        if done:
            messages.success(request, done_message % {"count": done})

    @admin.action(description=_("Validate the selected mandates"))
    def validate_selected(self, request, queryset):
        self._apply(
            request,
            queryset,
            lambda mandate: services.validate_mandate(mandate=mandate, validated_by=request.user),
            gettext("%(count)d mandate(s) validated."),
        )

    @admin.action(description=_("Suspend the selected mandates"))
    def suspend_selected(self, request, queryset):
        self._apply(
            request,
            queryset,
            lambda mandate: services.suspend_mandate(
                mandate=mandate, reason=gettext("Suspended by the service.")
            ),
            gettext("%(count)d mandate(s) suspended."),
        )

    @admin.action(description=_("Revoke the selected mandates (at the family's request)"))
    def revoke_selected(self, request, queryset):
        self._apply(
            request,
            queryset,
            lambda mandate: services.revoke_mandate(
                mandate=mandate,
                reason=gettext("Revoked by the service at the family's request."),
                revoked_by=request.user,
            ),
            gettext("%(count)d mandate(s) revoked."),
        )


# --- Debits --------------------------------------------------------------------------------


class RejectForm(forms.Form):
    code = forms.CharField(
        label=_("Reason code"), max_length=4, help_text=_("As given by the bank, e.g. AM04.")
    )
    rejected_on = forms.DateField(
        label=_("Rejected on"), widget=forms.DateInput(attrs={"type": "date"})
    )


@admin.register(Debit)
class DebitAdmin(StaffScopeMixin, admin.ModelAdmin):
    list_display = [
        "end_to_end_id",
        "collection_on",
        "invoice",
        "mandate",
        "amount_in_euros",
        "sequence",
        "status",
        "reject_code",
        "held_for_review",
    ]
    list_filter = ["status", "held_for_review", "sequence", "collection_on"]
    list_select_related = ["invoice", "mandate"]
    search_fields = ["=end_to_end_id", "=invoice__number", "=mandate__rum"]
    fields = [
        "end_to_end_id",
        "batch",
        "invoice",
        "mandate",
        "amount_in_euros",
        "sequence",
        "collection_on",
        "status",
        "reject_code",
        "reason",
        "rejected_on",
        "payment",
        "cancelled_receipt_number",
        "prenotified_at",
        "held_for_review",
    ]
    readonly_fields = fields
    amount_in_euros = euro_column("amount", _("amount"), ordering="amount")
    change_form_template = "admin/direct_debits/debit/change_form.html"

    def scope_queryset(self, queryset, user):
        return queryset.filter(mandate__household__in=households_for(user).values("pk"))

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("reason"))
    def reason(self, debit):
        return debit.reason_label or "—"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_reject": is_administrator(request.user)}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/rejet/",
                self.admin_site.admin_view(self.reject_view),
                name="direct_debits_debit_reject",
            ),
            *super().get_urls(),
        ]

    def reject_view(self, request, object_id):
        debit = self.get_object(request, unquote(object_id))
        if debit is None or not is_administrator(request.user):
            raise Http404(gettext("No such debit."))
        back = change_url(debit)
        form = RejectForm(
            request.POST if request.method == "POST" else None,
            initial={"rejected_on": timezone.localdate()},
        )
        if request.method == "POST" and form.is_valid():
            try:
                services.record_reject(
                    debit=debit,
                    code=form.cleaned_data["code"],
                    rejected_on=form.cleaned_data["rejected_on"],
                )
            except services.MandateError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, gettext("The reject is recorded; the family is told."))
                return HttpResponseRedirect(back)
        return admin_page(
            self,
            request,
            "admin/direct_debits/form_page.html",
            title=gettext("Enter a reject"),
            obj=debit,
            form=form,
            facts=[
                (gettext("Debit"), debit.end_to_end_id),
                (gettext("Invoice"), debit.invoice.number),
                (gettext("Amount"), f"{debit.amount} €"),
                (gettext("Status"), debit.get_status_display()),
            ],
            submit_label=gettext("Record the reject"),
            back_url=back,
        )


# --- Batches -------------------------------------------------------------------------------


class BuildBatchForm(forms.Form):
    regie = forms.ModelChoiceField(label=_("Régie"), queryset=Regie.objects.none())
    collection_on = forms.DateField(
        label=_("Collection date"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["regie"].queryset = Regie.objects.filter(creditor_settings__isnull=False)


class ReturnFileForm(forms.Form):
    regie = forms.ModelChoiceField(label=_("Régie"), queryset=Regie.objects.none())
    file = forms.FileField(
        label=_("Bank return file"), help_text=_("pain.002 or camt.054, as sent by the bank.")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["regie"].queryset = Regie.objects.filter(creditor_settings__isnull=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_RETURN_FILE_SIZE:
            raise ValidationError(gettext("This file is too large for a bank return file."))
        return upload


# Above this many debits the batch page shows counts and a link to the debit list (paged,
# searchable) instead of one inline row per debit.
INLINE_DEBITS_LIMIT = 50


class DebitInline(admin.TabularInline):
    model = Debit
    extra = 0
    fields = [
        "end_to_end_id",
        "invoice",
        "mandate",
        "amount",
        "sequence",
        "status",
        "reject_code",
        "held_for_review",
    ]
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("invoice", "mandate")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(DebitBatch)
class DebitBatchAdmin(AdministratorOnlyMixin, admin.ModelAdmin):
    list_display = [
        "collection_on",
        "regie",
        "status",
        "debit_count",
        "total_in_euros",
        "progress",
        "created_at",
    ]
    list_filter = ["status", RegieFilter]
    list_select_related = ["regie", "job"]
    fields = [
        "regie",
        "collection_on",
        "status",
        "message_id",
        "debit_count",
        "total_in_euros",
        "xml_sha256",
        "progress",
        "debits_summary",
        "errors",
        "created_by",
        "created_at",
        "sent_at",
        "settled_at",
    ]
    readonly_fields = fields
    inlines = [DebitInline]
    total_in_euros = euro_column("total_amount", _("total"), ordering="total_amount")
    change_form_template = "admin/direct_debits/debitbatch/change_form.html"
    change_list_template = "admin/direct_debits/debitbatch/change_list.html"

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return is_administrator(request.user)

    def get_inlines(self, request, obj):
        if obj is not None and obj.debit_count > INLINE_DEBITS_LIMIT:
            return []
        return self.inlines

    @admin.display(description=_("debits"))
    def debits_summary(self, batch):
        """How many debits per status, with a link to them in the debit list: one query
        whatever the size of the batch."""
        rows = list(
            Debit.objects.filter(batch=batch)
            .values("status")
            .annotate(count=Count("pk"), held=Count("pk", filter=Q(held_for_review=True)))
            .order_by("status")
            .values_list("status", "count", "held")
        )
        held = sum(row[2] for row in rows)
        labels = dict(Debit.Status.choices)
        parts = [f"{labels[status]} : {count}" for status, count, _held in rows]
        if held:
            parts.append(gettext("held for staff review: {count}").format(count=held))
        url = reverse("admin:direct_debits_debit_changelist") + f"?batch__id__exact={batch.pk}"
        return format_html(
            '{} — <a href="{}">{}</a>',
            " ; ".join(parts) or "—",
            url,
            gettext("See the debits of this batch"),
        )

    @admin.display(description=_("background job"))
    def progress(self, batch):
        if batch.job is None:
            return "—"
        return format_html(
            '<a href="{}">{} ({} %)</a>',
            reverse("backoffice:job-detail", kwargs={"reference": batch.job.reference}),
            batch.job.get_status_display(),
            batch.job.percent,
        )

    def get_urls(self):
        def view(name, function):
            return path(
                f"<path:object_id>/{name}/",
                self.admin_site.admin_view(function),
                name=f"direct_debits_debitbatch_{name.replace('-', '_')}",
            )

        return [
            path(
                "construire/",
                self.admin_site.admin_view(self.build_view),
                name="direct_debits_debitbatch_build",
            ),
            path(
                "retour-banque/",
                self.admin_site.admin_view(self.return_file_view),
                name="direct_debits_debitbatch_return_file",
            ),
            view("xml", self.xml_view),
            view("sent", self.sent_view),
            view("settle", self.settle_view),
            view("withdraw", self.withdraw_view),
            *super().get_urls(),
        ]

    def _batch(self, request, object_id) -> DebitBatch:
        batch = self.get_object(request, unquote(object_id))
        if batch is None or not is_administrator(request.user):
            raise Http404(gettext("No such batch."))
        return batch

    def build_view(self, request):
        if not is_administrator(request.user):
            raise Http404
        form = BuildBatchForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                batch = services.queue_debit_batch(
                    regie=form.cleaned_data["regie"],
                    collection_on=form.cleaned_data["collection_on"],
                    created_by=request.user,
                )
            except services.MandateError as error:
                form.add_error(None, str(error))
            else:
                messages.info(
                    request, gettext("The batch is being built; this page shows its progress.")
                )
                return redirect("backoffice:job-detail", reference=batch.job.reference)
        return admin_page(
            self,
            request,
            "admin/direct_debits/form_page.html",
            title=gettext("Build a batch"),
            form=form,
            intro=gettext(
                "The batch takes the unpaid invoices due by the collection date of payers with "
                "an active mandate, e-mails each payer the amount and date, and writes the "
                "pain.008 file to send to the bank."
            ),
            submit_label=gettext("Build the batch"),
            back_url=reverse("admin:direct_debits_debitbatch_changelist"),
        )

    def return_file_view(self, request):
        if not is_administrator(request.user):
            raise Http404
        form = ReturnFileForm(
            request.POST if request.method == "POST" else None,
            request.FILES if request.method == "POST" else None,
        )
        errors = []
        if request.method == "POST" and form.is_valid():
            try:
                outcome = services.import_bank_return(
                    data=form.cleaned_data["file"].read(), regie=form.cleaned_data["regie"]
                )
            except services.RejectError as error:
                form.add_error(None, str(error))
                errors = error.errors
            else:
                messages.success(
                    request,
                    ngettext(
                        "%(count)d reject recorded.",
                        "%(count)d rejects recorded.",
                        len(outcome.recorded),
                    )
                    % {"count": len(outcome.recorded)},
                )
                if outcome.already_known:
                    messages.info(
                        request,
                        gettext("Already recorded, left as they were: {ids}.").format(
                            ids=", ".join(outcome.already_known)
                        ),
                    )
                for mandate in outcome.suspended:
                    messages.warning(
                        request, gettext("Mandate {rum} is suspended.").format(rum=mandate.rum)
                    )
                return redirect("admin:direct_debits_debitbatch_changelist")
        return admin_page(
            self,
            request,
            "admin/direct_debits/upload_page.html",
            title=gettext("Import a bank return file"),
            form=form,
            errors=errors,
            submit_label=gettext("Import the rejects"),
            back_url=reverse("admin:direct_debits_debitbatch_changelist"),
        )

    def xml_view(self, request, object_id):
        batch = self._batch(request, object_id)
        if not batch.xml_file:
            raise Http404(gettext("This batch has no file."))
        return FileResponse(
            batch.xml_file.open("rb"),
            as_attachment=True,
            filename=f"{batch.message_id}.xml",
            content_type="application/xml",
        )

    def _confirm(self, request, batch, *, title, facts, confirm_label, action, done):
        back = change_url(batch)
        if step_of(request) == "confirm":
            try:
                action()
            except services.MandateError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, done)
            return HttpResponseRedirect(back)
        return admin_page(
            self,
            request,
            "admin/billing/confirm_page.html",
            title=title,
            obj=batch,
            form=forms.Form(),
            facts=facts,
            confirm_label=confirm_label,
            back_url=back,
        )

    def _facts(self, batch):
        return [
            (gettext("Régie"), batch.regie.name),
            (gettext("Collection date"), batch.collection_on.strftime("%d/%m/%Y")),
            (gettext("Debits"), str(batch.debit_count)),
            (gettext("Total"), f"{batch.total_amount} €"),
        ]

    def sent_view(self, request, object_id):
        batch = self._batch(request, object_id)
        return self._confirm(
            request,
            batch,
            title=gettext("Mark the batch as sent to the bank"),
            facts=self._facts(batch),
            confirm_label=gettext("The file was sent to the bank"),
            action=lambda: services.mark_batch_sent(batch=batch),
            done=gettext("The batch is marked as sent."),
        )

    def withdraw_view(self, request, object_id):
        batch = self._batch(request, object_id)
        return self._confirm(
            request,
            batch,
            title=gettext("Withdraw the batch"),
            facts=[
                *self._facts(batch),
                (
                    gettext("What happens"),
                    gettext(
                        "Its debits stop, nothing is debited and no e-mail is sent; the invoices "
                        "can be paid another way or taken by a new batch."
                    ),
                ),
            ],
            confirm_label=gettext("Withdraw this batch"),
            action=lambda: services.withdraw_batch(batch=batch),
            done=gettext("The batch is withdrawn."),
        )

    def settle_view(self, request, object_id):
        batch = self._batch(request, object_id)
        if step_of(request) == "confirm":
            try:
                job = services.queue_settlement(batch=batch, recorded_by=request.user)
            except services.MandateError as error:
                messages.error(request, str(error))
                return HttpResponseRedirect(change_url(batch))
            messages.info(
                request, gettext("The payments are being recorded; this page shows the progress.")
            )
            return redirect("backoffice:job-detail", reference=job.reference)
        return self._confirm(
            request,
            batch,
            title=gettext("Confirm the settlement"),
            facts=self._facts(batch),
            confirm_label=gettext("The bank has paid this batch"),
            action=None,
            done="",
        )
