"""Billing work done by the task worker. Tasks take ids and call services."""

from django_tasks import task

from . import notifications, services


@task()
def render_invoice_pdf(invoice_id: int) -> None:
    """Render and store the PDF of a newly issued invoice, then tell the family."""
    invoice = services.store_invoice_pdf(invoice_id=invoice_id)
    notifications.notify_invoice_issued(invoice_id=invoice.pk)


@task()
def render_invoice_pdfs(invoice_ids: list[int]) -> None:
    """The same for a batch of newly issued invoices: one commit for the PDFs, one for the
    e-mails (issue_invoices queues one task per PDF_BATCH_SIZE invoices)."""
    from . import issuing

    issuing.store_invoice_pdfs(invoice_ids=invoice_ids)
    notifications.notify_invoices_issued(invoice_ids=invoice_ids)


@task()
def render_credit_note_pdf(credit_note_id: int) -> None:
    services.store_credit_note_pdf(credit_note_id=credit_note_id)


@task()
def import_invoices_file(job_id: int) -> None:
    """Run a CSV import queued by staff (billing.imports); its job records the outcome."""
    from . import imports

    imports.run_import_job(job_id=job_id)


@task()
def export_for_accountant(job_id: int) -> None:
    """Write the CSV export staff asked for (billing.exports) into its job's result file."""
    from . import exports

    exports.run_export_job(job_id=job_id)


@task()
def issue_invoices_in_background(job_id: int) -> None:
    """Issue the drafts a member of staff selected, batch by batch (billing.issuing)."""
    from . import issuing

    issuing.run_issue_job(job_id=job_id)
