"""The development outbox: read the e-mails the portal "sent", without a mail server.

Mounted at /dev/ but answering only when DEBUG is on (and OUTBOX_PAGE_ENABLED): a newcomer
running ``make run`` opens their activation link from here. In production it is a 404."""

from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.http import content_disposition_header

from .models import OutgoingEmail, OutgoingEmailAttachment

LATEST_COUNT = 200


def development_only(view):
    """404 unless DEBUG is on: the outbox holds other people's activation links."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not (settings.DEBUG and settings.OUTBOX_PAGE_ENABLED):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


@login_not_required
@development_only
def outbox_list(request):
    emails = OutgoingEmail.objects.annotate(attachment_count=Count("attachments"))[:LATEST_COUNT]
    return render(
        request, "notifications/outbox_list.html", {"emails": emails, "limit": LATEST_COUNT}
    )


@login_not_required
@development_only
def outbox_detail(request, pk):
    email = get_object_or_404(OutgoingEmail, pk=pk)
    attachments = email.attachments.defer("content")
    return render(
        request,
        "notifications/outbox_detail.html",
        {"email": email, "attachments": attachments},
    )


@login_not_required
@development_only
def outbox_attachment(request, pk, attachment_pk):
    attachment = get_object_or_404(
        OutgoingEmailAttachment.objects.filter(email_id=pk), pk=attachment_pk
    )
    # Always a download, never shown inline: an HTML attachment must not run on this site.
    response = HttpResponse(attachment.data(), content_type=attachment.mimetype)
    response["Content-Disposition"] = content_disposition_header(True, attachment.filename)
    return response
