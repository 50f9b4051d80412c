"""Issuing many drafts at once, as a background job staff follow on its page.

Each batch is issued by ``services.issue_invoices`` in its own transaction, so numbers stay
sequential and without gaps, a crash leaves whole batches issued (and the rest in draft), and
the job's progress moves as batches are done."""

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import ngettext

from portail.jobs import services as jobs

from .models import Invoice
from .services import BillingError, issue_invoices

JOB_KIND = "billing.issue_invoices"
BATCH_SIZE = 100


def queue_issue_job(*, invoice_ids: list[int], created_by):
    """A job that issues these drafts, in this order; its task starts on commit."""
    from .tasks import issue_invoices_in_background

    job = jobs.start_job(
        kind=JOB_KIND,
        description=ngettext(
            "Issue %(count)d draft invoice", "Issue %(count)d draft invoices", len(invoice_ids)
        )
        % {"count": len(invoice_ids)},
        created_by=created_by,
        parameters={
            "invoice_ids": list(invoice_ids),
            "language": translation.get_language() or settings.LANGUAGE_CODE,
        },
        total=len(invoice_ids),
    )
    transaction.on_commit(lambda: issue_invoices_in_background.enqueue(job.pk))
    return job


def run_issue_job(*, job_id: int) -> None:
    job = jobs.claim(job_id)
    if job is None:
        return
    language = job.parameters.get("language") or settings.LANGUAGE_CODE
    with jobs.failing_on_crash(job), translation.override(language):
        ids = job.parameters["invoice_ids"]
        done = issued = 0
        refused = []
        for start in range(0, len(ids), BATCH_SIZE):
            batch = ids[start : start + BATCH_SIZE]
            # Drafts issued meanwhile (by a person, or by another job) are left alone.
            found = Invoice.objects.filter(pk__in=batch, status=Invoice.Status.DRAFT).in_bulk()
            drafts = [found[pk] for pk in batch if pk in found]
            try:
                issue_invoices(invoices=drafts, issued_by=job.created_by)
            except BillingError as error:
                refused.append(str(error))
            else:
                issued += len(drafts)
            done += len(batch)
            jobs.advance(job, done)
        outcome = ngettext("%(count)d invoice issued.", "%(count)d invoices issued.", issued) % {
            "count": issued
        }
        skipped = len(ids) - issued
        if skipped:
            outcome += " " + ngettext(
                "%(count)d invoice was no longer a draft and was left as it was.",
                "%(count)d invoices were no longer drafts and were left as they were.",
                skipped,
            ) % {"count": skipped}
        if refused:
            jobs.fail(job, refused, outcome=outcome)
        else:
            jobs.succeed(job, outcome)
