"""Régies, invoices, their lines and credit notes.

Invariants live in the database: amounts are never negative where that makes no sense, an
invoice is never paid or credited beyond its total, a number is unique per régie, and an
issued invoice and its lines never change (triggers in migration 0002: a credit note
corrects an invoice)."""

import json
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from portail.lib.encryption import EncryptedTextField

ZERO = Decimal("0.00")


class Regie(models.Model):
    """The town's cash office (régie de recettes) that issues invoices and collects payments."""

    name = models.CharField(_("name"), max_length=150, unique=True)
    address = models.TextField(_("address"), blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    invoice_number_format = models.CharField(
        _("invoice number format"),
        max_length=60,
        default="{year}-{number:05d}",
        help_text=_("Python format with {year} and {number}, e.g. « F{year}-{number:05d} »."),
    )
    credit_note_number_format = models.CharField(
        _("credit note number format"), max_length=60, default="AV{year}-{number:05d}"
    )
    receipt_number_format = models.CharField(
        _("receipt number format"), max_length=60, default="R{year}-{number:05d}"
    )
    payment_delay_days = models.PositiveSmallIntegerField(
        _("days to pay"), default=30, help_text=_("Due date = issue date + this many days.")
    )
    accepts_card_online = models.BooleanField(_("card online (PayFiP)"), default=True)
    accepts_direct_debit = models.BooleanField(_("direct debit"), default=True)
    accepts_cheque = models.BooleanField(_("cheque"), default=True)
    accepts_cash = models.BooleanField(_("cash"), default=True)
    accepts_cesu = models.BooleanField(_("CESU"), default=False)
    accepts_transfer = models.BooleanField(_("bank transfer"), default=False)
    issuer_name = models.CharField(
        _("issuer (name and title)"),
        max_length=200,
        blank=True,
        help_text=_("Name, first name and title of the person who issues the invoices."),
    )
    appeal_notice = models.TextField(
        _("appeal notice"),
        blank=True,
        help_text=_("Voies et délais de recours printed on every invoice."),
    )
    payment_instructions = models.TextField(_("how to pay at the régie"), blank=True)

    class PayFiPMode(models.TextChoices):
        TEST = "T", _("test")
        ACTIVATION = "X", _("activation")
        PRODUCTION = "W", _("production")

    payfip_client_number = models.CharField(
        _("PayFiP client number"),
        max_length=6,
        blank=True,
        validators=[
            RegexValidator(r"^[0-9]{6}$", _("The PayFiP client number has exactly 6 digits."))
        ],
        help_text=_("The 6-digit number (numcli) given by the DGFiP; empty: no online payment."),
    )
    payfip_mode = models.CharField(
        _("PayFiP mode"),
        max_length=1,
        choices=PayFiPMode.choices,
        default=PayFiPMode.TEST,
        help_text=_(
            "Test (T), then activation (X), then production (W), as agreed with the DGFiP."
        ),
    )

    class OnlineProvider(models.TextChoices):
        """The online payment services a régie may use (eopayment backends)."""

        PAYFIP = "payfip_ws", _("PayFiP (DGFiP, Régie web service)")
        SYSTEMPAY = "systempayv2", _("SystemPay / PayZen")
        PAYBOX = "paybox", _("Paybox")

    online_provider = models.CharField(
        _("online payment service"),
        max_length=20,
        choices=OnlineProvider.choices,
        default=OnlineProvider.PAYFIP,
        help_text=_("PayFiP unless the régie has a contract with another payment service."),
    )
    # The provider's settings, checked against eopayment's own description of its parameters
    # (portail/payments/payfip.py): the plain ones here, the secrets (keys, shared secrets)
    # encrypted apart, as a JSON object, never shown back in full.
    online_provider_options = models.JSONField(
        _("payment service settings"), default=dict, blank=True
    )
    online_provider_secrets = EncryptedTextField(
        _("payment service secrets"), blank=True, default=""
    )

    class Meta:
        verbose_name = _("régie")
        verbose_name_plural = _("régies")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def has_payfip(self) -> bool:
        """Whether families can pay this régie's invoices online with PayFiP."""
        return (
            self.accepts_card_online
            and self.online_provider == self.OnlineProvider.PAYFIP
            and len(self.payfip_client_number) == 6
        )

    @property
    def has_online_payment(self) -> bool:
        """Whether families can pay this régie's invoices online, whatever the service."""
        if self.online_provider == self.OnlineProvider.PAYFIP:
            return self.has_payfip
        return self.accepts_card_online and bool(self.online_provider_options)

    @property
    def online_provider_secret_values(self) -> dict:
        return json.loads(self.online_provider_secrets) if self.online_provider_secrets else {}


class InvoiceKind(models.Model):
    """A kind of invoice of a régie, e.g. « FACTURE JEUNESSE », « FACTURE PÉRISCOLAIRE »."""

    regie = models.ForeignKey(
        Regie, on_delete=models.CASCADE, related_name="kinds", verbose_name=_("régie")
    )
    label = models.CharField(_("label"), max_length=80)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("invoice kind")
        verbose_name_plural = _("invoice kinds")
        ordering = ["regie", "position", "label"]
        constraints = [
            models.UniqueConstraint(fields=["regie", "label"], name="invoice_kind_unique_label")
        ]

    def __str__(self):
        return self.label


class NumberSequence(models.Model):
    """The last number given per régie, series and year. Locked (select_for_update) while a
    number is taken, so two issuers never get the same one and numbers have no gaps."""

    class Series(models.TextChoices):
        INVOICE = "invoice", _("invoice")
        CREDIT_NOTE = "credit_note", _("credit note")
        RECEIPT = "receipt", _("receipt")

    regie = models.ForeignKey(Regie, on_delete=models.CASCADE, related_name="sequences")
    series = models.CharField(max_length=20, choices=Series.choices)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["regie", "series", "year"], name="number_sequence_unique"
            )
        ]

    def __str__(self):
        return f"{self.regie} {self.series} {self.year}: {self.last_number}"


def family_scope_ids(user) -> tuple[list[int], list[int]]:
    """The person's guardian ids, and the ids of their households that share invoices with
    every guardian: one small indexed query. Filtering the big tables with these plain lists
    lets PostgreSQL use the payer and household indexes; an OR of two IN (subquery) made it
    scan a million invoices (docs/benchmarks.md)."""
    from portail.households.models import Guardian

    cached = getattr(user, "_family_scope_ids", None)
    if cached is not None:  # once per request: the user object lives as long as the request
        return cached
    own, shared = [], []
    for pk, household_id, shares in Guardian.objects.filter(user=user).values_list(
        "pk", "household_id", "household__share_invoices_with_all_guardians"
    ):
        own.append(pk)
        if shares:
            shared.append(household_id)
    user._family_scope_ids = (own, shared)
    return own, shared


class InvoiceQuerySet(models.QuerySet):
    def for_household(self, household):
        return self.filter(household=household)

    def visible_to(self, user):
        """Invoices a family member may see: their own as payer, and their households'
        when the household shares invoices with all its guardians. Never drafts."""
        own, shared = family_scope_ids(user)
        return self.exclude(status=Invoice.Status.DRAFT).filter(
            Q(payer_id__in=own) | Q(household_id__in=shared)
        )

    def for_staff(self, user):
        """The invoices of the households this member of staff may see (no join, so no
        duplicates and no DISTINCT over a large table)."""
        if user.is_superuser:
            return self
        from portail.households.models import Household

        return self.filter(household__in=Household.objects.for_staff(user).values("pk"))

    def issued(self):
        return self.exclude(status__in=[Invoice.Status.DRAFT, Invoice.Status.CANCELLED])

    def unpaid(self):
        return self.filter(status__in=[Invoice.Status.ISSUED, Invoice.Status.PARTIALLY_PAID])


class Invoice(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        ISSUED = "issued", _("unpaid")
        PARTIALLY_PAID = "partially_paid", _("partially paid")
        PAID = "paid", _("paid")
        CANCELLED = "cancelled", _("cancelled")

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    regie = models.ForeignKey(
        Regie, on_delete=models.PROTECT, related_name="invoices", verbose_name=_("régie")
    )
    kind = models.ForeignKey(
        InvoiceKind, on_delete=models.PROTECT, related_name="invoices", verbose_name=_("kind")
    )
    number = models.CharField(_("number"), max_length=40, blank=True, db_index=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    household = models.ForeignKey(
        "households.Household",
        on_delete=models.PROTECT,
        related_name="invoices",
        verbose_name=_("household"),
    )
    payer = models.ForeignKey(
        "households.Guardian",
        on_delete=models.PROTECT,
        related_name="invoices_to_pay",
        verbose_name=_("payer"),
    )
    # What the invoice says about the payer when it is issued; later changes of address do
    # not change an issued invoice.
    payer_name = models.CharField(_("payer's name"), max_length=250, blank=True)
    payer_address = models.TextField(_("payer's address"), blank=True)
    period_on = models.DateField(_("period (month)"), help_text=_("First day of the month."))
    issued_on = models.DateField(_("issue date"), null=True, blank=True)
    due_on = models.DateField(_("due date"), null=True, blank=True)
    total = models.DecimalField(_("total"), max_digits=10, decimal_places=2, default=ZERO)
    amount_paid = models.DecimalField(
        _("amount paid"), max_digits=10, decimal_places=2, default=ZERO
    )
    amount_credited = models.DecimalField(
        _("amount credited"), max_digits=10, decimal_places=2, default=ZERO
    )
    external_reference = models.CharField(
        _("billing software reference"),
        max_length=80,
        blank=True,
        help_text=_("The invoice's identifier in the software it was imported from."),
    )
    pdf = models.FileField(_("PDF"), upload_to="invoices/%Y/%m/", blank=True)
    pdf_sha256 = models.CharField(_("PDF SHA-256"), max_length=64, blank=True)
    notified_at = models.DateTimeField(_("notified at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-period_on", "-issued_on", "-number"]
        indexes = [
            models.Index(fields=["household", "status"]),
            models.Index(fields=["regie", "period_on"]),
            # The back office's invoice list: its ordering, with the primary key the change
            # list adds, so that a page is read from the index instead of sorting the table.
            models.Index(
                fields=["-period_on", "-issued_on", "-number", "-id"], name="invoice_list_order"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["regie", "number"], condition=~Q(number=""), name="invoice_number_unique"
            ),
            models.UniqueConstraint(
                fields=["regie", "external_reference"],
                condition=~Q(external_reference=""),
                name="invoice_external_reference_unique",
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="invoice_total_not_negative"),
            models.CheckConstraint(
                condition=Q(amount_paid__gte=0, amount_credited__gte=0),
                name="invoice_settled_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(total__gte=F("amount_paid") + F("amount_credited")),
                name="invoice_paid_not_above_total",
            ),
            models.CheckConstraint(
                condition=Q(status="draft", number="", issued_on__isnull=True)
                | (~Q(status="draft") & ~Q(number="") & Q(issued_on__isnull=False)),
                name="invoice_number_iff_issued",
            ),
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(total=F("amount_paid") + F("amount_credited")),
                name="invoice_paid_means_settled",
            ),
        ]

    def __str__(self):
        return self.number or str(_("Draft invoice"))

    @property
    def amount_due(self) -> Decimal:
        return self.total - self.amount_paid - self.amount_credited

    @property
    def is_payable(self) -> bool:
        return self.status in (self.Status.ISSUED, self.Status.PARTIALLY_PAID)


class InvoiceLine(models.Model):
    class Unit(models.TextChoices):
        HOUR = "hour", _("hour")
        DAY = "day", _("day")
        MEAL = "meal", _("meal")
        MONTH = "month", _("month")
        UNIT = "unit", _("unit")

    invoice = models.ForeignKey(
        Invoice, on_delete=models.CASCADE, related_name="lines", verbose_name=_("invoice")
    )
    child = models.ForeignKey(
        "households.Child",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoice_lines",
        verbose_name=_("child"),
    )
    child_name = models.CharField(_("child's name"), max_length=200, blank=True)
    label = models.CharField(_("label"), max_length=200)
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices, default=Unit.HOUR)
    unit_price = models.DecimalField(_("unit price"), max_digits=10, decimal_places=4)
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["invoice", "child_name", "position", "pk"]

    def __str__(self):
        return self.label


class CreditNote(models.Model):
    """An avoir: corrects an issued invoice. What it applies to the invoice reduces what is
    due; the rest (when the invoice was already paid) is a credit the family sees and staff
    use on a later invoice or refund."""

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    regie = models.ForeignKey(
        Regie, on_delete=models.PROTECT, related_name="credit_notes", verbose_name=_("régie")
    )
    number = models.CharField(_("number"), max_length=40)
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="credit_notes", verbose_name=_("invoice")
    )
    household = models.ForeignKey(
        "households.Household",
        on_delete=models.PROTECT,
        related_name="credit_notes",
        verbose_name=_("household"),
    )
    payer = models.ForeignKey(
        "households.Guardian",
        on_delete=models.PROTECT,
        related_name="credit_notes",
        verbose_name=_("payer"),
    )
    issued_on = models.DateField(_("issue date"))
    reason = models.TextField(_("reason"))
    amount = models.DecimalField(
        _("amount"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    applied_amount = models.DecimalField(
        _("applied to the invoice"), max_digits=10, decimal_places=2, default=ZERO
    )
    used_amount = models.DecimalField(
        _("used on later invoices"), max_digits=10, decimal_places=2, default=ZERO
    )
    refunded_amount = models.DecimalField(
        _("refunded"), max_digits=10, decimal_places=2, default=ZERO
    )
    pdf = models.FileField(_("PDF"), upload_to="credit_notes/%Y/%m/", blank=True)
    pdf_sha256 = models.CharField(_("PDF SHA-256"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("credit note")
        verbose_name_plural = _("credit notes")
        ordering = ["-issued_on", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["regie", "number"], name="credit_note_number_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="credit_note_amount_positive"),
            models.CheckConstraint(
                condition=Q(applied_amount__gte=0, used_amount__gte=0, refunded_amount__gte=0),
                name="credit_note_parts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(
                    amount__gte=F("applied_amount") + F("used_amount") + F("refunded_amount")
                ),
                name="credit_note_not_overspent",
            ),
        ]

    def __str__(self):
        return self.number

    @property
    def available_credit(self) -> Decimal:
        return self.amount - self.applied_amount - self.used_amount - self.refunded_amount
