"""Money received. One payment may settle several invoices of the same payer through its
allocations; what is not allocated stays visible as an overpayment."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portail.billing.models import Regie

ZERO = Decimal("0.00")


class PaymentMethod(models.TextChoices):
    CARD_ONLINE = "card_online", _("card online")
    DIRECT_DEBIT = "direct_debit", _("direct debit")
    CHEQUE = "cheque", _("cheque")
    CASH = "cash", _("cash")
    CESU = "cesu", _("CESU")
    TRANSFER = "transfer", _("bank transfer")
    CREDIT_NOTE = "credit_note", _("credit note")


# Methods staff record at the counter.
COUNTER_METHODS = [
    PaymentMethod.CHEQUE,
    PaymentMethod.CASH,
    PaymentMethod.CESU,
    PaymentMethod.TRANSFER,
]


class PaymentQuerySet(models.QuerySet):
    def for_household(self, household):
        return self.filter(household=household)

    def visible_to(self, user):
        """Same rule as ``Invoice.objects.visible_to``: as payer, or the household's when it
        shares invoices with all its guardians."""
        from portail.billing.models import family_scope_ids

        own, shared = family_scope_ids(user)
        return self.filter(Q(payer_id__in=own) | Q(household_id__in=shared))


class Payment(models.Model):
    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    regie = models.ForeignKey(
        "billing.Regie", on_delete=models.PROTECT, related_name="payments", verbose_name=_("régie")
    )
    household = models.ForeignKey(
        "households.Household",
        on_delete=models.PROTECT,
        related_name="payments",
        verbose_name=_("household"),
    )
    payer = models.ForeignKey(
        "households.Guardian",
        on_delete=models.PROTECT,
        related_name="payments",
        verbose_name=_("payer"),
    )
    method = models.CharField(_("method"), max_length=20, choices=PaymentMethod.choices)
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    allocated_amount = models.DecimalField(
        _("allocated to invoices"), max_digits=10, decimal_places=2, default=ZERO
    )
    received_on = models.DateField(_("date received"))
    bank_reference = models.CharField(
        _("reference"),
        max_length=100,
        blank=True,
        help_text=_("Cheque number, CESU numbers, transfer reference, transaction number…"),
    )
    receipt_number = models.CharField(_("receipt number"), max_length=40)
    credit_note = models.ForeignKey(
        "billing.CreditNote",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name=_("credit note used"),
    )
    receipt_pdf = models.FileField(_("receipt"), upload_to="receipts/%Y/%m/", blank=True)
    receipt_sha256 = models.CharField(_("receipt SHA-256"), max_length=64, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = PaymentQuerySet.as_manager()

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-received_on", "-pk"]
        indexes = [models.Index(fields=["regie", "received_on"])]
        constraints = [
            models.UniqueConstraint(
                fields=["regie", "receipt_number"], name="payment_receipt_number_unique"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(allocated_amount__gte=0, allocated_amount__lte=F("amount")),
                name="payment_not_over_allocated",
            ),
            models.CheckConstraint(
                condition=Q(method="credit_note", credit_note__isnull=False)
                | (~Q(method="credit_note") & Q(credit_note__isnull=True)),
                name="payment_credit_note_iff_method",
            ),
        ]

    def __str__(self):
        return self.receipt_number

    @property
    def unallocated_amount(self) -> Decimal:
        return self.amount - self.allocated_amount

    @property
    def is_subject_to_collection(self) -> bool:
        """Cheques are paid « sous réserve d'encaissement »."""
        return self.method == PaymentMethod.CHEQUE


class PaymentAllocation(models.Model):
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("payment")
    )
    invoice = models.ForeignKey(
        "billing.Invoice",
        on_delete=models.PROTECT,
        related_name="allocations",
        verbose_name=_("invoice"),
    )
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = _("payment allocation")
        verbose_name_plural = _("payment allocations")
        constraints = [
            models.UniqueConstraint(fields=["payment", "invoice"], name="allocation_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_positive"),
        ]

    def __str__(self):
        return f"{self.payment} → {self.invoice}"


class OnlinePayment(models.Model):
    """One attempt to pay an invoice online (PayFiP): created before PayFiP is asked for an
    idop, so nothing is ever « in progress » without a trace. Its UUID is in the return and
    notification URLs; PayFiP's answer is stored as it came (``bank_data``)."""

    class Status(models.TextChoices):
        CREATED = "created", _("created")
        WAITING = "waiting", _("in progress")
        PAID = "paid", _("paid")
        REFUSED = "refused", _("refused")
        CANCELLED = "cancelled", _("cancelled")
        EXPIRED = "expired", _("expired")
        ERROR = "error", _("error")

    RUNNING = (Status.CREATED, Status.WAITING)

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    invoice = models.ForeignKey(
        "billing.Invoice",
        on_delete=models.PROTECT,
        related_name="online_payments",
        verbose_name=_("invoice"),
    )
    regie = models.ForeignKey(
        "billing.Regie",
        on_delete=models.PROTECT,
        related_name="online_payments",
        verbose_name=_("régie"),
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    email = models.EmailField(_("e-mail given to PayFiP"), max_length=80)
    refdet = models.CharField(_("debt reference (refdet)"), max_length=30)
    exer = models.CharField(_("financial year (exer)"), max_length=4)
    mode = models.CharField(_("PayFiP mode"), max_length=1)
    # The régie's service when the attempt started (eopayment backend name): the régie may
    # change service while an attempt still waits for its result.
    provider = models.CharField(
        _("payment service"),
        max_length=20,
        choices=Regie.OnlineProvider.choices,
        default=Regie.OnlineProvider.PAYFIP,
    )
    idop = models.CharField(_("PayFiP operation id (idop)"), max_length=64, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.CREATED
    )
    bank_status = models.CharField(_("bank status"), max_length=200, blank=True)
    bank_data = models.JSONField(_("PayFiP transaction data"), default=dict, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    # An attempt holds its invoice while PayFiP may still take it; once its idop can no
    # longer open the payment page (15 minutes), a new attempt releases it, and the old one
    # is still checked until PayFiP gives its result.
    holds_invoice = models.BooleanField(_("holds the invoice"), default=True)
    payment = models.OneToOneField(
        Payment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="online_payment",
        verbose_name=_("payment recorded"),
    )
    created_at = models.DateTimeField(_("started at"), default=timezone.now)
    checked_at = models.DateTimeField(_("last checked at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    notified_at = models.DateTimeField(_("receipt e-mailed at"), null=True, blank=True)

    objects = models.Manager()

    class Meta:
        verbose_name = _("online payment")
        verbose_name_plural = _("online payments")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["idop"], condition=~Q(idop=""), name="online_payment_idop_unique"
            ),
            # One attempt at a time per invoice: a second click, a second tab, a second
            # guardian cannot start another one while PayFiP may still take the first.
            models.UniqueConstraint(
                fields=["invoice"],
                condition=Q(status__in=["created", "waiting"], holds_invoice=True),
                name="online_payment_one_running_per_invoice",
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="online_payment_amount_positive"
            ),
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(payment__isnull=False),
                name="online_payment_paid_has_payment",
            ),
        ]

    def __str__(self):
        return f"{self.invoice} — {self.get_status_display()}"

    @property
    def is_running(self) -> bool:
        return self.status in self.RUNNING

    @property
    def numauto(self) -> str:
        return str(self.bank_data.get("numauto") or "")
