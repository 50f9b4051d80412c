from django_tasks import task

from . import services


@task()
def render_receipt_pdf(payment_id: int) -> None:
    services.store_receipt_pdf(payment_id=payment_id)


@task()
def send_payment_received(payment_id: int) -> None:
    from .notifications import notify_payment_received

    notify_payment_received(payment_id=payment_id)


@task()
def reconcile_online_payments() -> None:
    services.reconcile_online_payments()
