"""What staff publish and families read: news (ACTUALITÉS) and their events, menus (MENUS
RESTAURATION), official documents with their versions, practical pages (INFOS PRATIQUES).

Audience: an item is for every family (``for_all_families``) or for the families whose
children attend one of its nurseries. Visibility: news, menus and document versions have a
publication time (scheduled publication) and news an optional end. ``notified_at`` records
that families were told once (``services.announce_due_content``)."""

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portail.households.models import Child

from .rich_text import RichTextField


def children_nurseries(user):
    """The nurseries of the children this person is a guardian of, as a subquery."""
    return Child.objects.for_user(user).filter(nursery__isnull=False).values("nursery")


class AudienceQuerySet(models.QuerySet):
    """Items addressed to all families or to some nurseries (a ``nurseries`` many-to-many)."""

    def for_nurseries(self, nurseries):
        """Items a family of these nurseries may see (``nurseries``: a queryset of ids)."""
        through = self.model.nurseries.through
        targeted = through.objects.filter(
            **{f"{self.model._meta.model_name}_id": OuterRef("pk")}, nursery_id__in=nurseries
        )
        return self.filter(Q(for_all_families=True) | Exists(targeted))

    def for_family(self, user):
        return self.for_nurseries(children_nurseries(user))

    def for_staff(self, user):
        """What a member of staff may edit: everything for an administrator; for nursery
        staff, the items addressed only to nurseries they work in."""
        if user.is_superuser:
            return self
        through = self.model.nurseries.through
        field = f"{self.model._meta.model_name}_id"
        elsewhere = through.objects.filter(**{field: OuterRef("pk")}).exclude(nursery__staff=user)
        theirs = through.objects.filter(**{field: OuterRef("pk")}, nursery__staff=user)
        return self.filter(for_all_families=False).filter(Exists(theirs)).exclude(Exists(elsewhere))


class Audience(models.Model):
    """Who an item is for. Staff of a nursery may only address their own nurseries."""

    for_all_families = models.BooleanField(
        _("for all families"),
        default=False,
        help_text=_("Otherwise only the families of the nurseries chosen below see it."),
    )
    nurseries = models.ManyToManyField(
        "nurseries.Nursery", blank=True, verbose_name=_("nurseries"), related_name="+"
    )

    class Meta:
        abstract = True


class NewsQuerySet(AudienceQuerySet):
    def published(self, now=None):
        now = now or timezone.now()
        return self.filter(publish_at__lte=now).filter(
            Q(unpublish_at__isnull=True) | Q(unpublish_at__gt=now)
        )

    def visible_to(self, user, now=None):
        """The news this guardian may read now, pinned ones first, then the newest."""
        return self.for_family(user).published(now).order_by("-is_pinned", "-publish_at", "-pk")

    def upcoming_events(self, now=None):
        """News that announce an event still to come, soonest first."""
        now = now or timezone.now()
        return self.filter(event_starts_at__gte=now).order_by("event_starts_at", "pk")


class News(Audience):
    """An actualité. When ``event_starts_at`` is set it is also an event of the agenda."""

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=160)
    body = RichTextField(
        _("text"),
        help_text=_(
            "Paragraphs, bold, italics, lists, headings (h2, h3) and links. Anything else "
            "(scripts, styles, pictures in the text…) is removed."
        ),
    )
    image = models.FileField(_("picture"), upload_to="content/news/", blank=True)
    image_alt = models.CharField(
        _("picture description"),
        max_length=200,
        blank=True,
        help_text=_(
            "What the picture shows, for families who cannot see it. Required with a picture."
        ),
    )
    attachment = models.FileField(_("attached PDF"), upload_to="content/news/", blank=True)
    attachment_label = models.CharField(_("attachment title"), max_length=120, blank=True)
    is_pinned = models.BooleanField(
        _("pinned"), default=False, help_text=_("Pinned news are shown first.")
    )
    event_starts_at = models.DateTimeField(
        _("event date"),
        null=True,
        blank=True,
        help_text=_("Fill in for an event: it then appears in the agenda until it has passed."),
    )
    event_location = models.CharField(_("event place"), max_length=200, blank=True)
    publish_at = models.DateTimeField(
        _("published from"),
        default=timezone.now,
        help_text=_("Families see the news from this moment (a future time schedules it)."),
    )
    unpublish_at = models.DateTimeField(
        _("published until"),
        null=True,
        blank=True,
        help_text=_("Empty: the news stays published."),
    )
    notified_at = models.DateTimeField(
        _("families notified at"), null=True, blank=True, editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = NewsQuerySet.as_manager()

    class Meta:
        verbose_name = _("news item")
        verbose_name_plural = _("news")
        ordering = ["-is_pinned", "-publish_at", "-pk"]
        indexes = [models.Index(fields=["publish_at"]), models.Index(fields=["event_starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(unpublish_at__isnull=True) | Q(unpublish_at__gt=models.F("publish_at")),
                name="news_ends_after_it_starts",
            ),
            models.CheckConstraint(
                condition=Q(image="") | ~Q(image_alt=""), name="news_image_has_alt_text"
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("portal:news-detail", kwargs={"reference": self.reference})

    def is_published(self, now=None) -> bool:
        now = now or timezone.now()
        return self.publish_at <= now and (self.unpublish_at is None or self.unpublish_at > now)


class Allergen(models.TextChoices):
    """The 14 allergens whose presence must be declared (regulation (EU) 1169/2011, annex II)."""

    GLUTEN = "gluten", _("Cereals containing gluten")
    CRUSTACEANS = "crustaceans", _("Crustaceans")
    EGGS = "eggs", _("Eggs")
    FISH = "fish", _("Fish")
    PEANUTS = "peanuts", _("Peanuts")
    SOYBEANS = "soybeans", _("Soybeans")
    MILK = "milk", _("Milk")
    NUTS = "nuts", _("Nuts")
    CELERY = "celery", _("Celery")
    MUSTARD = "mustard", _("Mustard")
    SESAME = "sesame", _("Sesame seeds")
    SULPHITES = "sulphites", _("Sulphur dioxide and sulphites")
    LUPIN = "lupin", _("Lupin")
    MOLLUSCS = "molluscs", _("Molluscs")


class MenuQuerySet(models.QuerySet):
    def published(self, now=None):
        return self.filter(publish_at__lte=now or timezone.now())

    def visible_to(self, user, now=None):
        """The published menus of the guardian's children's nurseries."""
        return self.filter(nursery__in=children_nurseries(user)).published(now)

    def for_staff(self, user):
        if user.is_superuser:
            return self
        return self.filter(nursery__staff=user)


class Menu(models.Model):
    """The menus of one nursery for one month: a table of days and dishes, a PDF, or both."""

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    nursery = models.ForeignKey(
        "nurseries.Nursery", on_delete=models.CASCADE, related_name="+", verbose_name=_("nursery")
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    pdf = models.FileField(_("PDF of the menus"), upload_to="content/menus/", blank=True)
    note = models.CharField(
        _("note for families"),
        max_length=300,
        blank=True,
        help_text=_("E.g. « Menus élaborés par notre diététicienne ; produits locaux le jeudi. »"),
    )
    publish_at = models.DateTimeField(_("published from"), default=timezone.now)
    notified_at = models.DateTimeField(
        _("families notified at"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = MenuQuerySet.as_manager()

    class Meta:
        verbose_name = _("monthly menu")
        verbose_name_plural = _("menus")
        ordering = ["-month", "nursery__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["nursery", "month"], name="one_menu_per_nursery_and_month"
            ),
        ]

    def __str__(self):
        return f"{self.nursery} — {self.month:%m/%Y}"

    @property
    def title(self) -> str:
        return str(self)


class Course(models.TextChoices):
    STARTER = "starter", _("Starter")
    MAIN = "main", _("Main course")
    DESSERT = "dessert", _("Dessert")
    SNACK = "snack", _("Afternoon snack")


class MenuDish(models.Model):
    """One dish of one day of a monthly menu, with the allergens it contains."""

    menu = models.ForeignKey(
        Menu, on_delete=models.CASCADE, related_name="dishes", verbose_name=_("menu")
    )
    served_on = models.DateField(_("day"))
    course = models.CharField(_("course"), max_length=10, choices=Course.choices)
    name = models.CharField(_("dish"), max_length=160)
    allergens = models.JSONField(_("allergens"), default=list, blank=True)

    class Meta:
        verbose_name = _("dish")
        verbose_name_plural = _("dishes")
        ordering = ["served_on", "course"]
        constraints = [
            models.UniqueConstraint(
                fields=["menu", "served_on", "course"], name="one_dish_per_course_and_day"
            )
        ]

    def __str__(self):
        return self.name

    @property
    def allergen_labels(self) -> list[str]:
        labels = dict(Allergen.choices)
        return [str(labels[code]) for code in self.allergens if code in labels]


class DocumentCategory(models.TextChoices):
    OPERATING_RULES = "operating_rules", _("Operating rules")
    ESTABLISHMENT_PROJECT = "establishment_project", _("Establishment project")
    TARIFFS = "tariffs", _("Tariffs")
    OTHER = "other", _("Other document")


class OfficialDocumentQuerySet(AudienceQuerySet):
    def visible_to(self, user, now=None):
        """The documents this guardian may see that have a published version, each with
        ``current_version`` (its latest published version) and a ``download_url``; two
        queries whatever their number."""
        now = now or timezone.now()
        published = OfficialDocumentVersion.objects.filter(published_at__lte=now)
        documents = list(
            self.for_family(user)
            .filter(Exists(published.filter(document=OuterRef("pk"))))
            .prefetch_related(
                models.Prefetch(
                    "versions",
                    queryset=published.order_by("-published_at", "-pk"),
                    to_attr="published_versions",
                )
            )
            .order_by("category", "title")
        )
        for document in documents:
            document.current_version = document.published_versions[0]
            document.download_url = document.current_version.get_absolute_url()
        return documents


class OfficialDocument(Audience):
    """A document in force (règlement de fonctionnement, projet d'établissement, tarifs…).
    Its versions are kept: families get the latest published one, staff see the history."""

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=160)
    category = models.CharField(_("category"), max_length=30, choices=DocumentCategory.choices)
    description = models.CharField(_("description"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = OfficialDocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("official document")
        verbose_name_plural = _("official documents")
        ordering = ["category", "title"]

    def __str__(self):
        return self.title


class OfficialDocumentVersion(models.Model):
    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    document = models.ForeignKey(
        OfficialDocument,
        on_delete=models.CASCADE,
        related_name="versions",
        verbose_name=_("document"),
    )
    file = models.FileField(_("PDF file"), upload_to="content/documents/")
    version_label = models.CharField(
        _("version"), max_length=60, help_text=_("E.g. « Septembre 2026 » or « v3 ».")
    )
    published_at = models.DateTimeField(
        _("published from"),
        default=timezone.now,
        help_text=_("This version replaces the previous one for families from this moment."),
    )
    notified_at = models.DateTimeField(
        _("families notified at"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("version")
        verbose_name_plural = _("versions")
        ordering = ["-published_at", "-pk"]

    def __str__(self):
        return f"{self.document} — {self.version_label}"

    def get_absolute_url(self):
        return reverse("portal:official-document-file", kwargs={"reference": self.reference})


class PracticalPageQuerySet(AudienceQuerySet):
    def visible_to(self, user):
        return self.for_family(user).filter(is_published=True).order_by("position", "title")


class PracticalPage(Audience):
    """A page of INFOS PRATIQUES (opening hours, contacts, closures…) that staff edit."""

    title = models.CharField(_("title"), max_length=160)
    slug = models.SlugField(
        _("address"), max_length=80, unique=True, help_text=_("Used in the page's link.")
    )
    body = RichTextField(
        _("text"),
        help_text=_("Paragraphs, bold, italics, lists, headings (h2, h3) and links."),
    )
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    is_published = models.BooleanField(_("published"), default=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = PracticalPageQuerySet.as_manager()

    class Meta:
        verbose_name = _("practical page")
        verbose_name_plural = _("practical pages")
        ordering = ["position", "title"]

    def __str__(self):
        return self.title


class HomeVisit(models.Model):
    """When a guardian last came to MON ACCUEIL, to tell them what is new since."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    visited_at = models.DateTimeField(_("last seen at"))
    new_since = models.DateTimeField(
        _("news counted since"),
        help_text=_("The end of the previous visit: what was published after it is new."),
    )

    class Meta:
        verbose_name = _("home visit")
        verbose_name_plural = _("home visits")

    def __str__(self):
        return f"{self.user} — {self.visited_at:%d/%m/%Y %H:%M}"


def first_of_month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)
