"""Writes of the content app: announcing what became visible, and the guardian's visits.

Publishing itself is a row with a publication time: nothing runs at that time. Telling the
families is ``announce_due_content``, run after each save in the back office and every few
minutes by ``manage.py publish_due_content`` (for what was scheduled). It is idempotent:
``notified_at`` is set in the same transaction as the call to the notification centre, by a
conditional update, so a second run — or two runs at once — never notifies twice."""

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from portail.households.models import Household

from .models import HomeVisit, Menu, News, OfficialDocumentVersion

logger = logging.getLogger(__name__)


@dataclass
class Announced:
    news: int = 0
    documents: int = 0
    menus: int = 0

    @property
    def total(self) -> int:
        return self.news + self.documents + self.menus


def audience_households(*, for_all_families: bool, nursery_ids):
    """The households that see an item: with a child in one of the nurseries, or every
    household with a portal account when the item is for all families."""
    if for_all_families:
        households = Household.objects.filter(guardians__user__isnull=False)
    else:
        households = Household.objects.filter(children__nursery_id__in=list(nursery_ids))
    return Household.objects.filter(pk__in=households.values("pk"))


def _notify(*, households, category: str, label: str, url: str) -> None:
    # Imported here: the notification centre depends on content's URLs, not the reverse.
    from portail.notifications.services import notify_households

    notify_households(households=households, category=category, label=label, url=url)


def _claim(model, pk, now) -> bool:
    """Mark the row notified unless someone already did: True when this run must notify."""
    return model.objects.filter(pk=pk, notified_at__isnull=True).update(notified_at=now) == 1


def announce_due_content(*, now: datetime.datetime | None = None) -> Announced:
    """Tell the families about every news item, document version and menu that has become
    visible and was not announced yet. An item whose publication already ended is marked
    without notifying anyone (nobody would find it)."""
    now = now or timezone.now()
    announced = Announced()

    due_news = News.objects.filter(notified_at__isnull=True, publish_at__lte=now).prefetch_related(
        "nurseries"
    )
    for item in due_news:
        with transaction.atomic():
            if not _claim(News, item.pk, now) or not item.is_published(now):
                continue
            _notify(
                households=audience_households(
                    for_all_families=item.for_all_families,
                    nursery_ids=[nursery.pk for nursery in item.nurseries.all()],
                ),
                category="news",
                label=item.title,
                url=item.get_absolute_url(),
            )
            announced.news += 1

    due_versions = (
        OfficialDocumentVersion.objects.filter(notified_at__isnull=True, published_at__lte=now)
        .select_related("document")
        .prefetch_related("document__nurseries")
    )
    for version in due_versions:
        with transaction.atomic():
            if not _claim(OfficialDocumentVersion, version.pk, now):
                continue
            document = version.document
            _notify(
                households=audience_households(
                    for_all_families=document.for_all_families,
                    nursery_ids=[nursery.pk for nursery in document.nurseries.all()],
                ),
                category="document",
                label=document.title,
                url=reverse("portal:documents"),
            )
            announced.documents += 1

    due_menus = Menu.objects.filter(notified_at__isnull=True, publish_at__lte=now).select_related(
        "nursery"
    )
    for menu in due_menus:
        with transaction.atomic():
            if not _claim(Menu, menu.pk, now):
                continue
            _notify(
                households=audience_households(
                    for_all_families=False, nursery_ids=[menu.nursery_id]
                ),
                category="menu",
                label=menu.title,
                url=reverse("portal:menus"),
            )
            announced.menus += 1

    if announced.total:
        logger.info(
            "Announced %s news, %s documents, %s menus.",
            announced.news,
            announced.documents,
            announced.menus,
        )
    return announced


def publish_news_now(*, news, now: datetime.datetime | None = None) -> int:
    """Bring forward the publication of scheduled news to now; families are told after the
    commit. Returns how many were scheduled (the others were already published)."""
    now = now or timezone.now()
    count = News.objects.filter(pk__in=[item.pk for item in news], publish_at__gt=now).update(
        publish_at=now
    )
    announce_after_commit()
    return count


def end_news_now(*, news, now: datetime.datetime | None = None) -> int:
    """End the publication of published news now (families no longer see them). Scheduled
    news are left alone: change their date instead. Returns how many were ended."""
    now = now or timezone.now()
    return (
        News.objects.filter(pk__in=[item.pk for item in news], publish_at__lt=now)
        .filter(Q(unpublish_at__isnull=True) | Q(unpublish_at__gt=now))
        .update(unpublish_at=now)
    )


def announce_after_commit() -> None:
    """For the back office: announce what a save made visible, once the save is committed."""
    transaction.on_commit(lambda: announce_due_content())


def record_home_visit(*, user, now: datetime.datetime | None = None) -> datetime.datetime:
    """Record that the guardian is on MON ACCUEIL and return the moment from which content
    counts as new for them: the end of their previous visit. Pages seen within one visit
    (less than an idle session apart) keep the same moment, so reloading the page does not
    make the news disappear. The first visit counts the last ``CONTENT_NEW_DAYS_FIRST_VISIT``
    days as new."""
    now = now or timezone.now()
    visit_gap = datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    with transaction.atomic():
        visit = HomeVisit.objects.select_for_update().filter(user=user).first()
        if visit is None:
            since = now - datetime.timedelta(days=settings.CONTENT_NEW_DAYS_FIRST_VISIT)
            # There is no row to lock yet: two first visits at once (two tabs) both get here.
            # The second insert is skipped instead of failing on the one-row-per-user
            # constraint; both visits are first visits and get the same answer.
            HomeVisit.objects.bulk_create(
                [HomeVisit(user=user, visited_at=now, new_since=since)], ignore_conflicts=True
            )
            return since
        if now - visit.visited_at > visit_gap:
            visit.new_since = visit.visited_at
        visit.visited_at = now
        visit.save(update_fields=["visited_at", "new_since"])
        return visit.new_since
