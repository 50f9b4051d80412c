"""SEPA direct debit (SDD CORE): the creditor settings of a régie, the mandates families sign
online, the one-time codes that sign them, debit batches (pain.008) and their debits.

Invariants live in the database: a RUM is unique and never reused (mandates are never
deleted), a payer has at most one active or pending mandate per régie, an invoice is in at
most one running debit, and an end-to-end id names one debit only. IBANs, BICs and the
holder's address are encrypted at rest; ``iban_last4`` is the only plain trace of an IBAN."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portail.lib.encryption import EncryptedTextField

ZERO = Decimal("0.00")


class SequenceType(models.TextChoices):
    FIRST = "FRST", _("first of a series")
    RECURRING = "RCUR", _("recurring")
    ONE_OFF = "OOFF", _("one-off")
    FINAL = "FNAL", _("last of a series")


class CreditorSettings(models.Model):
    """What a régie needs to collect by direct debit: its identity as a SEPA creditor (ICS,
    account) and its policy (delays, validation, suspension)."""

    regie = models.OneToOneField(
        "billing.Regie",
        on_delete=models.CASCADE,
        related_name="creditor_settings",
        verbose_name=_("régie"),
    )
    creditor_name = models.CharField(_("creditor name"), max_length=70)
    creditor_address = models.TextField(_("creditor address"))
    ics = models.CharField(
        _("creditor identifier (ICS)"),
        max_length=35,
        help_text=_("Given by the Banque de France through the bank, e.g. « FR72ZZZ123456 »."),
    )
    creditor_iban = EncryptedTextField(_("creditor IBAN"))
    creditor_iban_last4 = models.CharField(_("creditor IBAN (last 4)"), max_length=4)
    creditor_bic = models.CharField(_("creditor BIC"), max_length=11)
    rum_prefix = models.CharField(
        _("mandate reference prefix"),
        max_length=10,
        blank=True,
        help_text=_("Starts every RUM; empty: the end of the ICS."),
    )
    debit_lead_days = models.PositiveSmallIntegerField(
        _("debit lead time (days)"),
        default=2,
        help_text=_("Days the bank needs between receiving the file and the collection date."),
    )
    prenotification_days = models.PositiveSmallIntegerField(
        _("pre-notification delay (days)"),
        default=14,
        help_text=_("Families are told the amount and date at least this many days before."),
    )
    mandates_need_validation = models.BooleanField(
        _("new mandates need staff validation"), default=False
    )
    max_rejects_before_suspension = models.PositiveSmallIntegerField(
        _("rejects before suspension"), default=2
    )
    card_payment_for_covered_invoices = models.BooleanField(
        _("card payment offered for invoices paid by direct debit"), default=False
    )
    represent_rejected_once = models.BooleanField(
        _("present a rejected invoice once more"),
        default=False,
        help_text=_(
            "Checked: an invoice whose debit was rejected is taken again by the next batch, "
            "once. Unchecked: the family pays it another way."
        ),
    )
    last_rum_number = models.PositiveIntegerField(_("last mandate number"), default=0)

    class Meta:
        verbose_name = _("creditor settings (SEPA)")
        verbose_name_plural = _("creditor settings (SEPA)")
        constraints = [
            models.CheckConstraint(
                condition=Q(max_rejects_before_suspension__gte=1),
                name="creditor_settings_rejects_at_least_one",
            )
        ]

    def __str__(self):
        return f"{self.creditor_name} ({self.ics})"

    @property
    def effective_rum_prefix(self) -> str:
        return self.rum_prefix or self.ics[-6:]


class MandateQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The mandates a family member signed as payer (their own guardian rows)."""
        from portail.billing.models import family_scope_ids

        own, _shared = family_scope_ids(user)
        return self.filter(payer_id__in=own)

    def for_staff(self, user):
        if user.is_superuser:
            return self
        from portail.households.models import Household

        return self.filter(household__in=Household.objects.for_staff(user).values("pk"))

    def live(self):
        """Active or waiting for staff validation: the payer's current mandate."""
        return self.filter(status__in=[Mandate.Status.PENDING, Mandate.Status.ACTIVE])

    def active(self):
        return self.filter(status=Mandate.Status.ACTIVE)


class Mandate(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("pending validation")
        ACTIVE = "active", _("active")
        SUSPENDED = "suspended", _("suspended")
        REVOKED = "revoked", _("revoked")
        LAPSED = "lapsed", _("lapsed")

    class Kind(models.TextChoices):
        RECURRENT = "recurrent", _("recurrent")
        ONE_OFF = "one_off", _("one-off")

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    regie = models.ForeignKey(
        "billing.Regie", on_delete=models.PROTECT, related_name="mandates", verbose_name=_("régie")
    )
    household = models.ForeignKey(
        "households.Household",
        on_delete=models.PROTECT,
        related_name="mandates",
        verbose_name=_("household"),
    )
    payer = models.ForeignKey(
        "households.Guardian",
        on_delete=models.PROTECT,
        related_name="mandates",
        verbose_name=_("payer"),
    )
    rum = models.CharField(_("mandate reference (RUM)"), max_length=35, unique=True)
    kind = models.CharField(
        _("payment type"), max_length=10, choices=Kind.choices, default=Kind.RECURRENT
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    holder_name = models.CharField(_("account holder"), max_length=70)
    holder_address = EncryptedTextField(_("account holder's address"))
    iban = EncryptedTextField(_("IBAN"))
    iban_last4 = models.CharField(_("IBAN (last 4)"), max_length=4)
    bic = EncryptedTextField(_("BIC"), blank=True)
    next_sequence = models.CharField(
        _("next sequence type"),
        max_length=4,
        choices=SequenceType.choices,
        default=SequenceType.FIRST,
    )
    signed_at = models.DateTimeField(_("signed at"))
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("signed by"),
    )
    signed_from_ip = models.GenericIPAddressField(_("signed from (IP)"), null=True, blank=True)
    code_verified_at = models.DateTimeField(_("one-time code verified at"))
    pdf = models.FileField(_("signed mandate (PDF)"), upload_to="mandates/%Y/", blank=True)
    pdf_sha256 = models.CharField(_("PDF SHA-256"), max_length=64, blank=True)
    validated_at = models.DateTimeField(_("validated at"), null=True, blank=True)
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("validated by"),
    )
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    end_reason = models.CharField(_("why it ended"), max_length=200, blank=True)
    replaces = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by",
        verbose_name=_("replaces"),
    )
    # Invoices issued from this date on are collected: the signature date, or for a change of
    # account the date of the mandate it replaces (« effectif à compter de la prochaine
    # facturation »).
    effective_on = models.DateField(_("covers invoices issued from"))
    last_collection_on = models.DateField(_("last collection date"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = MandateQuerySet.as_manager()

    class Meta:
        verbose_name = _("mandate")
        verbose_name_plural = _("mandates")
        ordering = ["-signed_at", "-pk"]
        indexes = [models.Index(fields=["regie", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["payer", "regie"],
                condition=Q(status__in=["pending", "active"]),
                name="mandate_one_live_per_payer",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "active", "suspended", "revoked", "lapsed"]),
                name="mandate_status_known",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "active", "suspended"])
                | Q(ended_at__isnull=False),
                name="mandate_ended_has_date",
            ),
            models.CheckConstraint(condition=~Q(rum=""), name="mandate_rum_not_empty"),
        ]

    def __str__(self):
        return self.rum

    @property
    def masked_iban(self) -> str:
        from .identifiers import mask_iban

        return mask_iban(self.iban)

    @property
    def is_live(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.ACTIVE)

    def read_pdf(self) -> bytes:
        """The signed mandate's PDF as signed (``pdf_sha256`` is its hash). It is stored
        encrypted, since it shows the whole IBAN; a copy stored before that is read as is."""
        from portail.lib.encryption import PREFIX, decrypt_bytes

        with self.pdf.open("rb") as stored:
            content = stored.read()
        if content.startswith(PREFIX.encode("ascii")):
            return decrypt_bytes(content)
        return content


class SignatureCode(models.Model):
    """A mandate the family asked for and has not signed yet, with the one-time code sent by
    e-mail that signs it. Only a hash of the code is kept; it expires, allows a few tries and
    signs once."""

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    regie = models.ForeignKey("billing.Regie", on_delete=models.CASCADE, related_name="+")
    payer = models.ForeignKey(
        "households.Guardian", on_delete=models.CASCADE, related_name="signature_codes"
    )
    replaces = models.ForeignKey(
        Mandate, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    holder_name = models.CharField(max_length=70)
    holder_address = EncryptedTextField()
    iban = EncryptedTextField()
    iban_last4 = models.CharField(max_length=4)
    bic = EncryptedTextField(blank=True)
    code_hash = models.CharField(max_length=128)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_count = models.PositiveSmallIntegerField(default=1)
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    mandate = models.OneToOneField(
        Mandate, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("signature code")
        verbose_name_plural = _("signature codes")
        constraints = [
            models.CheckConstraint(
                condition=Q(used_at__isnull=True) | Q(mandate__isnull=False),
                name="signature_code_used_made_mandate",
            )
        ]

    def __str__(self):
        return str(self.reference)


class DebitBatch(models.Model):
    class Status(models.TextChoices):
        BUILDING = "building", _("being built")
        READY = "ready", _("file ready")
        SENT = "sent", _("sent to the bank")
        SETTLED = "settled", _("settled")
        FAILED = "failed", _("not built")
        WITHDRAWN = "withdrawn", _("withdrawn")

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    regie = models.ForeignKey(
        "billing.Regie",
        on_delete=models.PROTECT,
        related_name="debit_batches",
        verbose_name=_("régie"),
    )
    collection_on = models.DateField(_("collection date"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.BUILDING
    )
    message_id = models.CharField(_("message id"), max_length=35, unique=True)
    xml_file = models.FileField(_("pain.008 file"), upload_to="sepa/%Y/", blank=True)
    xml_sha256 = models.CharField(_("file SHA-256"), max_length=64, blank=True)
    debit_count = models.PositiveIntegerField(_("debits"), default=0)
    total_amount = models.DecimalField(_("total"), max_digits=12, decimal_places=2, default=ZERO)
    job = models.ForeignKey(
        "jobs.Job",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("background job"),
    )
    errors = models.JSONField(_("errors"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("debit batch")
        verbose_name_plural = _("debit batches")
        ordering = ["-collection_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_amount__gte=0), name="debit_batch_total_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["building", "failed"]) | ~Q(xml_sha256=""),
                name="debit_batch_ready_has_file",
            ),
        ]

    def __str__(self):
        return f"{self.regie} — {self.collection_on:%d/%m/%Y}"


class DebitQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(mandate__in=Mandate.objects.visible_to(user).values("pk"))

    def for_staff(self, user):
        if user.is_superuser:
            return self
        return self.filter(mandate__in=Mandate.objects.for_staff(user).values("pk"))

    def running(self):
        return self.filter(status__in=Debit.RUNNING)


class Debit(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("to be debited")
        SENT = "sent", _("sent to the bank")
        SETTLED = "settled", _("debited")
        REJECTED = "rejected", _("rejected")
        WITHDRAWN = "withdrawn", _("withdrawn")

    RUNNING = (Status.SCHEDULED, Status.SENT)

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    batch = models.ForeignKey(
        DebitBatch, on_delete=models.PROTECT, related_name="debits", verbose_name=_("batch")
    )
    invoice = models.ForeignKey(
        "billing.Invoice",
        on_delete=models.PROTECT,
        related_name="debits",
        verbose_name=_("invoice"),
    )
    mandate = models.ForeignKey(
        Mandate, on_delete=models.PROTECT, related_name="debits", verbose_name=_("mandate")
    )
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    sequence = models.CharField(_("sequence type"), max_length=4, choices=SequenceType.choices)
    collection_on = models.DateField(_("collection date"))
    end_to_end_id = models.CharField(_("end-to-end id"), max_length=35, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED
    )
    reject_code = models.CharField(_("reject reason code"), max_length=4, blank=True)
    rejected_on = models.DateField(_("rejected on"), null=True, blank=True)
    payment = models.ForeignKey(
        "payments.Payment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("payment recorded"),
    )
    # The receipt of a settled debit whose payment was cancelled by a later return.
    cancelled_receipt_number = models.CharField(max_length=40, blank=True)
    prenotified_at = models.DateTimeField(_("pre-notified at"), null=True, blank=True)
    # Settlement found the invoice no longer owes the debit's amount (paid another way
    # meanwhile): nothing was recorded, staff decide (refund, reject…).
    held_for_review = models.BooleanField(_("held for staff review"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = DebitQuerySet.as_manager()

    class Meta:
        verbose_name = _("debit")
        verbose_name_plural = _("debits")
        ordering = ["-collection_on", "-pk"]
        indexes = [models.Index(fields=["mandate", "status"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="debit_amount_positive"),
            models.UniqueConstraint(
                fields=["invoice"],
                condition=Q(status__in=["scheduled", "sent"]),
                name="debit_one_running_per_invoice",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected")
                | (~Q(reject_code="") & Q(rejected_on__isnull=False)),
                name="debit_rejected_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status="settled") | Q(payment__isnull=False),
                name="debit_settled_has_payment",
            ),
            models.CheckConstraint(
                condition=Q(sequence__in=["FRST", "RCUR", "OOFF", "FNAL"]),
                name="debit_sequence_known",
            ),
        ]

    def __str__(self):
        return self.end_to_end_id

    @property
    def is_running(self) -> bool:
        return self.status in self.RUNNING

    @property
    def reason_label(self) -> str:
        """The reject's reason in plain words (French for families)."""
        from .bank_returns import reason_label

        return str(reason_label(self.reject_code)) if self.reject_code else ""
