"""Régies, invoices and credit notes in the back office.

Administrators set up régies and invoice kinds. Every member of staff sees the invoices and
credit notes of their households (portail/backoffice/permissions.py), creates and edits drafts
and records counter payments; issuing, cancelling and correcting invoices is for
administrators (``can_issue_and_correct``).

Drafts are written through the billing services, which compute amounts and totals; an issued
invoice is read-only here, as the database makes it anyway. Every step with financial
consequences (issue, cancel, credit note, credit used or refunded) has a confirmation page
(RGAA 11.12)."""

import datetime
import logging

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.db import DatabaseError
from django.db.models import Count, Q, Sum
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from portail.backoffice.billing_forms import (
    CancelInvoiceForm,
    CreditNoteForm,
    InvoiceDraftForm,
    InvoiceLineForm,
    InvoiceLineFormSet,
    RefundCreditNoteForm,
    UseCreditNoteForm,
    period_label,
)
from portail.backoffice.permissions import (
    AdministratorOnlyMixin,
    StaffScopeMixin,
    children_for,
    guardians_for,
    invoices_for,
    is_administrator,
    is_nursery_staff,
    nurseries_for,
    scoped_to_households,
)
from portail.households.models import Guardian
from portail.lib.money import format_euros
from portail.payments.services import refund_credit_note, use_credit_note

from . import issuing
from .models import ZERO, CreditNote, Invoice, InvoiceKind, InvoiceLine, Regie
from .services import (
    BillingError,
    cancel_invoice,
    create_credit_note,
    create_draft_invoice,
    create_regie,
    issue_invoices,
    replace_draft_lines,
)

logger = logging.getLogger(__name__)

# Up to this many drafts are issued while staff wait; more go to a background job.
ISSUE_NOW_LIMIT = 50


def can_issue_and_correct(user) -> bool:
    """Issuing, cancelling and crediting invoices, using or refunding credit: acts of the
    régie, for administrators. Nursery staff prepare drafts and take counter payments."""
    return is_administrator(user)


def is_staff_member(user) -> bool:
    return is_administrator(user) or is_nursery_staff(user)


def admin_page(model_admin, request, template, *, title, obj=None, **context):
    """A page of the back office in the admin's frame, about ``obj`` of ``model_admin``."""
    return TemplateResponse(
        request,
        template,
        {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.opts,
            "original": obj,
            "title": title,
            **context,
        },
    )


def change_url(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def step_of(request) -> str:
    """Where a two-step form is: « review » (show the summary), « confirm » (do it) or
    « edit » (back to the form with what was typed)."""
    if request.method != "POST":
        return ""
    return request.POST.get("step", "review")


def euros(value) -> str:
    return format_euros(value) if value is not None else "—"


# --- Régies and invoice kinds: administrators only ------------------------------------------


class InvoiceKindInline(AdministratorOnlyMixin, admin.TabularInline):
    model = InvoiceKind
    extra = 0
    fields = ["label", "position"]


@admin.register(Regie)
class RegieAdmin(AdministratorOnlyMixin, admin.ModelAdmin):
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
            _("Online payment (PayFiP)"),
            {"fields": [("payfip_client_number", "payfip_mode"), "payfip_connection"]},
        ),
        (
            _("Printed on invoices"),
            {"fields": ["issuer_name", "appeal_notice", "payment_instructions"]},
        ),
    ]
    readonly_fields = ["payfip_connection"]
    inlines = [InvoiceKindInline]

    @admin.display(description=_("PayFiP connection"))
    def payfip_connection(self, regie):
        if regie.pk is None:
            return gettext("Save the régie first.")
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
            path(
                "<path:object_id>/payfip-test/",
                self.admin_site.admin_view(self.payfip_test_view),
                name="billing_regie_payfip_test",
            ),
            *super().get_urls(),
        ]

    def payfip_test_view(self, request, object_id):
        from portail.payments import payfip

        regie = self.get_object(request, unquote(object_id))
        if regie is None or not self.has_change_permission(request, regie):
            raise Http404(gettext("No such régie."))
        if request.method != "POST":
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


# --- Invoices ---------------------------------------------------------------------------


class RegieFilter(admin.SimpleListFilter):
    title = _("régie")
    parameter_name = "regie"

    def lookups(self, request, model_admin):
        return [(str(pk), name) for pk, name in Regie.objects.values_list("pk", "name")]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(regie_id=self.value())
        return queryset


class KindFilter(admin.SimpleListFilter):
    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        kinds = list(InvoiceKind.objects.select_related("regie"))
        several_regies = len({kind.regie_id for kind in kinds}) > 1
        return [
            (str(kind.pk), f"{kind.label} — {kind.regie.name}" if several_regies else kind.label)
            for kind in kinds
        ]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(kind_id=self.value())
        return queryset


class PeriodFilter(admin.SimpleListFilter):
    """The months invoiced, newest first (« Février 2022 »)."""

    title = _("period")
    parameter_name = "period"
    months_listed = 24

    def lookups(self, request, model_admin):
        months = model_admin.get_queryset(request).dates("period_on", "month", order="DESC")
        return [
            (month.strftime("%Y-%m"), period_label(month)) for month in months[: self.months_listed]
        ]

    def queryset(self, request, queryset):
        value = self.value() or ""
        year, _dash, month = value.partition("-")
        if year.isdigit() and month.isdigit() and 1 <= int(month) <= 12:
            return queryset.filter(period_on__year=int(year), period_on__month=int(month))
        return queryset


class NurseryFilter(admin.SimpleListFilter):
    """The household's reference nursery or a nursery one of its children attends."""

    title = _("nursery")
    parameter_name = "nursery"

    def lookups(self, request, model_admin):
        return [
            (str(pk), name) for pk, name in nurseries_for(request.user).values_list("pk", "name")
        ]

    def queryset(self, request, queryset):
        if not (self.value() and self.value().isdigit()):
            return queryset
        nursery = int(self.value())
        in_nursery = queryset.model.objects.filter(
            Q(household__nursery=nursery) | Q(household__children__nursery=nursery)
        )
        return queryset.filter(pk__in=in_nursery.values("pk"))


class InvoiceLineInline(admin.TabularInline):
    """Lines of a draft, editable; lines of an issued invoice, shown as they are."""

    model = InvoiceLine
    form = InvoiceLineForm
    formset = InvoiceLineFormSet
    fields = ["child", "label", "quantity", "unit", "unit_price", "amount_in_euros"]
    readonly_fields = ["amount_in_euros"]
    autocomplete_fields = ["child"]
    verbose_name = _("line")
    verbose_name_plural = _("lines")

    def get_extra(self, request, obj=None, **kwargs):
        if obj is None:
            return 3
        return 1 if obj.status == Invoice.Status.DRAFT else 0

    def _can_edit(self, request, obj) -> bool:
        return is_staff_member(request.user) and (obj is None or obj.status == Invoice.Status.DRAFT)

    def has_view_permission(self, request, obj=None):
        return is_staff_member(request.user)

    def has_add_permission(self, request, obj):
        return self._can_edit(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._can_edit(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._can_edit(request, obj)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("child")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "child":
            kwargs["queryset"] = children_for(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("amount"))
    def amount_in_euros(self, line):
        return euros(line.amount) if line.pk else "—"


@admin.register(Invoice)
class InvoiceAdmin(StaffScopeMixin, admin.ModelAdmin):
    form = InvoiceDraftForm
    staff_can_delete = True  # drafts only: see has_delete_permission
    list_display = [
        "number_or_draft",
        "kind",
        "period",
        "household",
        "payer",
        "nursery",
        "total_in_euros",
        "due_in_euros",
        "status",
        "issued_on",
    ]
    list_display_links = ["number_or_draft"]
    list_filter = [RegieFilter, KindFilter, PeriodFilter, "status", NurseryFilter]
    list_select_related = ["kind", "payer", "household__nursery"]
    list_per_page = 100
    date_hierarchy = "period_on"
    search_fields = [
        "=number",
        "household__name",
        "household__external_code",
        "payer__first_name",
        "payer__last_name",
        "payer_name",
        "=external_reference",
    ]
    search_help_text = _(
        "Search by invoice number, household, payer, family code or billing software reference."
    )
    autocomplete_fields = ["household", "payer"]
    inlines = [InvoiceLineInline]
    actions = ["issue_selected"]
    readonly_fields = [
        "period",
        "status",
        "total_in_euros",
        "paid_in_euros",
        "credited_in_euros",
        "due_in_euros",
        "number",
        "issued_on",
        "due_on",
        "payer_name",
        "payer_address",
        "pdf_document",
        "notified_at",
        "settlements",
        "external_reference",
        "created_by",
        "created_at",
    ]
    change_form_template = "admin/billing/invoice/change_form.html"

    def scope_queryset(self, queryset, user):
        return queryset.filter(pk__in=invoices_for(user).values("pk"))

    # --- Who may do what ----------------------------------------------------------------

    def has_change_permission(self, request, obj=None):
        # An issued invoice never changes: its page is read-only.
        if obj is not None and obj.status != Invoice.Status.DRAFT:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        # Only a draft may be deleted, one at a time from its page.
        if obj is None or obj.status != Invoice.Status.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not can_issue_and_correct(request.user):
            actions.pop("issue_selected", None)
        return actions

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.remote_field.model is Guardian:
            kwargs["queryset"] = guardians_for(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # --- The form ---------------------------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        is_draft = obj is None or obj.status == Invoice.Status.DRAFT
        heading = ["regie", "kind", "household", "payer", "period_on" if is_draft else "period"]
        if obj is None:
            return [(None, {"fields": heading})]
        fieldsets = [
            (None, {"fields": heading}),
            (
                _("Amounts"),
                {
                    "fields": [
                        "status",
                        "total_in_euros",
                        "paid_in_euros",
                        "credited_in_euros",
                        "due_in_euros",
                    ]
                },
            ),
        ]
        if not is_draft:
            fieldsets += [
                (
                    _("Issue details"),
                    {
                        "fields": [
                            "number",
                            ("issued_on", "due_on"),
                            "payer_name",
                            "payer_address",
                            "pdf_document",
                            "notified_at",
                        ]
                    },
                ),
                (_("Payments and credit notes"), {"fields": ["settlements"]}),
            ]
        fieldsets.append(
            (
                _("History"),
                {
                    "classes": ["collapse"],
                    "fields": ["external_reference", "created_by", "created_at"],
                },
            )
        )
        return fieldsets

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        regies = list(Regie.objects.all()[:2])
        if len(regies) == 1:
            initial.setdefault("regie", regies[0].pk)
        initial.setdefault("period_on", timezone.localdate().replace(day=1))
        household = initial.get("household")
        if household and "payer" not in initial:
            payers = list(guardians_for(request.user).filter(household=household)[:2])
            if len(payers) == 1:
                initial["payer"] = payers[0].pk
        return initial

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and object_id is not None:
            invoice = self.get_object(request, unquote(object_id))
            if invoice is not None and invoice.status != Invoice.Status.DRAFT:
                messages.error(request, self._issued_message(invoice))
                return HttpResponseRedirect(change_url(invoice))
        extra_context = {**(extra_context or {}), **self._buttons(request, object_id)}
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except BillingError as error:
            messages.error(request, str(error))
        except DatabaseError:
            # The database refuses any change to an issued invoice; issued meanwhile, most likely.
            logger.warning("Refused change to invoice %s.", object_id, exc_info=True)
            messages.error(
                request,
                gettext(
                    "Nothing was saved: this invoice was issued meanwhile, and an issued invoice "
                    "never changes."
                ),
            )
        if object_id is None:
            return HttpResponseRedirect(reverse("admin:billing_invoice_changelist"))
        return HttpResponseRedirect(reverse("admin:billing_invoice_change", args=[object_id]))

    @staticmethod
    def _issued_message(invoice):
        return gettext(
            "Invoice {number} is issued: it never changes. Correct it with a credit note, or "
            "cancel it."
        ).format(number=invoice.number)

    def _buttons(self, request, object_id) -> dict:
        if object_id is None:
            return {}
        invoice = self.get_object(request, unquote(object_id))
        if invoice is None:
            return {}
        may_correct = can_issue_and_correct(request.user)
        credited = sum((note.amount for note in invoice.credit_notes.all()), ZERO)
        return {
            "can_issue": may_correct and invoice.status == Invoice.Status.DRAFT,
            "can_correct": may_correct
            and invoice.status not in (Invoice.Status.DRAFT, Invoice.Status.CANCELLED)
            and credited < invoice.total,
            "can_record_payment": invoice.is_payable,
        }

    def save_model(self, request, obj, form, change):
        # A new invoice and its lines are written together by create_draft_invoice, in
        # save_related, once the lines are known.
        if change:
            super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        invoice = form.instance
        lines = next(
            formset.lines() for formset in formsets if isinstance(formset, InvoiceLineFormSet)
        )
        if change:
            updated = replace_draft_lines(invoice=invoice, lines=lines)
        else:
            data = form.cleaned_data
            updated = create_draft_invoice(
                regie=data["regie"],
                kind=data["kind"],
                household=data["household"],
                payer=data["payer"],
                period_on=data["period_on"],
                lines=lines,
                created_by=request.user,
            )
            invoice.pk = updated.pk
            invoice._state.adding = False
            invoice._state.db = updated._state.db
        invoice.total = updated.total
        messages.info(
            request,
            gettext("Total of the draft: {total}.").format(total=format_euros(updated.total)),
        )

    def construct_change_message(self, request, form, formsets, add=False):
        # The lines are rewritten by the service, not saved by the formsets.
        message = super().construct_change_message(request, form, [], add)
        if formsets and not add:
            message.append({"changed": {"fields": [gettext("lines")]}})
        return message

    # --- Columns and read-only fields ---------------------------------------------------

    @admin.display(description=_("number"), ordering="number")
    def number_or_draft(self, invoice):
        return invoice.number or gettext("Draft")

    @admin.display(description=_("period"), ordering="period_on")
    def period(self, invoice):
        return period_label(invoice.period_on)

    @admin.display(description=_("nursery"), ordering="household__nursery__name")
    def nursery(self, invoice):
        return invoice.household.nursery or "—"

    @admin.display(description=_("total"), ordering="total")
    def total_in_euros(self, invoice):
        return euros(invoice.total)

    @admin.display(description=_("already paid"))
    def paid_in_euros(self, invoice):
        return euros(invoice.amount_paid)

    @admin.display(description=_("credit notes"))
    def credited_in_euros(self, invoice):
        return euros(invoice.amount_credited)

    @admin.display(description=_("left to pay"))
    def due_in_euros(self, invoice):
        return euros(invoice.amount_due)

    @admin.display(description=_("PDF"))
    def pdf_document(self, invoice):
        if invoice.pdf:
            return format_html(
                '<a href="{}">{}</a> <small>SHA-256 {}</small>',
                reverse("admin:billing_invoice_pdf", args=[invoice.pk]),
                gettext("Download the PDF"),
                invoice.pdf_sha256,
            )
        if invoice.status == Invoice.Status.DRAFT:
            return "—"
        return gettext("The PDF is being prepared; reload this page in a few moments.")

    @admin.display(description=_("payments and credit notes"))
    def settlements(self, invoice):
        allocations = invoice.allocations.select_related("payment").order_by(
            "payment__received_on", "pk"
        )
        # render_to_string gives safe HTML, escaped by the template.
        return render_to_string(
            "admin/billing/invoice/settlements.html",
            {
                "allocations": allocations,
                "credit_notes": invoice.credit_notes.order_by("issued_on", "pk"),
            },
        )

    # --- Buttons of the invoice's page --------------------------------------------------

    def get_urls(self):
        def view(name, function):
            return path(
                f"<path:object_id>/{name}/",
                self.admin_site.admin_view(function),
                name=f"billing_invoice_{name.replace('-', '_')}",
            )

        return [
            view("preview", self.preview_view),
            view("issue", self.issue_view),
            view("pdf", self.pdf_view),
            view("cancel", self.cancel_view),
            view("credit-note", self.credit_note_view),
            *super().get_urls(),
        ]

    def _invoice(self, request, object_id) -> Invoice:
        invoice = self.get_object(request, unquote(object_id))
        if invoice is None:
            raise Http404(gettext("No such invoice."))
        return invoice

    def _invoice_to_correct(self, request, object_id) -> Invoice:
        invoice = self._invoice(request, object_id)
        if not can_issue_and_correct(request.user):
            raise Http404(gettext("Only an administrator may issue or correct an invoice."))
        return invoice

    def preview_view(self, request, object_id):
        """The PDF a draft would give if issued today: rendered now, never stored."""
        from . import pdf

        invoice = self._invoice(request, object_id)
        if invoice.status != Invoice.Status.DRAFT:
            return HttpResponseRedirect(reverse("admin:billing_invoice_pdf", args=[invoice.pk]))
        today = timezone.localdate()
        # Changed in memory only, for the rendering: the draft is not saved.
        invoice.number = gettext("DRAFT")
        invoice.issued_on = today
        invoice.due_on = today + datetime.timedelta(days=invoice.regie.payment_delay_days)
        invoice.payer_name = invoice.payer.full_name
        invoice.payer_address = "\n".join(invoice.payer.address_lines)
        response = HttpResponse(pdf.render_invoice(invoice), content_type="application/pdf")
        response["Content-Disposition"] = 'inline; filename="{}"'.format(
            gettext("draft-preview.pdf")
        )
        return response

    def pdf_view(self, request, object_id):
        invoice = self._invoice(request, object_id)
        if not invoice.pdf:
            messages.warning(
                request,
                gettext("The PDF is being prepared; try again in a few moments."),
            )
            return HttpResponseRedirect(change_url(invoice))
        return FileResponse(
            invoice.pdf.open("rb"),
            as_attachment=True,
            filename=gettext("invoice-%(number)s.pdf") % {"number": invoice.number},
            content_type="application/pdf",
        )

    def issue_view(self, request, object_id):
        invoice = self._invoice_to_correct(request, object_id)
        if invoice.status != Invoice.Status.DRAFT:
            messages.error(request, self._issued_message(invoice))
            return HttpResponseRedirect(change_url(invoice))
        if step_of(request) == "confirm":
            return self._issue(request, [invoice.pk], back=change_url(invoice))
        return self._issue_confirmation(request, Invoice.objects.filter(pk=invoice.pk), obj=invoice)

    @admin.action(description=_("Issue the selected drafts"))
    def issue_selected(self, request, queryset):
        drafts = queryset.filter(status=Invoice.Status.DRAFT).order_by(
            "regie", "period_on", "household__name", "pk"
        )
        ids = list(drafts.values_list("pk", flat=True))
        if not ids:
            messages.error(request, gettext("None of the selected invoices is a draft."))
            return None
        if request.POST.get("step") == "confirm":
            return self._issue(request, ids, back=reverse("admin:billing_invoice_changelist"))
        return self._issue_confirmation(
            request,
            drafts,
            skipped=queryset.exclude(status=Invoice.Status.DRAFT).count(),
            select_across=request.POST.get("select_across") == "1",
            selected=request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        )

    def _issue_confirmation(
        self, request, drafts, *, obj=None, skipped=0, select_across=False, selected=()
    ):
        summary = drafts.aggregate(count=Count("pk"), total=Sum("total"))
        count = summary["count"]
        return admin_page(
            self,
            request,
            "admin/billing/invoice/issue_confirmation.html",
            title=gettext("Issue invoices"),
            obj=obj,
            drafts=drafts.select_related("kind", "household", "payer")[:ISSUE_NOW_LIMIT],
            count=count,
            more=max(0, count - ISSUE_NOW_LIMIT),
            total=summary["total"] or ZERO,
            skipped=skipped,
            in_background=count > ISSUE_NOW_LIMIT,
            select_across=select_across,
            selected=selected,
            action_checkbox_name=helpers.ACTION_CHECKBOX_NAME,
            from_action=obj is None,
        )

    def _issue(self, request, ids, *, back):
        if len(ids) > ISSUE_NOW_LIMIT:
            job = issuing.queue_issue_job(invoice_ids=ids, created_by=request.user)
            messages.info(
                request,
                gettext(
                    "Issuing runs in the background: follow it on this page, or come back later."
                ),
            )
            return HttpResponseRedirect(reverse("backoffice:job-detail", args=[job.reference]))
        found = Invoice.objects.in_bulk(ids)
        try:
            issued = issue_invoices(
                invoices=[found[pk] for pk in ids if pk in found], issued_by=request.user
            )
        except BillingError as error:
            messages.error(request, str(error))
            return HttpResponseRedirect(back)
        messages.success(
            request,
            ngettext(
                "%(count)d invoice issued: %(numbers)s. Its PDF and the e-mail to the family "
                "follow in a few moments.",
                "%(count)d invoices issued: %(numbers)s. Their PDFs and the e-mails to the "
                "families follow in a few moments.",
                len(issued),
            )
            % {"count": len(issued), "numbers": ", ".join(invoice.number for invoice in issued)},
        )
        return HttpResponseRedirect(back)

    def cancel_view(self, request, object_id):
        invoice = self._invoice_to_correct(request, object_id)
        if invoice.status in (Invoice.Status.DRAFT, Invoice.Status.CANCELLED):
            messages.error(request, gettext("Only an issued invoice can be cancelled."))
            return HttpResponseRedirect(change_url(invoice))
        credited = sum((note.amount for note in invoice.credit_notes.all()), ZERO)
        amount = invoice.total - credited
        form = CancelInvoiceForm(request.POST if step_of(request) else None)
        step = step_of(request)
        if step in ("review", "confirm") and form.is_valid():
            if step == "confirm":
                try:
                    note = cancel_invoice(
                        invoice=invoice,
                        reason=form.cleaned_data["reason"],
                        created_by=request.user,
                    )
                except BillingError as error:
                    messages.error(request, str(error))
                else:
                    messages.success(
                        request,
                        gettext(
                            "Invoice {invoice} is cancelled by credit note {note} of {amount}."
                        ).format(
                            invoice=invoice.number,
                            note=note.number,
                            amount=format_euros(note.amount),
                        ),
                    )
                return HttpResponseRedirect(change_url(invoice))
            credit_left = max(ZERO, amount - invoice.amount_due)
            warnings = [
                gettext(
                    "A credit note of {amount} will be issued: the invoice will no longer be due."
                ).format(amount=format_euros(amount))
            ]
            if credit_left:
                warnings.append(
                    gettext(
                        "{amount} already paid will become a credit for the family, to use on a "
                        "later invoice or to refund."
                    ).format(amount=format_euros(credit_left))
                )
            return admin_page(
                self,
                request,
                "admin/billing/confirm_page.html",
                title=gettext("Cancel invoice {number}?").format(number=invoice.number),
                obj=invoice,
                form=form,
                facts=[*self._facts(invoice), (gettext("Reason"), form.cleaned_data["reason"])],
                warnings=warnings,
                confirm_label=gettext("Cancel the invoice"),
                back_url=change_url(invoice),
            )
        return admin_page(
            self,
            request,
            "admin/billing/form_page.html",
            title=gettext("Cancel invoice {number}").format(number=invoice.number),
            obj=invoice,
            form=form,
            facts=self._facts(invoice),
            intro=gettext(
                "Cancelling issues a credit note of what the invoice still has uncorrected "
                "({amount}). The invoice itself never changes."
            ).format(amount=format_euros(amount)),
            submit_label=gettext("Next"),
            back_url=change_url(invoice),
        )

    def credit_note_view(self, request, object_id):
        invoice = self._invoice_to_correct(request, object_id)
        if invoice.status in (Invoice.Status.DRAFT, Invoice.Status.CANCELLED):
            messages.error(
                request, gettext("A credit note corrects an issued invoice that is not cancelled.")
            )
            return HttpResponseRedirect(change_url(invoice))
        step = step_of(request)
        form = CreditNoteForm(request.POST if step else None, invoice=invoice)
        if step in ("review", "confirm") and form.is_valid():
            data = form.cleaned_data
            if step == "confirm":
                try:
                    note = create_credit_note(
                        invoice=invoice,
                        amount=data["amount"],
                        reason=data["reason"],
                        created_by=request.user,
                    )
                except BillingError as error:
                    messages.error(request, str(error))
                else:
                    messages.success(
                        request,
                        gettext(
                            "Credit note {note} of {amount} issued on invoice {invoice}."
                        ).format(
                            note=note.number,
                            amount=format_euros(note.amount),
                            invoice=invoice.number,
                        ),
                    )
                return HttpResponseRedirect(change_url(invoice))
            warnings = [
                gettext("{amount} will be taken off what the invoice asks.").format(
                    amount=format_euros(form.applied)
                )
            ]
            if data["amount"] > form.applied:
                warnings.append(
                    gettext(
                        "{amount} will become a credit for the family, to use on a later invoice "
                        "or to refund."
                    ).format(amount=format_euros(data["amount"] - form.applied))
                )
            return admin_page(
                self,
                request,
                "admin/billing/confirm_page.html",
                title=gettext("Issue a credit note on invoice {number}?").format(
                    number=invoice.number
                ),
                obj=invoice,
                form=form,
                facts=[
                    *self._facts(invoice),
                    (gettext("Amount of the credit note"), format_euros(data["amount"])),
                    (gettext("Reason"), data["reason"]),
                ],
                warnings=warnings,
                confirm_label=gettext("Issue the credit note"),
                back_url=change_url(invoice),
            )
        return admin_page(
            self,
            request,
            "admin/billing/form_page.html",
            title=gettext("Credit note on invoice {number}").format(number=invoice.number),
            obj=invoice,
            form=form,
            facts=self._facts(invoice),
            intro=gettext(
                "A credit note corrects the invoice: it first reduces what is left to pay; "
                "beyond that, it leaves a credit for the family."
            ),
            submit_label=gettext("Next"),
            back_url=change_url(invoice),
        )

    @staticmethod
    def _facts(invoice) -> list[tuple[str, str]]:
        return [
            (gettext("Invoice"), f"{invoice.number} — {invoice.kind.label}"),
            (gettext("Period"), period_label(invoice.period_on)),
            (gettext("Payer"), invoice.payer_name or str(invoice.payer)),
            (gettext("Total"), format_euros(invoice.total)),
            (gettext("Already paid"), format_euros(invoice.amount_paid)),
            (gettext("Credit notes"), format_euros(invoice.amount_credited)),
            (gettext("Left to pay"), format_euros(invoice.amount_due)),
        ]


# --- Credit notes -----------------------------------------------------------------------


@admin.register(CreditNote)
class CreditNoteAdmin(StaffScopeMixin, admin.ModelAdmin):
    """Credit notes are made from their invoice's page and never edited; what is left of
    their credit is used on a later invoice or refunded from here."""

    list_display = [
        "number",
        "issued_on",
        "invoice",
        "household",
        "payer",
        "amount_in_euros",
        "applied_in_euros",
        "credit_left",
    ]
    list_filter = [RegieFilter, ("issued_on", admin.DateFieldListFilter)]
    list_select_related = ["invoice", "household", "payer"]
    date_hierarchy = "issued_on"
    search_fields = ["=number", "=invoice__number", "household__name", "payer__last_name"]
    search_help_text = _("Search by credit note or invoice number, household or payer.")
    fields = [
        "number",
        "regie",
        "invoice",
        "household",
        "payer",
        "issued_on",
        "reason",
        "amount_in_euros",
        "applied_in_euros",
        "used_in_euros",
        "refunded_in_euros",
        "credit_left",
        "pdf_document",
        "created_by",
        "created_at",
    ]
    readonly_fields = fields
    change_form_template = "admin/billing/creditnote/change_form.html"

    def scope_queryset(self, queryset, user):
        return scoped_to_households(queryset, user)

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        note = self.get_object(request, unquote(object_id))
        extra_context = {
            **(extra_context or {}),
            "can_use_credit": note is not None
            and can_issue_and_correct(request.user)
            and note.available_credit > 0,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description=_("amount"), ordering="amount")
    def amount_in_euros(self, note):
        return euros(note.amount)

    @admin.display(description=_("applied to the invoice"))
    def applied_in_euros(self, note):
        return euros(note.applied_amount)

    @admin.display(description=_("used on later invoices"))
    def used_in_euros(self, note):
        return euros(note.used_amount)

    @admin.display(description=_("refunded"))
    def refunded_in_euros(self, note):
        return euros(note.refunded_amount)

    @admin.display(description=_("credit left"))
    def credit_left(self, note):
        return euros(note.available_credit)

    @admin.display(description=_("PDF"))
    def pdf_document(self, note):
        if note.pdf:
            return format_html(
                '<a href="{}">{}</a>',
                reverse("admin:billing_creditnote_pdf", args=[note.pk]),
                gettext("Download the PDF"),
            )
        return gettext("The PDF is being prepared; reload this page in a few moments.")

    def get_urls(self):
        def view(name, function):
            return path(
                f"<path:object_id>/{name}/",
                self.admin_site.admin_view(function),
                name=f"billing_creditnote_{name}",
            )

        return [
            view("pdf", self.pdf_view),
            view("use", self.use_view),
            view("refund", self.refund_view),
            *super().get_urls(),
        ]

    def _note(self, request, object_id, *, to_use=False) -> CreditNote:
        note = self.get_object(request, unquote(object_id))
        if note is None:
            raise Http404(gettext("No such credit note."))
        if to_use and not can_issue_and_correct(request.user):
            raise Http404(gettext("Only an administrator may use or refund a credit."))
        return note

    def pdf_view(self, request, object_id):
        note = self._note(request, object_id)
        if not note.pdf:
            messages.warning(
                request, gettext("The PDF is being prepared; try again in a few moments.")
            )
            return HttpResponseRedirect(change_url(note))
        return FileResponse(
            note.pdf.open("rb"),
            as_attachment=True,
            filename=gettext("credit-note-%(number)s.pdf") % {"number": note.number},
            content_type="application/pdf",
        )

    def _facts(self, note) -> list[tuple[str, str]]:
        return [
            (gettext("Credit note"), note.number),
            (gettext("Invoice"), note.invoice.number),
            (gettext("Payer"), str(note.payer)),
            (gettext("Credit left"), format_euros(note.available_credit)),
        ]

    def use_view(self, request, object_id):
        note = self._note(request, object_id, to_use=True)
        step = step_of(request)
        form = UseCreditNoteForm(request.POST if step else None, credit_note=note)
        if not form.fields["invoice"].queryset.exists():
            messages.error(
                request,
                gettext("{payer} has no unpaid invoice in this régie to settle with it.").format(
                    payer=note.payer
                ),
            )
            return HttpResponseRedirect(change_url(note))
        if step in ("review", "confirm") and form.is_valid():
            invoice = form.cleaned_data["invoice"]
            if step == "confirm":
                try:
                    payment = use_credit_note(
                        credit_note=note,
                        invoice=invoice,
                        amount=form.cleaned_data["amount"],
                        recorded_by=request.user,
                    )
                except BillingError as error:
                    messages.error(request, str(error))
                    return HttpResponseRedirect(change_url(note))
                messages.success(
                    request,
                    gettext("{amount} of credit note {note} settled invoice {invoice}.").format(
                        amount=format_euros(payment.amount),
                        note=note.number,
                        invoice=invoice.number,
                    ),
                )
                return HttpResponseRedirect(change_url(payment))
            return admin_page(
                self,
                request,
                "admin/billing/confirm_page.html",
                title=gettext("Use credit note {number} on an invoice?").format(number=note.number),
                obj=note,
                form=form,
                facts=[
                    *self._facts(note),
                    (gettext("Invoice to settle"), invoice.number),
                    (gettext("Amount used"), format_euros(form.used)),
                ],
                warnings=[],
                confirm_label=gettext("Use the credit"),
                back_url=change_url(note),
            )
        return admin_page(
            self,
            request,
            "admin/billing/form_page.html",
            title=gettext("Use credit note {number} on an invoice").format(number=note.number),
            obj=note,
            form=form,
            facts=self._facts(note),
            submit_label=gettext("Next"),
            back_url=change_url(note),
        )

    def refund_view(self, request, object_id):
        note = self._note(request, object_id, to_use=True)
        if note.available_credit <= 0:
            messages.error(request, gettext("This credit note has no credit left."))
            return HttpResponseRedirect(change_url(note))
        step = step_of(request)
        form = RefundCreditNoteForm(request.POST if step else None, credit_note=note)
        if step in ("review", "confirm") and form.is_valid():
            amount = form.cleaned_data["amount"]
            if step == "confirm":
                try:
                    refund_credit_note(credit_note=note, amount=amount, recorded_by=request.user)
                except BillingError as error:
                    messages.error(request, str(error))
                else:
                    messages.success(
                        request,
                        gettext("Refund of {amount} recorded on credit note {note}.").format(
                            amount=format_euros(amount), note=note.number
                        ),
                    )
                return HttpResponseRedirect(change_url(note))
            return admin_page(
                self,
                request,
                "admin/billing/confirm_page.html",
                title=gettext("Record a refund of credit note {number}?").format(
                    number=note.number
                ),
                obj=note,
                form=form,
                facts=[*self._facts(note), (gettext("Amount refunded"), format_euros(amount))],
                warnings=[
                    gettext(
                        "The credit left will go down by {amount}. Record the refund only once "
                        "the régie has paid it."
                    ).format(amount=format_euros(amount))
                ],
                confirm_label=gettext("Record the refund"),
                back_url=change_url(note),
            )
        return admin_page(
            self,
            request,
            "admin/billing/form_page.html",
            title=gettext("Refund credit note {number}").format(number=note.number),
            obj=note,
            form=form,
            facts=self._facts(note),
            submit_label=gettext("Next"),
            back_url=change_url(note),
        )


def household_billing_panel(household) -> str:
    """The billing part of a household's page: balance, latest invoices, payments and credit
    notes, and the links to do something about them. Whoever may see the household may see
    all of these (invoices follow their household, as in ``invoices_for``)."""
    from portail.payments.models import Payment

    from .balances import household_balance

    invoices = (
        Invoice.objects.for_household(household)
        .select_related("kind", "payer")
        .order_by("-period_on", "-pk")
    )
    payments = (
        Payment.objects.for_household(household)
        .select_related("payer")
        .order_by("-received_on", "-pk")
    )
    credit_notes = CreditNote.objects.filter(household=household).select_related("invoice")
    latest = 10
    balance = household_balance(household)
    return render_to_string(
        "admin/billing/household_billing.html",
        {
            "household": household,
            "balance": balance,
            "owed": abs(balance.net),
            "invoices": invoices[:latest],
            "invoice_count": invoices.count(),
            "payments": payments[:latest],
            "payment_count": payments.count(),
            "credit_notes": credit_notes.order_by("-issued_on", "-pk")[:latest],
        },
    )
