"""Many invoices at once: the monthly run and imports.

- ``create_draft_invoices``: drafts in bulk (a few INSERTs for hundreds of invoices and their
  lines, totals computed first), with the same rules as ``services.create_draft_invoice``.
- Issuing as a background job staff follow on its page: each batch is issued by
  ``services.issue_invoices`` in its own transaction, so numbers stay sequential and without
  gaps, a crash leaves whole batches issued (and the rest in draft), and the job's progress
  moves as batches are done.
- ``store_invoice_pdfs``: what the worker does after issue, for a batch of invoices in one
  transaction (one durable commit for the batch rather than one per invoice)."""

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import translation
from django.utils.translation import ngettext

from portail.jobs import services as jobs

from .models import ZERO, Invoice, InvoiceLine
from .services import (
    BillingError,
    _build_lines,
    _safe,
    issue_invoices,
    store_invoice_pdf,
)

logger = logging.getLogger(__name__)

JOB_KIND = "billing.issue_invoices"
BATCH_SIZE = 100


@dataclass
class DraftSpec:
    """One draft of ``create_draft_invoices``; ``lines`` as for ``create_draft_invoice``."""

    household: object
    payer: object
    lines: list[dict] = field(default_factory=list)
    external_reference: str = ""
    due_on: date | None = None


@transaction.atomic
def create_draft_invoices(
    *, regie, kind, period_on: date, drafts: Iterable[DraftSpec], created_by=None
) -> list[Invoice]:
    """Drafts for many households in a few INSERTs: every draft is checked first (kind of
    the régie, payer of the household, total not negative) and nothing is created if one is
    wrong."""
    if kind.regie_id != regie.pk:
        raise BillingError(f"Le type « {kind} » n'appartient pas à la régie « {regie} ».")
    drafts = list(drafts)
    invoices, built_lines = [], []
    for spec in drafts:
        if spec.payer.household_id != spec.household.pk:
            raise BillingError(
                f"{spec.payer} n'est pas représentant légal du foyer « {spec.household} »."
            )
        invoice = Invoice(
            regie=regie,
            kind=kind,
            household=spec.household,
            payer=spec.payer,
            period_on=period_on.replace(day=1),
            created_by=created_by,
            external_reference=spec.external_reference,
            due_on=spec.due_on,
        )
        lines = _build_lines(invoice, spec.lines)
        invoice.total = sum((line.amount for line in lines), ZERO)
        if invoice.total < 0:
            raise BillingError("Le total d'une facture ne peut pas être négatif.")
        invoices.append(invoice)
        built_lines.append(lines)
    Invoice.objects.bulk_create(invoices, batch_size=500)
    for invoice, lines in zip(invoices, built_lines, strict=True):
        for line in lines:
            line.invoice = invoice  # now that it has its primary key
    InvoiceLine.objects.bulk_create(
        [line for lines in built_lines for line in lines], batch_size=1000
    )
    return invoices


def store_invoice_pdfs(*, invoice_ids: list[int]) -> int:
    """``store_invoice_pdf`` for a batch, in one transaction. If anything in the batch fails,
    the batch is rolled back and each invoice is tried on its own, so one bad invoice never
    holds back the others. Returns how many PDFs were stored."""
    from portail.organisation.models import Organisation

    from . import pdf

    try:
        with transaction.atomic():
            # Three queries for the batch: the invoices (locked), their lines, the town.
            invoices = (
                Invoice.objects.select_for_update(of=("self",))
                .select_related("regie", "kind", "household", "payer__user")
                .prefetch_related("lines")
                .filter(pk__in=invoice_ids, pdf="")
                .exclude(status=Invoice.Status.DRAFT)
                .order_by("pk")
            )
            organisation = Organisation.current()
            stored = []
            for invoice in invoices:
                content = pdf.render_invoice(invoice, organisation=organisation)
                name = f"facture-{_safe(invoice.number)}.pdf"
                invoice.pdf.save(name, ContentFile(content), save=False)
                invoice.pdf_sha256 = hashlib.sha256(content).hexdigest()
                stored.append(invoice)
            # One UPDATE for the batch rather than one per invoice.
            Invoice.objects.bulk_update(stored, ["pdf", "pdf_sha256"])
            return len(stored)
    except Exception:
        logger.exception("Batch of %d invoice PDFs failed: one by one", len(invoice_ids))
    stored = 0
    for invoice_id in invoice_ids:
        try:
            store_invoice_pdf(invoice_id=invoice_id)
            stored += 1
        except Exception:
            logger.exception("PDF of invoice %s failed", invoice_id)
    return stored


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
