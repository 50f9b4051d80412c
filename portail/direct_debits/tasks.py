"""Direct debit work done by the task worker. Tasks take ids and call services."""

from django_tasks import task


@task()
def build_debit_batch_in_background(job_id: int) -> None:
    """Build the batch a member of staff asked for; its job shows the progress."""
    from .services import run_batch_job

    run_batch_job(job_id=job_id)


@task()
def send_prenotifications(batch_id: int, mandate_ids: list[int]) -> None:
    """E-mail these payers the amount and date of their debits in the batch."""
    from .services import prenotify_debits

    prenotify_debits(batch_id=batch_id, mandate_ids=mandate_ids)


@task()
def settle_batch_in_background(job_id: int) -> None:
    """Record the payments of a batch the bank has paid; its job shows the progress."""
    from .services import run_settlement_job

    run_settlement_job(job_id=job_id)
