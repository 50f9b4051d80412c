"""Import of invoices from the CSV file of the billing software (format: docs/invoice-import.md).

The whole file is checked before anything is written (``csvfile`` reads it, ``checks``
compares it with the database): one wrong line and nothing is imported, and staff get every
wrong line with its number and the reason. An invoice whose number was imported already with
the same content is skipped, so importing a file twice is harmless."""

import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portail.jobs import services as jobs
from portail.jobs.models import Job

from ..models import Invoice, Regie
from ..services import BillingError, create_draft_invoice, issue_invoices
from .checks import PlannedInvoice, Progress, check_rows
from .csvfile import MAX_FILE_BYTES, FileRefused, file_too_big_message, read_rows

__all__ = [
    "JOB_KIND",
    "MAX_FILE_BYTES",
    "ImportResult",
    "file_too_big_message",
    "import_invoices",
    "queue_invoice_import",
    "run_import_job",
]

JOB_KIND = "invoice_import"
# Past this, the list stops: a file this wrong needs fixing at the source, not line by line.
MAX_ERRORS_LISTED = 1000


@dataclass
class ImportResult:
    created: list[Invoice] = field(default_factory=list)
    already_imported: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def is_refused(self) -> bool:
        return bool(self.errors)

    def outcome(self) -> str:
        if self.errors:
            count = len(self.errors)
            return ngettext(
                "Nothing was imported: the file has %(count)s error. Correct it and import the "
                "whole file again.",
                "Nothing was imported: the file has %(count)s errors. Correct them and import "
                "the whole file again.",
                count,
            ) % {"count": count}
        count = len(self.created)
        if not count and self.already_imported:
            count = len(self.already_imported)
            return ngettext(
                "No new invoice: the invoice of the file was imported already.",
                "No new invoice: the %(count)s invoices of the file were imported already.",
                count,
            ) % {"count": count}
        sentences = [
            ngettext("%(count)s invoice imported.", "%(count)s invoices imported.", count)
            % {"count": count}
        ]
        if self.already_imported:
            count = len(self.already_imported)
            sentences.append(
                ngettext(
                    "%(count)s invoice already imported, skipped.",
                    "%(count)s invoices already imported, skipped.",
                    count,
                )
                % {"count": count}
            )
        return " ".join(sentences)


def import_invoices(
    *, content: bytes, regie: Regie, created_by=None, progress: Progress | None = None
) -> ImportResult:
    """Check the whole file, then create and issue its new invoices in one transaction, or
    nothing at all. ``created_by`` None is a system import, which reaches every household;
    nursery staff reach only their nurseries' households. ``progress(done, total)`` is called
    while rows are checked."""
    try:
        rows, unreadable = read_rows(content)
    except FileRefused as refused:
        return ImportResult(errors=refused.errors)
    plan = check_rows(rows, regie=regie, user=created_by, unreadable=unreadable, progress=progress)
    if plan.errors:
        errors = plan.errors
        if len(errors) > MAX_ERRORS_LISTED:
            errors = [
                *errors[:MAX_ERRORS_LISTED],
                _("Only the first {count} errors are listed.").format(count=MAX_ERRORS_LISTED),
            ]
        return ImportResult(errors=errors)
    try:
        created = _create_and_issue(plan.to_create, regie=regie, created_by=created_by)
    except (IntegrityError, BillingError):
        # Another import of the same invoices won the race between our check and our writes.
        message = _(
            "Invoices of this file were created while it was being checked (by another "
            "import?). Nothing was imported: import the file again."
        )
        return ImportResult(errors=[message])
    return ImportResult(created=created, already_imported=plan.already_imported)


@transaction.atomic
def _create_and_issue(planned: list[PlannedInvoice], *, regie: Regie, created_by) -> list:
    by_issue_date = defaultdict(list)
    for invoice in planned:
        draft = create_draft_invoice(
            regie=regie,
            kind=invoice.kind,
            household=invoice.household,
            payer=invoice.payer,
            period_on=invoice.period_on,
            lines=[
                {
                    "child": line.child,
                    "label": line.label,
                    "quantity": line.quantity,
                    "unit": line.unit,
                    "unit_price": line.unit_price,
                }
                for line in invoice.lines
            ],
            created_by=created_by,
            external_reference=invoice.number,
            # The billing software chose the due date; issue_invoices keeps a draft's own.
            due_on=invoice.due_on,
        )
        by_issue_date[invoice.issued_on].append((draft, invoice.number))
    issued = []
    for issued_on, group in sorted(by_issue_date.items()):
        issued += issue_invoices(
            invoices=[draft for draft, _number in group],
            issued_on=issued_on,
            issued_by=created_by,
            numbers={draft.pk: number for draft, number in group},
        )
    return issued


def queue_invoice_import(*, regie: Regie, uploaded_file, created_by) -> Job:
    """Keep the uploaded file in storage and queue its import; the job's page follows it.
    The task deletes the file once read."""
    from ..tasks import import_invoices_file

    name = default_storage.save(f"imports/{uuid.uuid4()}.csv", uploaded_file)
    filename = getattr(uploaded_file, "name", "") or name
    description = _("Import of the invoices of {filename} into {regie}").format(
        filename=filename, regie=regie.name
    )
    with transaction.atomic():
        job = jobs.start_job(
            kind=JOB_KIND,
            description=description,
            created_by=created_by,
            parameters={
                "file": name,
                "filename": filename,
                "regie_id": regie.pk,
                "language": translation.get_language(),
            },
        )
        transaction.on_commit(lambda: import_invoices_file.enqueue(job.pk))
    return job


def run_import_job(*, job_id: int) -> None:
    job = jobs.claim(job_id)
    if job is None:
        return
    language = job.parameters.get("language") or settings.LANGUAGE_CODE
    with jobs.failing_on_crash(job), translation.override(language):
        name = job.parameters["file"]
        try:
            if job.created_by is None:
                jobs.fail(job, [_("The account that asked for this import no longer exists.")])
                return
            regie = Regie.objects.get(pk=job.parameters["regie_id"])
            with default_storage.open(name, "rb") as stored:
                content = stored.read()

            def progress(done: int, total: int) -> None:
                if total != job.total:
                    jobs.set_total(job, total)
                jobs.advance(job, done)

            result = import_invoices(
                content=content, regie=regie, created_by=job.created_by, progress=progress
            )
        finally:
            default_storage.delete(name)
        if result.is_refused:
            jobs.fail(job, result.errors, outcome=result.outcome())
        else:
            jobs.succeed(job, result.outcome())
