import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portail.lib.encryption import decrypt_bytes


class OutgoingEmailQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=OutgoingEmail.Status.PENDING)


class OutgoingEmail(models.Model):
    """The outbox: every e-mail is stored here before it is sent, so an SMTP failure is
    retried instead of losing the message, and staff can see what was sent to whom."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    kind = models.CharField(_("kind"), max_length=60)
    to = models.EmailField(_("recipient"))
    from_email = models.CharField(_("sender"), max_length=254)
    subject = models.CharField(_("subject"), max_length=255)
    body_text = models.TextField(_("text body"))
    body_html = models.TextField(_("HTML body"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    objects = OutgoingEmailQuerySet.as_manager()

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self):
        return f"{self.subject} → {self.to}"


class OutgoingEmailAttachment(models.Model):
    """A file sent with an outbox e-mail (an invoice PDF, a certificate).

    Stored in the database, beside its e-mail, rather than in the file storage: it is written
    in the same transaction as the e-mail (a rolled-back e-mail leaves no orphan file in S3),
    it is small (a PDF of a few dozen kilobytes), and it goes when the outbox row goes.

    ``content`` is encrypted (``portail.lib.encryption``): a signed mandate carries an IBAN, an
    invoice a family's name and address, and the outbox keeps them until the retention purge.
    ``data()`` gives the file's bytes."""

    email = models.ForeignKey(
        OutgoingEmail,
        on_delete=models.CASCADE,
        related_name="attachments",
        verbose_name=_("e-mail"),
    )
    filename = models.CharField(_("file name"), max_length=255)
    content = models.BinaryField(_("content"))
    mimetype = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["pk"]

    def __str__(self):
        return self.filename

    def data(self) -> bytes:
        """The file as sent: ``content`` decrypted."""
        return decrypt_bytes(bytes(self.content))


# --- In-app notifications and the families' e-mail preferences -------------------------------


class NotificationCategory(models.TextChoices):
    INVOICE = "invoice", _("New invoices")
    PAYMENT_PROBLEM = "payment_problem", _("Payment problems")
    NEWS = "news", _("News")
    DOCUMENT = "document", _("Documents")
    MENU = "menu", _("Meal menus")
    REQUEST = "request", _("My requests")
    DIRECT_DEBIT = "direct_debit", _("Direct debits")


# Money the family owes or a payment that failed: the family is always told by e-mail.
ALWAYS_EMAILED = frozenset({NotificationCategory.INVOICE, NotificationCategory.PAYMENT_PROBLEM})


class Delivery(models.TextChoices):
    IMMEDIATELY = "immediately", _("By e-mail, straight away")
    DAILY_DIGEST = "daily_digest", _("By e-mail, in one summary a day")
    NEVER = "never", _("No e-mail (on the portal only)")


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(recipient=user)

    def unread(self):
        return self.filter(read_at__isnull=True)

    def awaiting_digest(self):
        return self.filter(delivery=Delivery.DAILY_DIGEST, digested_at__isnull=True)

    def unread_counts(self) -> dict[str, int]:
        """Unread notifications per category, in one query (categories without any: 0)."""
        counts = dict.fromkeys(NotificationCategory.values, 0)
        rows = self.unread().values("category").annotate(count=models.Count("pk"))
        counts.update({row["category"]: row["count"] for row in rows.order_by()})
        return counts


class Notification(models.Model):
    """« Les nouvelles factures, actualités et éditions de documents sont notifiées »: one row
    per person told, shown in the notification centre until read. ``label`` is data (a news
    title, an invoice number); the sentence around it is rendered in the reader's language."""

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    household = models.ForeignKey(
        "households.Household",
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("household"),
    )
    category = models.CharField(_("category"), max_length=20, choices=NotificationCategory.choices)
    label = models.CharField(_("label"), max_length=255)
    url = models.CharField(_("link"), max_length=500)
    # How the e-mail went, decided from the preference when the notification was made.
    delivery = models.CharField(_("e-mail"), max_length=20, choices=Delivery.choices)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    digested_at = models.DateTimeField(_("in a daily summary at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_list_idx"),
            # The unread counts of the dashboard and the header read only unread rows.
            models.Index(
                fields=["recipient", "category"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
            models.Index(
                fields=["recipient", "created_at"],
                condition=models.Q(delivery="daily_digest", digested_at__isnull=True),
                name="notification_digest_idx",
            ),
        ]
        constraints = [
            # Only same-site links: opening a notification never leaves the portal.
            models.CheckConstraint(
                condition=models.Q(url__startswith="/") & ~models.Q(url__startswith="//"),
                name="notification_url_relative",
            ),
        ]

    def __str__(self):
        return f"{self.get_category_display()}: {self.label}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def sentence(self) -> str:
        """What happened, in the active language, with the label in it."""
        from .categories import sentence

        return sentence(self.category, self.label)


class NotificationPreference(models.Model):
    """How a guardian wants to be e-mailed for one category (no row: straight away)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        verbose_name=_("user"),
    )
    category = models.CharField(_("category"), max_length=20, choices=NotificationCategory.choices)
    delivery = models.CharField(_("e-mail"), max_length=20, choices=Delivery.choices)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "category"], name="preference_once_per_category"
            ),
            models.CheckConstraint(
                condition=~models.Q(category__in=sorted(ALWAYS_EMAILED))
                | models.Q(delivery=Delivery.IMMEDIATELY),
                name="preference_invoices_always_emailed",
            ),
        ]

    def __str__(self):
        return f"{self.user} — {self.category}: {self.delivery}"
