import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portail.lib.encryption import EncryptedTextField
from portail.nurseries.models import Nursery


class Civility(models.TextChoices):
    MADAME = "mme", _("Mrs")
    MONSIEUR = "m", _("Mr")


class HouseholdQuerySet(models.QuerySet):
    def for_user(self, user):
        """The households where this person is a guardian."""
        return self.filter(guardians__user=user).distinct()

    def with_members(self):
        """Guardians and children, with each child's nursery, in a fixed number of queries."""
        return self.prefetch_related(
            "guardians",
            models.Prefetch("children", queryset=Child.objects.select_related("nursery")),
        )

    def with_contacts(self):
        return self.prefetch_related("contacts")

    def named(self, word, *, or_code=False):
        """The back office's search: households whose name starts with ``word`` (or, with
        ``or_code``, whose family code is ``word``), answered by the name and code indexes."""
        condition = models.Q(name__istartswith=word)
        if or_code:
            condition |= models.Q(external_code__iexact=word)
        return self.filter(condition)

    def for_staff(self, user):
        """What a member of staff may see: everything for an administrator, else the households
        attached to one of their nurseries or with a child in one of them."""
        if user.is_superuser:
            return self
        nurseries = user.nurseries.all()
        return self.filter(
            models.Q(nursery__in=nurseries) | models.Q(children__nursery__in=nurseries)
        ).distinct()


class Household(models.Model):
    """A foyer: the guardians and children who live together, and their address."""

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(
        _("name"), max_length=150, help_text=_("Usually the family name, e.g. « Famille Durand ».")
    )
    address_line1 = models.CharField(_("address"), max_length=200, blank=True)
    address_line2 = models.CharField(_("address (continued)"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    nursery = models.ForeignKey(
        "nurseries.Nursery",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="households",
        verbose_name=_("reference nursery"),
        help_text=_("The nursery whose staff manage this household."),
    )
    external_code = models.CharField(
        _("family code"),
        max_length=40,
        blank=True,
        help_text=_("The household's code in the billing software, used to import invoices."),
    )
    paperless_invoices = models.BooleanField(
        _("paperless invoices"),
        default=False,
        help_text=_("« Adhésion à la facture en ligne »: no paper invoice is printed."),
    )
    share_invoices_with_all_guardians = models.BooleanField(
        _("invoices shared with every guardian"),
        default=True,
        help_text=_("Otherwise only the payer sees and is notified of an invoice."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["name"]
        # The back office's list order (with the primary key its change list adds).
        indexes = [models.Index(fields=["name", "-id"], name="household_list_order")]
        constraints = [
            models.UniqueConstraint(
                fields=["external_code"],
                condition=~models.Q(external_code=""),
                name="household_external_code_unique",
            )
        ]

    def __str__(self):
        return self.name

    @property
    def address_lines(self) -> list[str]:
        town = f"{self.postal_code} {self.city}".strip()
        return [line for line in (self.address_line1, self.address_line2, town) if line]


class PersonQuerySet(models.QuerySet):
    def for_household(self, household):
        return self.filter(household=household)

    def for_user(self, user):
        return self.filter(household__guardians__user=user).distinct()


class GuardianQuerySet(PersonQuerySet):
    def named(self, word, *, or_email=False):
        """The back office's search: guardians whose first or last name starts with ``word``
        (or, with ``or_email``, whose e-mail is ``word``), answered by the name indexes."""
        condition = models.Q(first_name__istartswith=word) | models.Q(last_name__istartswith=word)
        if or_email:
            condition |= models.Q(email__iexact=word)
        return self.filter(condition)


class Guardian(models.Model):
    """A représentant légal. Each adult guardian has their own login (``user``)."""

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="guardians", verbose_name=_("household")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="guardianships",
        verbose_name=_("portal account"),
    )
    civility = models.CharField(_("civility"), max_length=4, choices=Civility.choices)
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    address_line1 = models.CharField(_("address"), max_length=200, blank=True)
    address_line2 = models.CharField(_("address (continued)"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    mobile_phone = models.CharField(_("mobile phone"), max_length=30, blank=True)
    home_phone = models.CharField(_("home phone"), max_length=30, blank=True)
    work_phone = models.CharField(_("work phone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)

    objects = GuardianQuerySet.as_manager()

    class Meta:
        verbose_name = _("guardian")
        verbose_name_plural = _("guardians")
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "user"], name="guardian_user_once_per_household"
            )
        ]

    def __str__(self):
        return f"{self.first_name} {self.last_name}"

    @property
    def full_name(self) -> str:
        return f"{self.get_civility_display()} {self.first_name} {self.last_name}"

    @property
    def address_lines(self) -> list[str]:
        """The guardian's own address, or the household's when they have none of their own."""
        if not self.address_line1:
            return self.household.address_lines
        town = f"{self.postal_code} {self.city}".strip()
        return [line for line in (self.address_line1, self.address_line2, town) if line]


class ChildQuerySet(models.QuerySet):
    def for_household(self, household):
        return self.filter(households=household)

    def for_user(self, user):
        return self.filter(households__guardians__user=user).distinct()

    def nurseries(self):
        """The nurseries these children attend, each once, by name."""
        return Nursery.objects.filter(children__in=self).distinct()


class Child(models.Model):
    """A child. A child may belong to two households (separated parents), hence the
    ``HouseholdChild`` relation rather than a single foreign key."""

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    birth_date = models.DateField(_("birth date"))
    nursery = models.ForeignKey(
        "nurseries.Nursery",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("nursery"),
    )
    households = models.ManyToManyField(
        Household, through="HouseholdChild", related_name="children", verbose_name=_("households")
    )
    # Health information (ASVS 6.1.2): encrypted at rest, never filtered on, never logged; the
    # household's history only records that it changed.
    allergies = EncryptedTextField(
        _("allergies and diet"), blank=True, help_text=_("Food or other allergies, special diet.")
    )
    doctor = EncryptedTextField(
        _("family doctor"), blank=True, help_text=_("Name and phone of the child's doctor.")
    )
    pai = EncryptedTextField(
        _("PAI"),
        blank=True,
        help_text=_(
            "Projet d'accueil individualisé: what it provides for (treatment, protocol), "
            "empty when the child has none."
        ),
    )
    health_updated_at = models.DateTimeField(
        _("health information updated at"), null=True, blank=True
    )

    objects = ChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("child")
        verbose_name_plural = _("children")
        ordering = ["birth_date", "first_name"]

    def __str__(self):
        return f"{self.first_name} {self.last_name}"


class HouseholdChild(models.Model):
    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("household")
    )
    child = models.ForeignKey(
        Child, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("child")
    )

    class Meta:
        verbose_name = _("child of the household")
        verbose_name_plural = _("children of the household")
        constraints = [
            models.UniqueConstraint(fields=["household", "child"], name="child_once_per_household")
        ]

    def __str__(self):
        return f"{self.child} — {self.household}"


class Contact(models.Model):
    """A person of the child's entourage: may pick the child up, may be called in an emergency."""

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("household")
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    relationship = models.CharField(
        _("relationship"), max_length=100, help_text=_("e.g. grandmother, neighbour, nanny")
    )
    mobile_phone = models.CharField(_("mobile phone"), max_length=30, blank=True)
    other_phone = models.CharField(_("other phone"), max_length=30, blank=True)
    can_pick_up = models.BooleanField(_("may pick the child up"), default=False)
    is_emergency_contact = models.BooleanField(_("emergency contact"), default=False)

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["last_name", "first_name"]

    def __str__(self):
        return f"{self.first_name} {self.last_name}"
