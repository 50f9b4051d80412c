"""Money received. One payment may settle several invoices of the same payer through its
allocations; what is not allocated stays visible as an overpayment."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

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
        from portail.households.models import Guardian, Household

        own = Guardian.objects.filter(user=user).values("pk")
        shared = Household.objects.filter(
            guardians__user=user, share_invoices_with_all_guardians=True
        ).values("pk")
        return self.filter(Q(payer__in=own) | Q(household__in=shared))


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
