import hashlib
import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PortalUserManager(UserManager):
    def get_by_natural_key(self, username):
        # Identifiers are case-insensitive: « Durand.Simon » is « durand.simon ».
        return self.get(username__iexact=username)


class User(AbstractUser):
    """A person who logs in: a family guardian or a member of staff.

    Families log in on the portal with their identifier (the part of their e-mail before
    « @ ») or their e-mail; staff log in on /gestion/ with a second factor."""

    email = models.EmailField(_("e-mail address"), blank=True)
    must_change_password = models.BooleanField(
        _("must change password"),
        default=False,
        help_text=_("Set with a temporary password: nothing else is reachable until it changes."),
    )
    temporary_password_expires_at = models.DateTimeField(
        _("temporary password expires at"), null=True, blank=True
    )
    password_changed_at = models.DateTimeField(_("password changed at"), null=True, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="fr"
    )

    objects = PortalUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
            models.UniqueConstraint(
                Lower("email"), condition=~models.Q(email=""), name="user_email_ci_unique"
            ),
        ]

    @property
    def has_expired_temporary_password(self) -> bool:
        return (
            self.must_change_password
            and self.temporary_password_expires_at is not None
            and self.temporary_password_expires_at <= timezone.now()
        )


class AccountLinkQuerySet(models.QuerySet):
    def usable(self):
        # The application's clock, as ``AccountLink.is_usable`` uses: one clock decides.
        return self.filter(
            used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )


class AccountLink(models.Model):
    """A single-use, expiring link e-mailed to a person: account activation or password reset.

    Only the SHA-256 of the token is stored, so a database leak gives no usable link."""

    class Purpose(models.TextChoices):
        ACTIVATION = "activation", _("account activation")
        PASSWORD_RESET = "password_reset", _("password reset")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="account_links")
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = AccountLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("account link")
        verbose_name_plural = _("account links")
        indexes = [models.Index(fields=["user", "purpose"])]

    def __str__(self):
        return f"{self.get_purpose_display()} — {self.user}"

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @property
    def is_usable(self) -> bool:
        return self.used_at is None and self.revoked_at is None and self.expires_at > timezone.now()


class TermsAcceptance(models.Model):
    """Proof that a person accepted one version of the CGU: who, which version, when, from where."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="terms_acceptances")
    terms = models.ForeignKey(
        "organisation.TermsVersion", on_delete=models.PROTECT, related_name="acceptances"
    )
    accepted_at = models.DateTimeField(_("accepted at"), default=timezone.now)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("terms acceptance")
        verbose_name_plural = _("terms acceptances")
        constraints = [
            models.UniqueConstraint(fields=["user", "terms"], name="terms_accepted_once")
        ]

    def __str__(self):
        return f"{self.user} — {self.terms}"


class AccountClosureRequest(models.Model):
    """A family's request to close its account (RGPD Art. 17), handled by staff: the account
    is then disabled, while invoices and payments stay for the public accounts' retention
    period and the household is anonymised by the retention purge."""

    class Status(models.TextChoices):
        PENDING = "pending", _("to handle")
        DONE = "done", _("account closed")
        CANCELLED = "cancelled", _("request cancelled")

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        related_name="closure_requests",
        verbose_name=_("account"),
    )
    household = models.ForeignKey(
        "households.Household",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="closure_requests",
        verbose_name=_("household"),
    )
    reason = models.TextField(_("message from the family"), blank=True, max_length=2000)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    handled_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handled by"),
    )
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("account closure request")
        verbose_name_plural = _("account closure requests")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(status="pending"),
                name="one_pending_closure_request_per_account",
            )
        ]

    def __str__(self):
        return _("Closure of the account {identifier}").format(
            identifier=self.user.username if self.user_id else "—"
        )
