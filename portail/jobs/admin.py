from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from portail.backoffice.permissions import ReadOnlyAdminMixin

from .models import Job, PeriodicJobRun


@admin.register(Job)
class JobAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every job, for administrators; staff follow their own at /gestion/outils/taches/."""

    list_display = ["description", "kind", "status", "percent", "created_by", "created_at"]
    list_filter = ["status", "kind"]
    search_fields = ["description"]
    list_select_related = ["created_by"]
    date_hierarchy = "created_at"
    fields = [
        "page",
        "description",
        "kind",
        "status",
        "total",
        "done",
        "outcome",
        "errors",
        "parameters",
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
    ]
    readonly_fields = fields

    @admin.display(description=_("progress"))
    def percent(self, job):
        return f"{job.percent} %"

    @admin.display(description=_("page"))
    def page(self, job):
        url = reverse("backoffice:job-detail", args=[job.reference])
        return format_html('<a href="{}">{}</a>', url, _("Follow this job"))


@admin.register(PeriodicJobRun)
class PeriodicJobRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """When each periodic command last ran and how it went (portail/jobs/periodic.py)."""

    list_display = [
        "name",
        "last_started_at",
        "last_finished_at",
        "last_succeeded",
        "leased_until",
        "leased_by",
    ]
    readonly_fields = list_display
