"""Payments in the back office: the list (read-only once recorded), the receipt page, and
« Record a payment » for money received at the counter (cheque, cash, CESU, transfer).

A counter payment goes through a summary page before it is recorded (RGAA 11.12), and a
summary is confirmed once only: the same confirmation sent twice records one payment."""

import uuid

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portail.backoffice.billing_forms import (
    CounterPaymentForm,
    HouseholdSearchForm,
    period_label,
)
from portail.backoffice.permissions import (
    StaffScopeMixin,
    households_for,
    invoices_for,
    scoped_to_households,
)
from portail.billing.admin import (
    RegieFilter,
    admin_page,
    change_url,
    document_link,
    euro_column,
    object_button_urls,
    step_of,
)
from portail.billing.models import Regie
from portail.billing.services import BillingError
from portail.households.models import Guardian, Household
from portail.lib.admin_lists import EstimatedCountPaginator, WordSearchMixin
from portail.lib.money import format_euros

from .models import OnlinePayment, Payment, PaymentMethod
from .services import record_payment

# Summaries shown and not confirmed yet, per session; older ones are forgotten.
PENDING_KEY = "counter_payment_tokens"
PENDING_KEPT = 20
HOUSEHOLDS_FOUND = 20


def method_label(payment) -> str:
    if payment.is_subject_to_collection:
        return gettext("{method} (subject to the cheque being cashed)").format(
            method=payment.get_method_display()
        )
    return payment.get_method_display()


@admin.register(Payment)
class PaymentAdmin(WordSearchMixin, StaffScopeMixin, admin.ModelAdmin):
    list_display = [
        "receipt_number",
        "received_on",
        "payer",
        "household",
        "method_in_words",
        "amount_in_euros",
        "allocated_in_euros",
        "regie",
        "recorded_by",
    ]
    list_filter = ["method", RegieFilter, ("received_on", admin.DateFieldListFilter)]
    list_select_related = ["payer", "household", "regie", "recorded_by"]
    list_per_page = 50
    # No date_hierarchy (its links read every payment's date; the date filter offers the
    # same periods) and no full count: a page is read from the index in the list's order
    # (migration 0004), and counted up to a limit only.
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    # What get_search_results searches: a whole receipt number or bank reference, the start
    # of the household's or the payer's name (each lookup has its index).
    search_fields = [
        "=receipt_number",
        "=bank_reference",
        "^household__name",
        "^payer__first_name",
        "^payer__last_name",
    ]
    search_help_text = _("Search by receipt number, household, payer or reference.")
    fields = [
        "receipt_number",
        "regie",
        "household",
        "payer",
        "method_in_words",
        "amount_in_euros",
        "received_on",
        "bank_reference",
        "settled",
        "receipt_document",
        "recorded_by",
        "created_at",
    ]
    readonly_fields = fields
    change_form_template = "admin/payments/payment/change_form.html"

    def scope_queryset(self, queryset, user):
        return scoped_to_households(queryset, user)

    def search_condition(self, word):
        """A whole receipt number or bank reference, or the start of the household's or the
        payer's name (households and payers in ``IN (…)`` subqueries)."""
        return (
            Q(receipt_number__iexact=word)
            | Q(bank_reference__iexact=word)
            | Q(household_id__in=Household.objects.named(word).values("pk"))
            | Q(payer_id__in=Guardian.objects.named(word).values("pk"))
        )

    # A payment is never changed nor deleted once recorded; it is added through
    # « Record a payment » (add_view below).
    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("method"), ordering="method")
    def method_in_words(self, payment):
        return method_label(payment)

    amount_in_euros = euro_column("amount", _("amount"), ordering="amount")
    allocated_in_euros = euro_column("allocated_amount", _("allocated to invoices"))

    @admin.display(description=_("invoices settled"))
    def settled(self, payment):
        # render_to_string gives safe HTML, escaped by the template.
        return render_to_string(
            "admin/payments/payment/allocations.html",
            {
                "payment": payment,
                "allocations": payment.allocations.select_related("invoice__kind").order_by(
                    "invoice__period_on", "pk"
                ),
            },
        )

    @admin.display(description=_("receipt"))
    def receipt_document(self, payment):
        return document_link(
            payment.receipt_pdf,
            url_name="admin:payments_payment_receipt",
            obj=payment,
            label=gettext("Print the receipt (PDF)"),
            pending=gettext("The receipt is being prepared; reload this page in a few moments."),
        )

    def get_urls(self):
        return [*object_button_urls(self, ("receipt", self.receipt_view)), *super().get_urls()]

    def receipt_view(self, request, object_id):
        payment = self.get_object(request, object_id)
        if payment is None:
            raise Http404(gettext("No such payment."))
        if not payment.receipt_pdf:
            messages.warning(
                request, gettext("The receipt is being prepared; try again in a few moments.")
            )
            return HttpResponseRedirect(change_url(payment))
        return FileResponse(
            payment.receipt_pdf.open("rb"),
            as_attachment=False,
            filename=gettext("receipt-%(number)s.pdf") % {"number": payment.receipt_number},
            content_type="application/pdf",
        )

    # --- « Record a payment » -----------------------------------------------------------

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        invoice = household = None
        invoice_id = request.GET.get("invoice", "")
        household_id = request.GET.get("household", "")
        if invoice_id.isdigit():
            invoice = get_object_or_404(invoices_for(request.user).issued(), pk=invoice_id)
            household = invoice.household
        elif household_id.isdigit():
            household = get_object_or_404(households_for(request.user), pk=household_id)
        if household is None:
            return self._choose_household(request)
        return self._record(request, household, invoice)

    def _choose_household(self, request):
        form = HouseholdSearchForm(request.GET if "q" in request.GET else None)
        households = []
        if form.is_valid():
            words = form.cleaned_data["q"].strip()
            households = (
                households_for(request.user)
                .filter(
                    Q(name__icontains=words)
                    | Q(guardians__last_name__icontains=words)
                    | Q(guardians__first_name__icontains=words)
                    | Q(external_code__iexact=words)
                )
                .distinct()
                .select_related("nursery")
                .order_by("name")[:HOUSEHOLDS_FOUND]
            )
        return admin_page(
            self,
            request,
            "admin/payments/payment/choose_household.html",
            title=gettext("Record a payment"),
            form=form,
            households=households,
            searched=form.is_bound,
        )

    def _record(self, request, household, invoice):
        step = step_of(request)
        regies = Regie.objects.all()
        form = CounterPaymentForm(
            request.POST if step else None,
            household=household,
            regies=regies,
            initial=self._initial(household, invoice, regies),
        )
        back_url = change_url(invoice) if invoice else change_url(household)
        if step == "confirm" and not self._take_token(request):
            messages.error(
                request,
                gettext(
                    "This payment was already recorded, or its summary is too old: check the "
                    "household's payments before recording it again."
                ),
            )
            return HttpResponseRedirect(back_url)
        if step in ("review", "confirm") and form.is_valid():
            if step == "confirm":
                return self._confirmed(request, form, back_url)
            token = uuid.uuid4().hex
            pending = request.session.get(PENDING_KEY, [])[-(PENDING_KEPT - 1) :]
            request.session[PENDING_KEY] = [*pending, token]
            return self._summary(request, form, household, token, back_url)
        return admin_page(
            self,
            request,
            "admin/billing/form_page.html",
            title=gettext("Record a payment — {household}").format(household=household),
            form=form,
            intro=gettext(
                "Money received at the counter from a guardian of the household. A summary "
                "is shown before anything is recorded."
            ),
            submit_label=gettext("Next"),
            back_url=back_url,
        )

    @staticmethod
    def _initial(household, invoice, regies) -> dict:
        initial = {}
        if invoice is not None and invoice.is_payable:
            initial.update(
                regie=invoice.regie_id,
                payer=invoice.payer_id,
                amount=invoice.amount_due,
                invoices=[invoice.pk],
            )
            return initial
        only_regie = list(regies[:2])
        if len(only_regie) == 1:
            initial["regie"] = only_regie[0].pk
        payers = list(household.guardians.all()[:2])
        if len(payers) == 1:
            initial["payer"] = payers[0].pk
        return initial

    def _summary(self, request, form, household, token, back_url):
        data = form.cleaned_data
        shares, left_over = form.settlement()
        facts = [
            (gettext("Household"), str(household)),
            (gettext("Payer"), str(data["payer"])),
            (gettext("Régie"), str(data["regie"])),
            (gettext("Payment method"), PaymentMethod(data["method"]).label),
            (gettext("Amount received"), format_euros(data["amount"])),
            (gettext("Date received"), data["received_on"].strftime("%d/%m/%Y")),
        ]
        if data["bank_reference"]:
            facts.append((gettext("Reference"), data["bank_reference"]))
        for invoice, share in shares:
            facts.append(
                (
                    gettext("Invoice {number} ({period})").format(
                        number=invoice.number, period=period_label(invoice.period_on)
                    ),
                    gettext("{share} of {due} left to pay").format(
                        share=format_euros(share), due=format_euros(invoice.amount_due)
                    ),
                )
            )
        warnings = []
        if data["method"] == PaymentMethod.CHEQUE:
            warnings.append(gettext("Cheque received subject to the cheque being cashed."))
        if not shares:
            warnings.append(gettext("This payer has no unpaid invoice in this régie."))
        if left_over > 0:
            warnings.append(
                gettext(
                    "{amount} is more than the invoices ask: it will stay on the payment as an "
                    "overpayment."
                ).format(amount=format_euros(left_over))
            )
        return admin_page(
            self,
            request,
            "admin/billing/confirm_page.html",
            title=gettext("Record this payment?"),
            form=form,
            facts=facts,
            warnings=warnings,
            hidden=[("token", token)],
            confirm_label=gettext("Record the payment"),
            back_url=back_url,
        )

    @staticmethod
    def _take_token(request) -> bool:
        """Whether the summary being confirmed was shown and not confirmed yet; it cannot be
        confirmed again (a second click, the back button, a resent form)."""
        pending = request.session.get(PENDING_KEY, [])
        token = request.POST.get("token", "")
        if token not in pending:
            return False
        request.session[PENDING_KEY] = [kept for kept in pending if kept != token]
        return True

    def _confirmed(self, request, form, back_url):
        data = form.cleaned_data
        try:
            payment = record_payment(
                regie=data["regie"],
                payer=data["payer"],
                method=data["method"],
                amount=data["amount"],
                received_on=data["received_on"],
                invoices=list(data["invoices"]) or None,
                bank_reference=data["bank_reference"],
                recorded_by=request.user,
            )
        except BillingError as error:
            messages.error(request, str(error))
            return HttpResponseRedirect(back_url)
        messages.success(
            request,
            gettext("Payment of {amount} recorded: receipt no. {number}.").format(
                amount=format_euros(payment.amount), number=payment.receipt_number
            ),
        )
        return HttpResponseRedirect(change_url(payment))


@admin.register(OnlinePayment)
class OnlinePaymentAdmin(StaffScopeMixin, admin.ModelAdmin):
    """Every online payment attempt, with its status and PayFiP's data: read-only, since
    only PayFiP's answers change them."""

    list_display = [
        "created_at",
        "invoice",
        "amount_in_euros",
        "status",
        "bank_status",
        "idop",
        "numauto_shown",
        "payment",
        "error",
        "regie",
        "provider",
    ]
    list_filter = [
        "status",
        "provider",
        RegieFilter,
        ("created_at", admin.DateFieldListFilter),
    ]
    list_select_related = ["invoice", "payment", "regie"]
    date_hierarchy = "created_at"
    search_fields = ["=idop", "=invoice__number", "=refdet", "invoice__household__name"]
    search_help_text = _("Search by idop, invoice number, debt reference or household.")
    fields = [
        "reference",
        "invoice",
        "regie",
        "started_by",
        "amount",
        "email",
        "refdet",
        "exer",
        "mode",
        "provider",
        "idop",
        "status",
        "bank_status",
        "bank_data",
        "error",
        "holds_invoice",
        "payment",
        "created_at",
        "checked_at",
        "finished_at",
        "notified_at",
    ]
    readonly_fields = fields

    def scope_queryset(self, queryset, user):
        return queryset.filter(invoice__in=invoices_for(user).values("pk"))

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    amount_in_euros = euro_column("amount", _("amount"), ordering="amount")

    @admin.display(description=_("authorisation number"))
    def numauto_shown(self, online_payment):
        return online_payment.numauto or "—"
