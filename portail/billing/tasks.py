"""Billing work done by the task worker. Tasks take ids and call services."""

from django_tasks import task

from . import notifications, services


@task()
def render_invoice_pdf(invoice_id: int) -> None:
    """Render and store the PDF of a newly issued invoice, then tell the family."""
    invoice = services.store_invoice_pdf(invoice_id=invoice_id)
    notifications.notify_invoice_issued(invoice_id=invoice.pk)


@task()
def render_credit_note_pdf(credit_note_id: int) -> None:
    services.store_credit_note_pdf(credit_note_id=credit_note_id)
