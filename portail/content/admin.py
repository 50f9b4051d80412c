"""Content in the back office: news, menus, official documents and practical pages.

Administrators address every family or any nursery; nursery staff see and publish only
items addressed to their own nurseries (``for_staff`` querysets, nursery choices limited,
« for all families » read-only for them). Each item has a preview that renders the family's
page with the same templates, before or after publication. Saving announces what became
visible (``services.announce_due_content``, once, after the commit)."""

from django.contrib import admin
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from portail.backoffice.permissions import StaffScopeMixin, is_administrator, nurseries_for
from portail.nurseries.models import Nursery

from . import services
from .files import image_content_type, safe_filename, serve_file
from .forms import (
    MenuDishForm,
    MenuDishFormSet,
    MenuForm,
    NewsForm,
    OfficialDocumentForm,
    OfficialDocumentVersionForm,
    PracticalPageForm,
)
from .menus import menu_weeks
from .models import (
    Course,
    Menu,
    MenuDish,
    News,
    OfficialDocument,
    OfficialDocumentVersion,
    PracticalPage,
)


class ContentAdmin(StaffScopeMixin, admin.ModelAdmin):
    """Scoping, audience limits, the preview page and the announcement after saving."""

    staff_can_delete = True
    # The family's page refuses staff: the preview is the way to see an item as families do.
    view_on_site = False
    preview_template = None
    readonly_fields = ["preview_link"]

    def scope_queryset(self, queryset, user):
        return queryset.model.objects.for_staff(user).filter(pk__in=queryset.values("pk"))

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not is_administrator(request.user) and "for_all_families" in self._model_fields():
            fields.append("for_all_families")
        return fields

    def _model_fields(self):
        return {field.name for field in self.model._meta.get_fields()}

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.current_user = request.user
        return form

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.remote_field.model is Nursery:
            kwargs["queryset"] = nurseries_for(request.user)
            kwargs["widget"] = admin.widgets.FilteredSelectMultiple(
                db_field.verbose_name, is_stacked=False
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change and hasattr(obj, "created_by_id"):
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        services.announce_after_commit()

    def _info(self):
        return self.model._meta.app_label, self.model._meta.model_name

    def get_urls(self):
        app_label, model_name = self._info()
        own = [
            path(
                "<int:object_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name=f"{app_label}_{model_name}_preview",
            )
        ]
        return own + self.extra_urls() + super().get_urls()

    def extra_urls(self):
        return []

    def get_list_filter(self, request):
        # Nursery staff only ever see their own nurseries' items: no other nursery to offer.
        filters = super().get_list_filter(request)
        if is_administrator(request.user):
            return filters
        return [name for name in filters if name not in ("nurseries", "nursery")]

    def scoped_object(self, request, object_id):
        return get_object_or_404(self.get_queryset(request), pk=object_id)

    @admin.display(description=_("preview"))
    def preview_link(self, obj):
        if obj is None or obj.pk is None:
            return gettext("Save first (a future publication date keeps it hidden), then preview.")
        app_label, model_name = self._info()
        url = reverse(f"admin:{app_label}_{model_name}_preview", args=[obj.pk])
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            url,
            gettext("See it as families will see it"),
        )

    def preview_view(self, request, object_id):
        obj = self.scoped_object(request, object_id)
        context = {"preview": True, "now": timezone.now(), **self.preview_context(request, obj)}
        return TemplateResponse(request, self.preview_template, context)

    def preview_context(self, request, obj):
        raise NotImplementedError


def audience_label(obj) -> str:
    if obj.for_all_families:
        return gettext("All families")
    return ", ".join(nursery.name for nursery in obj.nurseries.all())


@admin.register(News)
class NewsAdmin(ContentAdmin):
    form = NewsForm
    preview_template = "portal/content/preview_news.html"
    list_display = [
        "title",
        "audience",
        "publish_at",
        "unpublish_at",
        "is_pinned",
        "state",
        "notified_at",
    ]
    list_filter = ["is_pinned", "for_all_families", "nurseries"]
    search_fields = ["title"]
    date_hierarchy = "publish_at"
    readonly_fields = ["preview_link", "notified_at", "created_by"]
    fieldsets = [
        (None, {"fields": ["title", "body", "is_pinned", "preview_link"]}),
        (
            _("Picture and attachment"),
            {"fields": ["image", "image_alt", "attachment", "attachment_label"]},
        ),
        (_("Event"), {"fields": ["event_starts_at", "event_location"]}),
        (_("Audience"), {"fields": ["for_all_families", "nurseries"]}),
        (_("Publication"), {"fields": ["publish_at", "unpublish_at", "notified_at", "created_by"]}),
    ]

    actions = ["publish_now", "end_now"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("nurseries")

    @admin.action(description=_("Publish the selected news now"))
    def publish_now(self, request, queryset):
        count = services.publish_news_now(news=list(queryset))
        self.message_user(
            request,
            ngettext(
                "%(count)d news item published now; families are being notified.",
                "%(count)d news items published now; families are being notified.",
                count,
            )
            % {"count": count},
        )

    @admin.action(description=_("End the publication of the selected news now"))
    def end_now(self, request, queryset):
        count = services.end_news_now(news=list(queryset))
        self.message_user(
            request,
            ngettext(
                "%(count)d news item no longer shown to families.",
                "%(count)d news items no longer shown to families.",
                count,
            )
            % {"count": count},
        )

    @admin.display(description=_("audience"))
    def audience(self, obj):
        return audience_label(obj)

    @admin.display(description=_("state"))
    def state(self, obj):
        now = timezone.now()
        if obj.publish_at > now:
            return gettext("Scheduled")
        if obj.unpublish_at and obj.unpublish_at <= now:
            return gettext("Ended")
        return gettext("Published")

    def extra_urls(self):
        return [
            path(
                "<int:object_id>/image/",
                self.admin_site.admin_view(self.image_view),
                name="content_news_image",
            ),
            path(
                "<int:object_id>/attachment/",
                self.admin_site.admin_view(self.attachment_view),
                name="content_news_attachment",
            ),
        ]

    def preview_context(self, request, obj):
        return {"item": obj, "audience": audience_label(obj), "is_published": obj.is_published()}

    def image_view(self, request, object_id):
        item = self.scoped_object(request, object_id)
        return serve_file(
            item.image,
            filename="image",
            as_attachment=False,
            content_type=image_content_type(item.image.name),
        )

    def attachment_view(self, request, object_id):
        item = self.scoped_object(request, object_id)
        return serve_file(
            item.attachment,
            filename=f"{safe_filename(item.attachment_label or item.title)}.pdf",
            as_attachment=True,
            content_type="application/pdf",
        )


class MenuDishInline(StaffScopeMixin, admin.TabularInline):
    model = MenuDish
    form = MenuDishForm
    formset = MenuDishFormSet
    extra = 5
    staff_can_delete = True

    def scope_queryset(self, queryset, user):
        return queryset.filter(menu__in=Menu.objects.for_staff(user).values("pk"))


@admin.register(Menu)
class MenuAdmin(ContentAdmin):
    form = MenuForm
    preview_template = "portal/content/preview_menu.html"
    inlines = [MenuDishInline]
    list_display = ["__str__", "nursery", "month", "publish_at", "notified_at"]
    list_filter = ["nursery"]
    date_hierarchy = "month"
    readonly_fields = ["preview_link", "notified_at"]
    fields = ["nursery", "month", "note", "pdf", "publish_at", "notified_at", "preview_link"]

    def scope_queryset(self, queryset, user):
        return queryset.filter(pk__in=Menu.objects.for_staff(user).values("pk"))

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("nursery")

    def extra_urls(self):
        return [
            path(
                "<int:object_id>/pdf/",
                self.admin_site.admin_view(self.pdf_view),
                name="content_menu_pdf",
            )
        ]

    def preview_context(self, request, obj):
        # Staff check the whole month: no week is folded away as « already over ».
        obj.past_weeks, obj.weeks = [], menu_weeks(obj.dishes.all())
        return {
            "menu": obj,
            "courses": Course.choices,
            "audience": obj.nursery.name,
            "is_published": obj.publish_at <= timezone.now(),
        }

    def pdf_view(self, request, object_id):
        menu = self.scoped_object(request, object_id)
        return serve_file(
            menu.pdf,
            filename=f"menus-{menu.month:%Y-%m}.pdf",
            as_attachment=True,
            content_type="application/pdf",
        )


class OfficialDocumentVersionInline(StaffScopeMixin, admin.TabularInline):
    """The versions, newest first: the history stays, families get the latest published."""

    model = OfficialDocumentVersion
    form = OfficialDocumentVersionForm
    extra = 1
    fields = ["file", "version_label", "published_at", "notified_at"]
    readonly_fields = ["notified_at"]

    def scope_queryset(self, queryset, user):
        return queryset.filter(document__in=OfficialDocument.objects.for_staff(user).values("pk"))


@admin.register(OfficialDocument)
class OfficialDocumentAdmin(ContentAdmin):
    form = OfficialDocumentForm
    preview_template = "portal/content/preview_documents.html"
    inlines = [OfficialDocumentVersionInline]
    list_display = ["title", "category", "audience", "current_version"]
    list_filter = ["category", "for_all_families", "nurseries"]
    search_fields = ["title"]
    fields = ["title", "category", "description", "for_all_families", "nurseries", "preview_link"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("nurseries", "versions")

    @admin.display(description=_("audience"))
    def audience(self, obj):
        return audience_label(obj)

    @admin.display(description=_("version in force"))
    def current_version(self, obj):
        now = timezone.now()
        published = [version for version in obj.versions.all() if version.published_at <= now]
        return published[0].version_label if published else gettext("None published yet")

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        services.announce_after_commit()

    def extra_urls(self):
        return [
            path(
                "versions/<int:version_id>/file/",
                self.admin_site.admin_view(self.version_file_view),
                name="content_officialdocument_version_file",
            )
        ]

    def version_file_view(self, request, version_id):
        version = get_object_or_404(
            OfficialDocumentVersion.objects.filter(
                document__in=self.get_queryset(request).values("pk")
            ),
            pk=version_id,
        )
        return serve_file(
            version.file,
            filename=f"{safe_filename(version.document.title)}-{safe_filename(version.version_label)}.pdf",
            as_attachment=True,
            content_type="application/pdf",
        )

    def preview_context(self, request, obj):
        versions = list(obj.versions.all())
        now = timezone.now()
        published = [version for version in versions if version.published_at <= now]
        obj.current_version = published[0] if published else (versions[0] if versions else None)
        obj.download_url = (
            reverse("admin:content_officialdocument_version_file", args=[obj.current_version.pk])
            if obj.current_version
            else ""
        )
        return {
            "official_documents": [obj] if obj.current_version else [],
            "audience": audience_label(obj),
            "is_published": bool(published),
        }


@admin.register(PracticalPage)
class PracticalPageAdmin(ContentAdmin):
    form = PracticalPageForm
    preview_template = "portal/content/preview_page.html"
    list_display = ["title", "position", "audience", "is_published", "updated_at"]
    list_editable = ["position"]
    list_filter = ["is_published", "for_all_families"]
    prepopulated_fields = {"slug": ["title"]}
    fields = [
        "title",
        "slug",
        "body",
        "position",
        "for_all_families",
        "nurseries",
        "is_published",
        "preview_link",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("nurseries")

    @admin.display(description=_("audience"))
    def audience(self, obj):
        return audience_label(obj)

    def preview_context(self, request, obj):
        return {"info": obj, "audience": audience_label(obj), "is_published": obj.is_published}
