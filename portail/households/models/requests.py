"""Requests (« Dernières demandes »): what families used to e-mail to the nursery, as forms
whose progress they follow. Staff take a request, then accept it (which applies the change to
the household's data, see services/requests.py) or refuse it with a comment."""

import json
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portail.lib.encryption import EncryptedTextField


class RequestKind(models.TextChoices):
    ADDRESS = "address", _("Change of postal address")
    CONTACT_DETAILS = "contact_details", _("Change of phones or e-mail")
    CONTACT_ADD = "contact_add", _("New person in the entourage")
    CONTACT_CHANGE = "contact_change", _("Change to a person of the entourage")
    CONTACT_REMOVE = "contact_remove", _("Removal of a person from the entourage")
    ABSENCE = "absence", _("Absence")
    HEALTH = "health", _("Health information")
    DOCUMENT = "document", _("Document")
    MESSAGE = "message", _("Message to the nursery")
    INVOICE = "invoice", _("Question about an invoice")


class RequestStatus(models.TextChoices):
    # « envoyée, en cours, acceptée, refusée »: feminine in French (une demande).
    SENT = "sent", _("Sent")
    IN_PROGRESS = "in_progress", _("In progress")
    ACCEPTED = "accepted", _("Accepted")
    REFUSED = "refused", _("Refused")


OPEN_STATUSES = [RequestStatus.SENT, RequestStatus.IN_PROGRESS]
CLOSED_STATUSES = [RequestStatus.ACCEPTED, RequestStatus.REFUSED]


def attachment_path(instance, filename: str) -> str:
    """A random name: the family's file name is kept apart (``attachment_name``), sanitised,
    and never used on disk."""
    extension = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
    return f"requests/{uuid.uuid4().hex}.{extension}"


class AbsenceReason(models.TextChoices):
    ILLNESS = "illness", _("Illness")
    FAMILY = "family", _("Family reason")
    HOLIDAYS = "holidays", _("Holidays")
    OTHER = "other", _("Other reason")


# The payload's keys as families and staff read them, in the order shown.
PAYLOAD_LABELS = {
    "address_line1": _("Address"),
    "address_line2": _("Address (continued)"),
    "postal_code": _("Postal code"),
    "city": _("City"),
    "first_name": _("First name"),
    "last_name": _("Last name"),
    "relationship": _("Relationship"),
    "mobile_phone": _("Mobile phone"),
    "home_phone": _("Home phone"),
    "work_phone": _("Work phone"),
    "other_phone": _("Other phone"),
    "email": _("E-mail"),
    "can_pick_up": _("May pick the child up"),
    "is_emergency_contact": _("To be called in an emergency"),
    "starts_on": _("First day"),
    "ends_on": _("Last day"),
    "reason": _("Reason"),
    "allergies": _("Allergies and diet"),
    "doctor": _("Family doctor"),
    "pai": _("PAI (projet d'accueil individualisé)"),
    "title": _("Document"),
    "subject": _("Subject"),
    "lines": _("Lines concerned"),
    "message": _("Message"),
    "comment": _("Comment"),
}
HEALTH_KEYS = {"allergies", "doctor", "pai"}


def disputed_line_text(line: dict) -> str:
    """« Accueil régulier (Léa) — 12,50 € »: one disputed line as families and staff read it."""
    from decimal import Decimal

    from portail.lib.money import format_euros

    label = f"{line['label']} ({line['child_name']})" if line.get("child_name") else line["label"]
    return f"{label} — {format_euros(Decimal(line['amount']))}"


class RequestQuerySet(models.QuerySet):
    def for_user(self, user):
        """The requests of the households where this person is a guardian; a question about
        an invoice only when the person may see that invoice (``Invoice.objects.visible_to``:
        its payer, or every guardian when the household shares its invoices), so that a
        household that does not share its invoices does not share their disputes either."""
        return self.filter(household__guardians__user=user).filter(
            models.Q(invoice=None)
            | models.Q(invoice__payer__user=user)
            | models.Q(invoice__household__share_invoices_with_all_guardians=True)
        )

    def for_household(self, household):
        return self.filter(household=household)

    def for_staff(self, user):
        """Administrators see every request; nursery staff those addressed to their
        nurseries."""
        if user.is_superuser:
            return self
        if not user.is_staff:
            return self.none()
        return self.filter(nursery__staff=user)

    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def latest_first(self):
        return self.order_by("-submitted_at", "-pk")

    def with_people(self):
        return self.select_related(
            "household", "nursery", "child", "contact", "submitted_by", "invoice"
        )


class Request(models.Model):
    """One request of a household to its nursery. ``payload`` holds what the family filled in,
    as validated by the kind's form (portail/portal/forms/requests.py); it is encrypted at rest
    as a whole because a message, an absence reason or a health update may reveal health
    information."""

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    household = models.ForeignKey(
        "households.Household",
        on_delete=models.CASCADE,
        related_name="requests",
        verbose_name=_("household"),
    )
    nursery = models.ForeignKey(
        "nurseries.Nursery",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="requests",
        verbose_name=_("nursery"),
        help_text=_("The nursery whose staff handle the request."),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=RequestKind.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=RequestStatus.choices, default=RequestStatus.SENT
    )
    child = models.ForeignKey(
        "households.Child",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="requests",
        verbose_name=_("child"),
    )
    contact = models.ForeignKey(
        "households.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="requests",
        verbose_name=_("person of the entourage"),
    )
    guardian = models.ForeignKey(
        "households.Guardian",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="requests",
        verbose_name=_("guardian"),
    )
    # PROTECT: an invoice a family disputed is evidence of that dispute; issued invoices are
    # never deleted anyway (only drafts are, and a draft cannot be disputed).
    invoice = models.ForeignKey(
        "billing.Invoice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="requests",
        verbose_name=_("invoice"),
    )
    payload_text = EncryptedTextField(_("details"), blank=True)
    attachment = models.FileField(
        _("attached file"), upload_to=attachment_path, blank=True, max_length=200
    )
    attachment_name = models.CharField(_("file name"), max_length=120, blank=True)
    attachment_type = models.CharField(_("file type"), max_length=40, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("sent by"),
    )
    submitted_at = models.DateTimeField(_("sent at"))
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("taken by"),
    )
    taken_at = models.DateTimeField(_("taken at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    staff_comment = models.TextField(_("staff comment"), blank=True)

    objects = RequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("request")
        verbose_name_plural = _("requests")
        ordering = ["-submitted_at", "-pk"]
        indexes = [
            models.Index(fields=["household", "submitted_at"]),
            models.Index(fields=["nursery", "status", "submitted_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status__in=["accepted", "refused"])
                | models.Q(decided_at__isnull=False),
                name="request_decision_is_dated",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="refused") | ~models.Q(staff_comment=""),
                name="request_refusal_has_comment",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="in_progress") | models.Q(taken_at__isnull=False),
                name="request_in_progress_is_taken",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="invoice") | models.Q(invoice__isnull=False),
                name="request_invoice_question_names_the_invoice",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} — {self.household}"

    @property
    def payload(self) -> dict:
        return json.loads(self.payload_text) if self.payload_text else {}

    @payload.setter
    def payload(self, value: dict) -> None:
        self.payload_text = json.dumps(value, ensure_ascii=False, sort_keys=True)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def can_be_taken(self) -> bool:
        return self.status == RequestStatus.SENT

    def detail_rows(self, *, with_current=False) -> list[dict]:
        """What the family asked, as (label, value) rows in a fixed order; with
        ``with_current`` the value it replaces too (staff compare before accepting)."""
        import datetime

        from django.utils import formats
        from django.utils.translation import gettext

        data = self.payload
        target = {
            RequestKind.ADDRESS: self.household,
            RequestKind.CONTACT_DETAILS: self.guardian,
            RequestKind.CONTACT_CHANGE: self.contact,
            RequestKind.CONTACT_REMOVE: self.contact,
        }.get(self.kind)
        if self.kind == RequestKind.HEALTH:
            target = self.child

        def shown(key, value):
            if isinstance(value, bool):
                return gettext("Yes") if value else gettext("No")
            if value is None or value == "":
                return ""
            if key in ("starts_on", "ends_on") and isinstance(value, str):
                return formats.date_format(datetime.date.fromisoformat(value))
            if key == "reason":
                return AbsenceReason(value).label
            if key == "lines":
                return "\n".join(disputed_line_text(line) for line in value)
            return str(value)

        rows = []
        for key, label in PAYLOAD_LABELS.items():
            if key not in data:
                continue
            row = {"key": key, "label": label, "value": shown(key, data[key])}
            if with_current and target is not None and hasattr(target, key):
                row["current"] = shown(key, getattr(target, key))
                row["is_changed"] = row["current"] != row["value"]
            rows.append(row)
        return rows

    @property
    def applies_a_change(self) -> bool:
        """Whether accepting it changes the household's data (else it is acknowledged)."""
        return self.kind not in (RequestKind.DOCUMENT, RequestKind.MESSAGE, RequestKind.INVOICE)

    @property
    def disputed_lines(self) -> list[dict]:
        """The invoice lines a question about an invoice names, as stored when it was sent
        (label, child's name, amount as a string): an issued invoice never changes."""
        return self.payload.get("lines", []) if self.kind == RequestKind.INVOICE else []


class Absence(models.Model):
    """An absence the family reported and staff recorded, for the crèche side (attendance,
    deductions) to come. Kept small on purpose."""

    child = models.ForeignKey(
        "households.Child",
        on_delete=models.CASCADE,
        related_name="absences",
        verbose_name=_("child"),
    )
    household = models.ForeignKey(
        "households.Household",
        on_delete=models.CASCADE,
        related_name="absences",
        verbose_name=_("household"),
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))
    reason = models.CharField(_("reason"), max_length=12, choices=AbsenceReason.choices)
    has_certificate = models.BooleanField(_("medical certificate given"), default=False)
    request = models.OneToOneField(
        Request,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="absence",
        verbose_name=_("request"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        ordering = ["-starts_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="absence_ends_after_it_starts",
            )
        ]

    def __str__(self):
        return f"{self.child} {self.starts_on:%d/%m/%Y}–{self.ends_on:%d/%m/%Y}"
