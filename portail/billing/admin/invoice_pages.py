"""The pages behind the buttons of an invoice (preview, PDF, issue, cancel, credit note) and
the action issuing the selected drafts. Issuing and correcting are for administrators
(``can_issue_and_correct``); every step with financial consequences is confirmed first."""

import datetime

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.db.models import Count, Sum
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from portail.backoffice.billing_forms import CancelInvoiceForm, CreditNoteForm, period_label
from portail.billing import issuing
from portail.billing.models import ZERO, Invoice
from portail.billing.services import (
    BillingError,
    cancel_invoice,
    create_credit_note,
    issue_invoices,
)
from portail.lib.money import format_euros

from .common import (
    admin_page,
    can_issue_and_correct,
    change_url,
    object_button_urls,
    step_of,
)

# Up to this many drafts are issued while staff wait; more go to a background job.
ISSUE_NOW_LIMIT = 50


class InvoicePagesMixin:
    """Part of ``InvoiceAdmin``: its URLs, pages and action beyond the change form."""

    @staticmethod
    def _issued_message(invoice):
        return gettext(
            "Invoice {number} is issued: it never changes. Correct it with a credit note, or "
            "cancel it."
        ).format(number=invoice.number)

    # --- Buttons of the invoice's page --------------------------------------------------

    def get_urls(self):
        return [
            *object_button_urls(
                self,
                ("preview", self.preview_view),
                ("issue", self.issue_view),
                ("pdf", self.pdf_view),
                ("cancel", self.cancel_view),
                ("credit-note", self.credit_note_view),
            ),
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
        from portail.billing import pdf

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
        # A link may suggest the reason (the page of a family's question about the invoice,
        # ?reason=…): only the blank form's first values, checked like any input.
        initial = {} if step else {"reason": request.GET.get("reason", "")[:500]}
        form = CreditNoteForm(request.POST if step else None, invoice=invoice, initial=initial)
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
