import re

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from portail.backoffice.permissions import ReadOnlyAdminMixin, is_administrator

from .models import OutgoingEmail
from .services import resend_email


def mask_link_tokens(text: str) -> str:
    """Activation and reset links carry a live token: staff read the e-mail, not the token."""
    prefix = reverse("portal:account-link", kwargs={"token": "TOKEN"}).removesuffix("TOKEN/")
    return re.sub(re.escape(prefix) + r"[^/\s\"'<>]+/?", prefix + "…/", text)


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The outbox: what was sent to whom, what failed and why. Failed e-mails can be sent
    again once the address or the mail server is fixed."""

    list_display = ["created_at", "to", "subject", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind", "created_at"]
    search_fields = ["to", "subject"]
    date_hierarchy = "created_at"
    fields = [
        "kind",
        "to",
        "from_email",
        "subject",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "sent_at",
        "text",
        "attachment_names",
    ]
    readonly_fields = fields
    actions = ["send_again"]

    @admin.display(description=_("text"))
    def text(self, email):
        return mask_link_tokens(email.body_text)

    @admin.display(description=_("attachments"))
    def attachment_names(self, email):
        names = email.attachments.values_list("filename", flat=True)
        return ", ".join(names) or "—"

    def has_send_again_permission(self, request):
        return is_administrator(request.user)

    @admin.action(description=_("Send again (failed e-mails)"), permissions=["send_again"])
    def send_again(self, request, queryset):
        failed = list(queryset.filter(status=OutgoingEmail.Status.FAILED))
        for email in failed:
            resend_email(email=email)
        skipped = queryset.count() - len(failed)
        if failed:
            messages.success(
                request,
                ngettext(
                    "{count} e-mail will be sent again.",
                    "{count} e-mails will be sent again.",
                    len(failed),
                ).format(count=len(failed)),
            )
        if skipped:
            messages.warning(
                request,
                gettext("Only failed e-mails are sent again; the others were left as they are."),
            )
