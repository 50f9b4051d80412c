"""The audit trail in the back office: administrators search it, nobody edits it, nursery
staff do not see it."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from portail.backoffice.permissions import ReadOnlyAdminMixin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "at",
        "actor_label",
        "action",
        "target_type",
        "target_id",
        "household_link",
        "ip_address",
    ]
    list_filter = ["action", "is_staff_actor", "target_type", ("at", admin.DateFieldListFilter)]
    search_fields = ["actor_label", "target_id", "household__name", "=ip_address"]
    date_hierarchy = "at"
    list_select_related = ["household"]
    fields = [
        "at",
        "actor_label",
        "is_staff_actor",
        "action",
        "target_type",
        "target_id",
        "household",
        "ip_address",
        "details",
    ]
    readonly_fields = fields
    actions = None
    show_full_result_count = False

    @admin.display(description=_("household"), ordering="household__name")
    def household_link(self, event):
        return event.household.name if event.household_id and event.household else ""
