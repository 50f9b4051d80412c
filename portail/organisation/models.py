from django.db import models
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Organisation(models.Model):
    """The town running the portal. There is exactly one row (pk=1)."""

    town_name = models.CharField(_("town name"), max_length=120, default="Ma commune")
    logo = models.ImageField(_("logo"), upload_to="organisation/", blank=True)
    address = models.TextField(_("postal address"), blank=True)
    service_name = models.CharField(
        _("service name"), max_length=120, default="Service Petite Enfance"
    )
    service_email = models.EmailField(_("service e-mail"), blank=True)
    service_phone = models.CharField(_("service phone"), max_length=30, blank=True)
    noreply_email = models.EmailField(
        _("no-reply sender"),
        blank=True,
        help_text=_("Address the portal's e-mails are sent from. Empty: the server default."),
    )
    # Shown on the legal pages (« Mentions légales », « Données personnelles »,
    # « Accessibilité »).
    publication_director = models.CharField(
        _("publication director"),
        max_length=200,
        blank=True,
        help_text=_("Usually the mayor, e.g. « Mme Anne Martin, maire »."),
    )
    host_details = models.TextField(
        _("host"),
        blank=True,
        help_text=_("Name, address and phone number of the company hosting the portal."),
    )
    data_protection_contact = models.TextField(
        _("data protection officer"),
        blank=True,
        help_text=_("How to reach the data protection officer (DPO): e-mail or postal address."),
    )
    accessibility_rate = models.PositiveSmallIntegerField(
        _("accessibility compliance rate (%)"),
        null=True,
        blank=True,
        help_text=_("Share of RGAA criteria met, from the last audit. Empty: not audited yet."),
    )
    accessibility_audited_on = models.DateField(
        _("accessibility audit date"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisation")
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="organisation_single_row"),
            models.CheckConstraint(
                condition=models.Q(accessibility_rate__lte=100),
                name="organisation_accessibility_rate_percent",
            ),
        ]

    def __str__(self):
        return self.town_name

    @classmethod
    def current(cls) -> "Organisation":
        organisation, _created = cls.objects.get_or_create(pk=1)
        return organisation


class TermsVersionQuerySet(models.QuerySet):
    def published(self):
        """Versions in force: a version published for a future date is not yet."""
        return self.filter(published_at__lte=timezone.now())

    def current(self):
        return self.published().order_by("-version").first()


class TermsVersion(models.Model):
    """One version of the CGU (conditions générales d'utilisation). Published versions are
    never edited: a change is a new version, which every family accepts again."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(_("created at"), db_default=Now())
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    objects = TermsVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("terms of use version")
        verbose_name_plural = _("terms of use versions")
        ordering = ["-version"]

    def __str__(self):
        return _("Terms of use, version {version}").format(version=self.version)
