"""What the admin pages of billing share, and payments' pages borrow: permissions, page
frame, two-step forms, euro columns and the régie filter."""

from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from portail.backoffice.permissions import is_administrator, is_nursery_staff
from portail.billing.models import Regie
from portail.lib.money import format_euros


def can_issue_and_correct(user) -> bool:
    """Issuing, cancelling and crediting invoices, using or refunding credit: acts of the
    régie, for administrators. Nursery staff prepare drafts and take counter payments."""
    return is_administrator(user)


def is_staff_member(user) -> bool:
    return is_administrator(user) or is_nursery_staff(user)


def admin_page(model_admin, request, template, *, title, obj=None, **context):
    """A page of the back office in the admin's frame, about ``obj`` of ``model_admin``."""
    return TemplateResponse(
        request,
        template,
        {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.opts,
            "original": obj,
            "title": title,
            **context,
        },
    )


def change_url(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def object_button_urls(model_admin, *views) -> list:
    """The URLs of the buttons of an object's admin page, before the admin's own: for each
    ``(name, view)``, ``<object_id>/<name>/`` named ``<app>_<model>_<name>`` (« - » becomes
    « _ »), e.g. ``admin:billing_invoice_credit_note``."""
    opts = model_admin.opts
    return [
        path(
            f"<path:object_id>/{name}/",
            model_admin.admin_site.admin_view(view),
            name=f"{opts.app_label}_{opts.model_name}_{name.replace('-', '_')}",
        )
        for name, view in views
    ]


def document_link(document, *, url_name: str, obj, label, pending):
    """A link to the object's stored PDF, or ``pending`` while its task renders it."""
    if document:
        return format_html('<a href="{}">{}</a>', reverse(url_name, args=[obj.pk]), label)
    return pending


def step_of(request) -> str:
    """Where a two-step form is: « review » (show the summary), « confirm » (do it) or
    « edit » (back to the form with what was typed)."""
    if request.method != "POST":
        return ""
    return request.POST.get("step", "review")


def euros(value) -> str:
    return format_euros(value) if value is not None else "—"


def euro_column(field, description, ordering=None):
    """An admin column (or read-only field) showing the ``field`` attribute of the row in
    euros, « — » when it is empty. Assign it in the class body:
    ``total_in_euros = euro_column("total", _("total"), ordering="total")``."""

    @admin.display(description=description, ordering=ordering)
    def column(self, obj):
        return euros(getattr(obj, field))

    column.__name__ = f"{field}_in_euros"
    return column


class RegieFilter(admin.SimpleListFilter):
    title = _("régie")
    parameter_name = "regie"

    def lookups(self, request, model_admin):
        return [(str(pk), name) for pk, name in Regie.objects.values_list("pk", "name")]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(regie_id=self.value())
        return queryset
