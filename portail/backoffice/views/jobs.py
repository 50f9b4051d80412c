"""The page of a background job, which staff may leave and come back to, and their list."""

import posixpath

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from portail.audit.services import AuditAction, record_event
from portail.backoffice.permissions import is_administrator
from portail.jobs.models import Job

from . import page_context

RECENT_JOBS = 50
REFRESH_SECONDS = 2


def jobs_visible_to(user):
    """Administrators follow every job; other staff only the jobs they started."""
    if is_administrator(user):
        return Job.objects.all()
    return Job.objects.filter(created_by=user)


def job_list(request):
    jobs = jobs_visible_to(request.user).select_related("created_by")[:RECENT_JOBS]
    return render(
        request,
        "backoffice/job_list.html",
        page_context(
            request,
            title=_("Background jobs"),
            jobs=jobs,
            show_creator=is_administrator(request.user),
        ),
    )


def job_detail(request, reference):
    job = get_object_or_404(jobs_visible_to(request.user), reference=reference)
    # The member of staff may stop the page's reloading (RGAA 13.1) and start it again.
    auto_refresh = request.GET.get("actualisation") != "non"
    return render(
        request,
        "backoffice/job_detail.html",
        page_context(
            request,
            title=job.description,
            job=job,
            running=not job.is_finished,
            refresh_seconds=None if job.is_finished or not auto_refresh else REFRESH_SECONDS,
            result_name=posixpath.basename(job.result_file.name) if job.result_file else "",
        ),
    )


def job_download(request, reference):
    job = get_object_or_404(jobs_visible_to(request.user), reference=reference)
    if not job.result_file:
        raise Http404(_("This job has no file to download."))
    record_event(action=AuditAction.DOWNLOAD, request=request, target=job)
    return FileResponse(
        job.result_file.open("rb"),
        as_attachment=True,
        filename=posixpath.basename(job.result_file.name),
    )
