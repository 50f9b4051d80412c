from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    LOGIN = "login", _("login")
    LOGIN_FAILED = "login_failed", _("failed login")
    LOGOUT = "logout", _("logout")
    VIEW = "view", _("read")
    ADD = "add", _("creation")
    CHANGE = "change", _("change")
    DELETE = "delete", _("deletion")
    EXPORT = "export", _("export")
    DOWNLOAD = "download", _("download")
    PERSONAL_DATA_EXPORT = "personal_data_export", _("personal data download")
    CLOSURE_REQUEST = "closure_request", _("account closure request")
    PURGE = "purge", _("retention purge")


class AuditEventQuerySet(models.QuerySet):
    def for_household(self, household):
        return self.filter(household_id=household.pk)

    def changes(self):
        """Creations, changes and deletions: what a family sees of staff's work on its data."""
        return self.filter(action__in=[AuditAction.ADD, AuditAction.CHANGE, AuditAction.DELETE])

    def older_than(self, moment):
        return self.filter(at__lt=moment)


class AuditEvent(models.Model):
    """Who did what, when, from where, on which record — never the values themselves
    (ASVS 8.3.5, 7.1.x): ``details`` holds field names and counts only.

    Rows never change (a database trigger refuses UPDATE); the purge deletes those past
    ``RETENTION_LOG_DAYS``. ``actor`` and ``household`` are plain references without a
    database constraint, so deleting an account or anonymising a household never rewrites
    the trail; ``actor_label`` keeps the identifier as it was."""

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    actor_label = models.CharField(_("identifier"), max_length=150, blank=True)
    is_staff_actor = models.BooleanField(_("by staff"), default=False)
    action = models.CharField(_("action"), max_length=30, choices=AuditAction.choices)
    target_type = models.CharField(_("record type"), max_length=100, blank=True)
    target_id = models.CharField(_("record reference"), max_length=64, blank=True)
    household = models.ForeignKey(
        "households.Household",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("household"),
    )
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit trail")
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["household", "-at"]),
            models.Index(fields=["actor", "-at"]),
            models.Index(fields=["target_type", "target_id"]),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.get_action_display()}"
