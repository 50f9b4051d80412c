from django_tasks import task

from . import services


@task()
def render_receipt_pdf(payment_id: int) -> None:
    services.store_receipt_pdf(payment_id=payment_id)
