from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portail.backoffice.permissions import AdministratorOnlyMixin

from .models import Organisation, TermsVersion
from .services import TermsError, draft_terms_version, publish_terms


@admin.register(Organisation)
class OrganisationAdmin(AdministratorOnlyMixin, admin.ModelAdmin):
    """The town's settings: one row, which the list opens directly."""

    fieldsets = [
        (_("Town"), {"fields": ["town_name", "logo", "address"]}),
        (
            _("Petite Enfance service"),
            {"fields": ["service_name", "service_email", "service_phone"]},
        ),
        (_("E-mails"), {"fields": ["noreply_email"]}),
        (
            _("Legal pages"),
            {
                "fields": [
                    "publication_director",
                    "host_details",
                    "data_protection_contact",
                    ("accessibility_rate", "accessibility_audited_on"),
                ]
            },
        ),
    ]

    def has_add_permission(self, request, *args):
        return super().has_add_permission(request) and not Organisation.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        organisation = Organisation.current()
        return HttpResponseRedirect(
            reverse(
                f"{self.admin_site.name}:organisation_organisation_change",
                args=[organisation.pk],
            )
        )


@admin.register(TermsVersion)
class TermsVersionAdmin(AdministratorOnlyMixin, admin.ModelAdmin):
    """The CGU, versioned: a draft is edited, then published; a published version is read-only
    and a change is a new version, which every family accepts at their next login."""

    list_display = ["__str__", "status", "created_at", "published_at", "acceptance_count"]
    list_filter = [("published_at", admin.EmptyFieldListFilter)]
    readonly_fields = ["version", "created_at", "published_at"]
    actions = ["publish"]
    change_form_template = "admin/organisation/termsversion/change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(acceptance_total=Count("acceptances"))

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["text"]
        return ["version", "created_at", "published_at", "text"]

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or obj.published_at is None
        )

    def has_delete_permission(self, request, obj=None):
        return (
            super().has_delete_permission(request, obj)
            and obj is not None
            and obj.published_at is None
        )

    def get_changeform_initial_data(self, request):
        # A new version starts from the current text, to be amended.
        current = TermsVersion.objects.order_by("-version").first()
        return {"text": current.text} if current else {}

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        draft = draft_terms_version(text=obj.text)
        obj.pk, obj.version, obj.created_at = draft.pk, draft.version, draft.created_at
        obj._state.adding = False

    @admin.display(description=_("status"))
    def status(self, terms):
        if terms.published_at is None:
            return gettext("Draft")
        if terms.published_at > timezone.now():
            return gettext("Scheduled")
        return gettext("Published")

    @admin.display(description=_("acceptances"), ordering="acceptance_total")
    def acceptance_count(self, terms):
        return terms.acceptance_total

    def _publish(self, request, terms) -> None:
        try:
            terms = publish_terms(terms=terms)
        except TermsError as error:
            messages.error(request, str(error))
            return
        messages.success(
            request,
            gettext(
                "{terms} is published: every family will be asked to accept it at their next login."
            ).format(terms=terms),
        )

    @admin.action(description=_("Publish"), permissions=["publish"])
    def publish(self, request, queryset):
        for terms in queryset.filter(published_at__isnull=True):
            self._publish(request, terms)

    def has_publish_permission(self, request):
        return super().has_add_permission(request)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/publish/",
                self.admin_site.admin_view(self.publish_view),
                name="organisation_termsversion_publish",
            ),
            *super().get_urls(),
        ]

    def publish_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_publish_permission(request):
            raise PermissionDenied
        terms = self.get_object(request, object_id)
        if terms is None:
            raise Http404
        self._publish(request, terms)
        return HttpResponseRedirect(
            reverse(f"{self.admin_site.name}:organisation_termsversion_changelist")
        )
