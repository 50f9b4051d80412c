"""Invoices: drafts written through the billing services, issued, cancelled and corrected by
credit notes from their page."""

import datetime
import logging

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db import DatabaseError
from django.db.models import Max, Min, Q
from django.http import HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portail.backoffice.billing_forms import (
    InvoiceDraftForm,
    InvoiceLineForm,
    InvoiceLineFormSet,
    period_label,
)
from portail.backoffice.permissions import (
    StaffScopeMixin,
    children_for,
    guardians_for,
    invoices_for,
    nurseries_for,
)
from portail.billing.models import ZERO, Invoice, InvoiceKind, InvoiceLine, Regie
from portail.billing.services import BillingError, create_draft_invoice, replace_draft_lines
from portail.households.models import Guardian, Household, HouseholdChild
from portail.lib.admin_lists import (
    EstimatedCountPaginator,
    FastActionCheckboxMixin,
    WordSearchMixin,
)
from portail.lib.money import format_euros

from .common import (
    RegieFilter,
    can_issue_and_correct,
    change_url,
    euro_column,
    euros,
    is_staff_member,
)
from .invoice_pages import InvoicePagesMixin

logger = logging.getLogger(__name__)


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
    """The months from the newest invoiced one back to the oldest (24 at most), newest first
    (« Février 2022 »)."""

    title = _("period")
    parameter_name = "period"
    months_listed = 24

    def lookups(self, request, model_admin):
        # The newest and oldest months from the index, not the distinct months of every
        # invoice (a scan of the whole table): the months in between are listed.
        bounds = model_admin.get_queryset(request).aggregate(
            newest=Max("period_on"), oldest=Min("period_on")
        )
        newest, oldest = bounds["newest"], bounds["oldest"]
        choices = []
        month = newest.replace(day=1) if newest else None
        while (
            month is not None
            and month >= oldest.replace(day=1)
            and len(choices) < self.months_listed
        ):
            choices.append((month.strftime("%Y-%m"), period_label(month)))
            month = (month - datetime.timedelta(days=1)).replace(day=1)
        return choices

    def queryset(self, request, queryset):
        value = self.value() or ""
        year, _dash, month = value.partition("-")
        if year.isdigit() and month.isdigit() and 1 <= int(month) <= 12 and int(year) >= 1:
            # A range of dates, which the index on period_on answers (not EXTRACT(MONTH …)).
            first = datetime.date(int(year), int(month), 1)
            following = (first + datetime.timedelta(days=31)).replace(day=1)
            return queryset.filter(period_on__gte=first, period_on__lt=following)
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
        # Two small subqueries on the households, each from an index: no join of every
        # invoice with its household and children.
        attached = Household.objects.filter(nursery=nursery).values("pk")
        attending = HouseholdChild.objects.filter(child__nursery=nursery).values("household_id")
        return queryset.filter(Q(household_id__in=attached) | Q(household_id__in=attending))


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
class InvoiceAdmin(
    WordSearchMixin,
    FastActionCheckboxMixin,
    InvoicePagesMixin,
    StaffScopeMixin,
    admin.ModelAdmin,
):
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
    list_per_page = 50
    # No date_hierarchy (its links read every invoice's month) and no full count: a page is
    # read from the index matching the ordering (Invoice.Meta « invoice_list_order »), and
    # counted up to a limit only (EstimatedCountPaginator).
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    # What get_search_results searches: a whole invoice number or billing software reference,
    # the start of the household's or the payer's name, a whole family code (migrations
    # billing 0006 and households 0004 give each lookup its index).
    search_fields = [
        "=number",
        "=external_reference",
        "^household__name",
        "=household__external_code",
        "^payer__first_name",
        "^payer__last_name",
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

    def search_condition(self, word):
        """A whole invoice number or reference, the start of the household's or the payer's
        first or last name, or a whole family code (households and payers in ``IN (…)``
        subqueries)."""
        return (
            Q(number__iexact=word)
            | Q(external_reference__iexact=word)
            | Q(household_id__in=Household.objects.named(word, or_code=True).values("pk"))
            | Q(payer_id__in=Guardian.objects.named(word).values("pk"))
        )

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

    total_in_euros = euro_column("total", _("total"), ordering="total")
    paid_in_euros = euro_column("amount_paid", _("already paid"))
    credited_in_euros = euro_column("amount_credited", _("credit notes"))
    due_in_euros = euro_column("amount_due", _("left to pay"))

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
