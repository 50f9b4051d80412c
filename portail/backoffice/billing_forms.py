"""Forms of the back office's billing pages: draft invoices and their lines, credit notes,
cancellations, counter payments, credit used or refunded.

Amounts are typed the French way (« 29,50 », « 1 234,50 € ») and read as ``Decimal``; the
services check the rules again, these forms only give staff their mistakes in French before."""

import datetime
import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portail.billing.models import ZERO, CreditNote, Invoice, InvoiceKind, InvoiceLine
from portail.households.models import HouseholdChild
from portail.lib.money import format_euros
from portail.payments.models import COUNTER_METHODS, PaymentMethod

# What a régie accepts at its counter, by method.
ACCEPTED_BY_REGIE = {
    PaymentMethod.CHEQUE: "accepts_cheque",
    PaymentMethod.CASH: "accepts_cash",
    PaymentMethod.CESU: "accepts_cesu",
    PaymentMethod.TRANSFER: "accepts_transfer",
}

_SPACES = re.compile(r"[\s\u00a0\u202f]")


def period_label(period_on: datetime.date) -> str:
    """« Février 2022 »."""
    return capfirst(formats.date_format(period_on, "F Y"))


def invoice_label(invoice: Invoice) -> str:
    """How an invoice is named in a list of choices: number, kind, period, what is left."""
    return gettext("{number} — {kind} — {period} — {payer} — left to pay {amount}").format(
        number=invoice.number or gettext("draft"),
        kind=invoice.kind.label,
        period=period_label(invoice.period_on),
        payer=invoice.payer,
        amount=format_euros(invoice.amount_due),
    )


class FrenchDecimalField(forms.DecimalField):
    """A decimal typed with a comma or a point, spaces as thousands separators and an
    optional « € »: « 29,50 », « 1 234,5 € » and « 29.50 » are all accepted."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
    default_error_messages = {"invalid": _("Enter an amount such as 29,50.")}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = _SPACES.sub("", str(value)).removesuffix("€").replace(",", ".")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if not number.is_finite():
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return number

    def prepare_value(self, value):
        if isinstance(value, Decimal):
            return str(value).replace(".", ",")
        return value

    def widget_attrs(self, widget):
        # No « step »/« min » attributes: the field is a text input, not type="number".
        return {}


class EurosField(FrenchDecimalField):
    """An amount in euros, at least one cent."""

    default_error_messages = {"min_value": _("The amount must be at least 0,01 €.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 10)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", Decimal("0.01"))
        super().__init__(**kwargs)


class MonthField(forms.DateField):
    """A month typed « 02/2022 » (or « 2022-02 », or any day of it), kept as its first day."""

    widget = forms.DateInput(format="%m/%Y", attrs={"placeholder": "MM/AAAA", "size": 8})
    input_formats = ["%m/%Y", "%Y-%m", "%d/%m/%Y", "%Y-%m-%d"]
    default_error_messages = {"invalid": _("Enter a month such as 02/2022.")}

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace(day=1) if value else value


class InvoiceDraftForm(forms.ModelForm):
    """The heading of a draft invoice; its lines are the inline formset."""

    period_on = MonthField(
        label=capfirst(_("period (month)")), help_text=_("The month invoiced, e.g. 02/2022.")
    )

    class Meta:
        model = Invoice
        fields = ["regie", "kind", "household", "payer", "period_on"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "kind" in self.fields:
            self.fields["kind"].queryset = InvoiceKind.objects.select_related("regie")
            self.fields["kind"].label_from_instance = lambda kind: gettext(
                "{kind} ({regie})"
            ).format(kind=kind.label, regie=kind.regie.name)

    def clean(self):
        cleaned = super().clean()
        regie, kind = cleaned.get("regie"), cleaned.get("kind")
        household, payer = cleaned.get("household"), cleaned.get("payer")
        if regie and kind and kind.regie_id != regie.pk:
            self.add_error(
                "kind",
                gettext("« {kind} » is a kind of the régie « {regie} », not of this one.").format(
                    kind=kind.label, regie=kind.regie.name
                ),
            )
        if household and payer and payer.household_id != household.pk:
            self.add_error(
                "payer",
                gettext("{payer} is not a guardian of the household « {household} ».").format(
                    payer=payer, household=household
                ),
            )
        return cleaned


class InvoiceLineForm(forms.ModelForm):
    quantity = FrenchDecimalField(label=capfirst(_("quantity")), max_digits=10, decimal_places=2)
    unit_price = FrenchDecimalField(
        label=capfirst(_("unit price")),
        max_digits=10,
        decimal_places=4,
        min_value=Decimal("0"),
        help_text=_("In euros, e.g. 2,50."),
    )

    class Meta:
        model = InvoiceLine
        fields = ["child", "label", "quantity", "unit", "unit_price"]


class InvoiceLineFormSet(forms.BaseInlineFormSet):
    """Lines of a draft: at least one, and every child is a child of the invoice's
    household."""

    def clean(self):
        super().clean()
        kept = [
            form
            for form in self.forms
            if form.cleaned_data
            and not self._should_delete_form(form)
            and (form.instance.pk is not None or form.has_changed())
        ]
        if not kept:
            raise ValidationError(gettext("Add at least one line to the invoice."))
        household_id = self.instance.household_id
        if household_id is None:
            return
        children = set(
            HouseholdChild.objects.filter(household_id=household_id).values_list(
                "child_id", flat=True
            )
        )
        for form in kept:
            child = form.cleaned_data.get("child")
            if child is not None and child.pk not in children:
                form.add_error(
                    "child",
                    gettext("{child} is not a child of this household.").format(child=child),
                )

    def lines(self) -> list[dict]:
        """The lines typed, in their order, as ``create_draft_invoice`` takes them."""
        lines = []
        for form in self.forms:
            if self._should_delete_form(form):
                continue
            if form.instance.pk is None and not form.has_changed():
                continue
            data = form.cleaned_data
            lines.append(
                {
                    "child": data.get("child"),
                    "label": data["label"],
                    "quantity": data["quantity"],
                    "unit": data["unit"],
                    "unit_price": data["unit_price"],
                }
            )
        return lines


class ReasonField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Reason"))
        kwargs.setdefault("max_length", 1000)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3, "cols": 60}))
        super().__init__(**kwargs)


class CancelInvoiceForm(forms.Form):
    reason = ReasonField(
        help_text=_("Printed on the credit note that cancels the invoice, e.g. « Billing error ».")
    )


class CreditNoteForm(forms.Form):
    amount = EurosField(label=_("Amount of the credit note"))
    reason = ReasonField(help_text=_("Printed on the credit note, e.g. « 2 days of closure »."))

    def __init__(self, *args, invoice: Invoice, **kwargs):
        super().__init__(*args, **kwargs)
        self.invoice = invoice
        credited = sum((note.amount for note in invoice.credit_notes.all()), ZERO)
        self.most = invoice.total - credited
        self.fields["amount"].help_text = gettext(
            "At most {amount}: the invoice's total less its credit notes so far."
        ).format(amount=format_euros(self.most))

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount > self.most:
            raise ValidationError(
                gettext("A credit note on this invoice can be at most {amount}.").format(
                    amount=format_euros(self.most)
                )
            )
        return amount

    @property
    def applied(self) -> Decimal:
        """What the credit note will take off the invoice; the rest becomes a credit."""
        return min(self.cleaned_data["amount"], self.invoice.amount_due)


class HouseholdSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Household"),
        max_length=100,
        help_text=_("Name of the household or of a guardian, or the family code."),
    )


class CounterPaymentForm(forms.Form):
    """Money received at the counter from a guardian of one household."""

    regie = forms.ModelChoiceField(label=_("Régie"), queryset=None, empty_label=None)
    payer = forms.ModelChoiceField(label=_("Payer"), queryset=None, empty_label=None)
    method = forms.ChoiceField(
        label=_("Payment method"),
        choices=[("", "---------"), *((m.value, m.label) for m in COUNTER_METHODS)],
    )
    amount = EurosField(label=_("Amount received"), help_text=_("In euros, e.g. 29,50."))
    received_on = forms.DateField(
        label=_("Date received"),
        help_text=_("For example 09/02/2022."),
        widget=forms.DateInput(format="%d/%m/%Y", attrs={"size": 10}),
    )
    bank_reference = forms.CharField(
        label=_("Reference"),
        max_length=100,
        required=False,
        help_text=_("Cheque number and bank, CESU numbers, transfer reference."),
    )
    invoices = forms.ModelMultipleChoiceField(
        label=_("Invoices to settle"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "radiolist"}),
        help_text=_(
            "Settled in this order, oldest first. If you tick none, the payment settles the "
            "payer's unpaid invoices of the régie, oldest first."
        ),
    )

    def __init__(self, *args, household, regies, **kwargs):
        super().__init__(*args, **kwargs)
        self.household = household
        self.fields["regie"].queryset = regies
        self.fields["payer"].queryset = household.guardians.all()
        if len(self.fields["payer"].queryset) > 1:
            # Two guardians: staff choose who pays, the first one is not taken by default.
            self.fields["payer"].empty_label = "---------"
        self.fields["invoices"].queryset = (
            Invoice.objects.for_household(household)
            .unpaid()
            .select_related("kind", "payer")
            .order_by("due_on", "issued_on", "pk")
        )
        self.fields["invoices"].label_from_instance = invoice_label
        self.fields["received_on"].initial = timezone.localdate()

    def clean_received_on(self):
        received_on = self.cleaned_data["received_on"]
        if received_on > timezone.localdate():
            raise ValidationError(gettext("The date received cannot be in the future."))
        return received_on

    def clean(self):
        cleaned = super().clean()
        regie, payer = cleaned.get("regie"), cleaned.get("payer")
        method = cleaned.get("method")
        if regie and method and not getattr(regie, ACCEPTED_BY_REGIE[method]):
            self.add_error(
                "method",
                gettext("The régie « {regie} » does not accept this payment method.").format(
                    regie=regie
                ),
            )
        if method == PaymentMethod.CHEQUE and not cleaned.get("bank_reference"):
            self.add_error("bank_reference", gettext("Enter the cheque's number."))
        for invoice in cleaned.get("invoices") or []:
            if payer and invoice.payer_id != payer.pk:
                self.add_error(
                    "invoices",
                    gettext("Invoice {number} is to be paid by {payer}, not by {other}.").format(
                        number=invoice.number, payer=invoice.payer, other=payer
                    ),
                )
            elif regie and invoice.regie_id != regie.pk:
                self.add_error(
                    "invoices",
                    gettext("Invoice {number} belongs to another régie.").format(
                        number=invoice.number
                    ),
                )
        return cleaned

    def settlement(self) -> tuple[list[tuple[Invoice, Decimal]], Decimal]:
        """What the payment will settle, invoice by invoice, and what is left over — the
        same spreading as ``record_payment``, shown to staff before they confirm."""
        data = self.cleaned_data
        invoices = list(data["invoices"])
        if not invoices:
            invoices = list(
                Invoice.objects.filter(regie=data["regie"], payer=data["payer"])
                .unpaid()
                .select_related("kind", "payer")
                .order_by("due_on", "issued_on", "pk")
            )
        remaining = data["amount"]
        shares = []
        for invoice in invoices:
            share = min(remaining, invoice.amount_due)
            if share <= 0:
                continue
            shares.append((invoice, share))
            remaining -= share
        return shares, remaining


class UseCreditNoteForm(forms.Form):
    invoice = forms.ModelChoiceField(label=_("Invoice to settle"), queryset=None)
    amount = EurosField(
        label=_("Amount"),
        required=False,
        help_text=_("Leave empty to use as much of the credit as the invoice needs."),
    )

    def __init__(self, *args, credit_note: CreditNote, **kwargs):
        super().__init__(*args, **kwargs)
        self.credit_note = credit_note
        self.fields["invoice"].queryset = (
            Invoice.objects.filter(regie=credit_note.regie_id, payer=credit_note.payer_id)
            .unpaid()
            .select_related("kind", "payer")
            .order_by("due_on", "issued_on", "pk")
        )
        self.fields["invoice"].label_from_instance = invoice_label
        self.fields["invoice"].empty_label = None

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount is not None and amount > self.credit_note.available_credit:
            raise ValidationError(
                gettext("The credit note has only {amount} of credit left.").format(
                    amount=format_euros(self.credit_note.available_credit)
                )
            )
        return amount

    @property
    def used(self) -> Decimal:
        invoice, amount = self.cleaned_data["invoice"], self.cleaned_data["amount"]
        most = min(self.credit_note.available_credit, invoice.amount_due)
        return most if amount is None else min(amount, most)


class RefundCreditNoteForm(forms.Form):
    amount = EurosField(label=_("Amount refunded"))

    def __init__(self, *args, credit_note: CreditNote, **kwargs):
        super().__init__(*args, **kwargs)
        self.credit_note = credit_note
        self.fields["amount"].initial = credit_note.available_credit
        self.fields["amount"].help_text = gettext(
            "At most {amount}, the credit left. Record the refund once the régie has paid it."
        ).format(amount=format_euros(credit_note.available_credit))

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount > self.credit_note.available_credit:
            raise ValidationError(
                gettext("The credit note has only {amount} of credit left.").format(
                    amount=format_euros(self.credit_note.available_credit)
                )
            )
        return amount
