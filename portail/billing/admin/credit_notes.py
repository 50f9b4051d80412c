"""Credit notes: made from their invoice's page, never edited; their credit is used on a later
invoice or refunded from here."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portail.backoffice.billing_forms import RefundCreditNoteForm, UseCreditNoteForm
from portail.backoffice.permissions import StaffScopeMixin, scoped_to_households
from portail.billing.models import CreditNote
from portail.billing.services import BillingError
from portail.lib.money import format_euros
from portail.payments.services import refund_credit_note, use_credit_note

from .common import (
    RegieFilter,
    admin_page,
    can_issue_and_correct,
    change_url,
    document_link,
    euro_column,
    object_button_urls,
    step_of,
)


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

    amount_in_euros = euro_column("amount", _("amount"), ordering="amount")
    applied_in_euros = euro_column("applied_amount", _("applied to the invoice"))
    used_in_euros = euro_column("used_amount", _("used on later invoices"))
    refunded_in_euros = euro_column("refunded_amount", _("refunded"))
    credit_left = euro_column("available_credit", _("credit left"))

    @admin.display(description=_("PDF"))
    def pdf_document(self, note):
        return document_link(
            note.pdf,
            url_name="admin:billing_creditnote_pdf",
            obj=note,
            label=gettext("Download the PDF"),
            pending=gettext("The PDF is being prepared; reload this page in a few moments."),
        )

    def get_urls(self):
        return [
            *object_button_urls(
                self, ("pdf", self.pdf_view), ("use", self.use_view), ("refund", self.refund_view)
            ),
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
