from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from portail.backoffice.permissions import StaffScopeMixin, is_administrator

from .models import Nursery


@admin.register(Nursery)
class NurseryAdmin(StaffScopeMixin, admin.ModelAdmin):
    """Administrators manage the nurseries and who works in each; nursery staff see their own
    nurseries' details, read-only."""

    list_display = ["name", "email", "phone", "director", "household_count", "child_count"]
    search_fields = ["name", "director", "email"]
    fieldsets = [
        (None, {"fields": ["name", "director"]}),
        (_("Contact details"), {"fields": ["email", "phone", "address"]}),
        (_("Staff"), {"fields": ["staff"]}),
    ]
    filter_horizontal = ["staff"]

    def scope_queryset(self, queryset, user):
        return queryset.filter(staff=user)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                household_total=Count("households", distinct=True),
                child_total=Count("children", distinct=True),
            )
        )

    def has_add_permission(self, request, *args):
        return is_administrator(request.user)

    def has_change_permission(self, request, obj=None):
        return is_administrator(request.user)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "staff":
            kwargs["queryset"] = get_user_model().objects.filter(is_staff=True)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description=_("households"), ordering="household_total")
    def household_count(self, nursery):
        return nursery.household_total

    @admin.display(description=_("children"), ordering="child_total")
    def child_count(self, nursery):
        return nursery.child_total
