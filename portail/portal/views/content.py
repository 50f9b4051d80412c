"""ACTUALITÉS, MENUS RESTAURATION and INFOS PRATIQUES, and the files of that content.

Every read starts from the guardian (``visible_to(user)``: the items addressed to all
families or to a nursery one of their children attends, published now). Pictures, PDFs and
document versions are served by these views after the same check, never from a public
/media/ address: another family's link answers 404."""

import datetime

from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from portail.billing.models import Invoice
from portail.content.calendar import event_ics
from portail.content.files import image_content_type, safe_filename, serve_file
from portail.content.menus import menu_weeks, split_past_weeks
from portail.content.models import (
    Course,
    Menu,
    MenuDish,
    News,
    OfficialDocument,
    OfficialDocumentVersion,
    PracticalPage,
)
from portail.households.models import Child

from ..decorators import family_required

NEWS_PER_PAGE = 10
AGENDA_SIZE = 10


def _nurseries(user):
    return list(Child.objects.for_user(user).nurseries())


@family_required
def news(request):
    user = request.user
    visible = News.objects.visible_to(user)
    context = {
        "page": Paginator(visible, NEWS_PER_PAGE).get_page(request.GET.get("page")),
        "events": visible.upcoming_events()[:AGENDA_SIZE],
    }
    return render(request, "portal/content/news.html", context)


@family_required
def news_detail(request, reference):
    item = get_object_or_404(News.objects.visible_to(request.user), reference=reference)
    return render(request, "portal/content/news_detail.html", {"item": item})


@family_required
def news_image(request, reference):
    item = get_object_or_404(News.objects.visible_to(request.user), reference=reference)
    return serve_file(
        item.image,
        filename=item.image.name.rsplit("/", 1)[-1] if item.image else "",
        as_attachment=False,
        content_type=image_content_type(item.image.name),
    )


@family_required
def news_attachment(request, reference):
    item = get_object_or_404(News.objects.visible_to(request.user), reference=reference)
    return serve_file(
        item.attachment,
        filename=f"{safe_filename(item.attachment_label or item.title)}.pdf",
        as_attachment=True,
        content_type="application/pdf",
    )


@family_required
def news_event_ics(request, reference):
    """The event of a news item as a calendar file (« ajouter à mon agenda »)."""
    item = get_object_or_404(
        News.objects.visible_to(request.user).filter(event_starts_at__isnull=False),
        reference=reference,
    )
    response = HttpResponse(event_ics(item), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{safe_filename(item.title)}.ics"
    )
    return response


def current_and_next_month(today: datetime.date) -> list[datetime.date]:
    first = today.replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    return [first, following]


@family_required
def menus(request):
    today = timezone.localdate()
    months = current_and_next_month(today)
    listed = list(
        Menu.objects.visible_to(request.user)
        .filter(month__in=months)
        .select_related("nursery")
        .order_by("month", "nursery__name")
    )
    dishes: dict[int, list[MenuDish]] = {}
    for dish in MenuDish.objects.filter(menu__in=[menu.pk for menu in listed]):
        dishes.setdefault(dish.menu_id, []).append(dish)
    for menu in listed:
        menu.past_weeks, menu.weeks = split_past_weeks(menu_weeks(dishes.get(menu.pk, [])), today)
    context = {
        "months": [
            {"month": month, "menus": [menu for menu in listed if menu.month == month]}
            for month in months
        ],
        "courses": Course.choices,
        "has_menus": bool(listed),
    }
    return render(request, "portal/content/menus.html", context)


@family_required
def menu_pdf(request, reference):
    menu = get_object_or_404(
        Menu.objects.visible_to(request.user).select_related("nursery"), reference=reference
    )
    return serve_file(
        menu.pdf,
        filename=f"{safe_filename(_('menus'))}-{safe_filename(menu.nursery.name)}-{menu.month:%Y-%m}.pdf",
        as_attachment=True,
        content_type="application/pdf",
    )


@family_required
def practical_info(request):
    user = request.user
    context = {
        "nurseries": _nurseries(user),
        "pages": PracticalPage.objects.visible_to(user),
    }
    return render(request, "portal/content/practical_info.html", context)


@family_required
def official_document_file(request, reference):
    """A version of an official document: the current one, or an older one the family
    was given a link to (versions stay valid links, staff keep the history)."""
    version = get_object_or_404(
        OfficialDocumentVersion.objects.filter(
            published_at__lte=timezone.now(),
            document__in=OfficialDocument.objects.for_family(request.user).values("pk"),
        ).select_related("document"),
        reference=reference,
    )
    return serve_file(
        version.file,
        filename=f"{safe_filename(version.document.title)}-{safe_filename(version.version_label)}.pdf",
        as_attachment=True,
        content_type="application/pdf",
    )


HOME_NEWS = 5


def whats_new(user, *, since: datetime.datetime) -> dict:
    """MON ACCUEIL's context: what was published for the guardian after ``since`` (news,
    document versions, menus, issued invoices) and the next events. A fixed number of
    queries whatever the amounts."""
    now = timezone.now()
    visible_news = News.objects.visible_to(user, now)
    new_news = visible_news.filter(publish_at__gt=since)
    documents = [
        document
        for document in OfficialDocument.objects.visible_to(user, now)
        if document.current_version.published_at > since
    ]
    return {
        "new_since": since,
        "new_news": new_news[:HOME_NEWS],
        "new_news_count": new_news.count(),
        "latest_news": visible_news[:HOME_NEWS],
        "new_documents": documents,
        "new_menus": list(
            Menu.objects.visible_to(user, now)
            .filter(publish_at__gt=since)
            .select_related("nursery")
            .order_by("month", "nursery__name")
        ),
        # Drafts are created before they are issued: an invoice is new when it was created
        # or issued (a date) after the previous visit.
        "new_invoice_count": Invoice.objects.visible_to(user)
        .filter(Q(created_at__gt=since) | Q(issued_on__gt=timezone.localdate(since)))
        .count(),
        "events": visible_news.upcoming_events(now)[:HOME_NEWS],
    }
