"""CSV exports for the accountant: the invoices issued and the payments received over a period.

UTF-8 with a BOM and « ; » between values, decimals with a comma, dates DD/MM/YYYY: what a
French spreadsheet opens as is. Nursery staff export only their nurseries' households."""

import csv
import io
from collections.abc import Callable, Iterable
from datetime import date

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from portail.households.models import Household
from portail.jobs import services as jobs
from portail.jobs.models import Job
from portail.payments.models import Payment

from .models import Invoice, Regie

JOB_KIND = "accounting_export"
PROGRESS_EVERY = 200

Progress = Callable[[int, int], None]


class ExportKind(models.TextChoices):
    INVOICES = "invoices", gettext_lazy("The invoices issued")
    PAYMENTS = "payments", gettext_lazy("The payments received")


def decimal_cell(value) -> str:
    return f"{value:.2f}".replace(".", ",")


def date_cell(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def text_cell(value) -> str:
    """Text a family typed may start like a formula: a spreadsheet must show it, not run it."""
    value = str(value or "")
    if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def invoices_to_export(*, regie: Regie, start_on: date, end_on: date, user):
    """Every invoice issued in the period (cancelled ones too: the accountant follows them)."""
    return (
        Invoice.objects.for_staff(user)
        .filter(regie=regie, issued_on__range=(start_on, end_on))
        .exclude(status=Invoice.Status.DRAFT)
        .select_related("kind", "household", "payer")
        .order_by("issued_on", "number", "pk")
    )


def payments_to_export(*, regie: Regie, start_on: date, end_on: date, user):
    payments = Payment.objects.filter(regie=regie, received_on__range=(start_on, end_on))
    if not user.is_superuser:
        payments = payments.filter(household__in=Household.objects.for_staff(user).values("pk"))
    return (
        payments.select_related("household", "payer")
        .prefetch_related("allocations__invoice")
        .order_by("received_on", "receipt_number", "pk")
    )


def invoice_rows(invoices: Iterable[Invoice]):
    yield [
        _("Invoice number"),
        _("Kind"),
        _("Period"),
        _("Issue date"),
        _("Due date"),
        _("Family code"),
        _("Household"),
        _("Payer"),
        _("Total"),
        _("Amount paid"),
        _("Amount credited"),
        _("Left to pay"),
        _("Status"),
    ]
    for invoice in invoices:
        yield [
            text_cell(invoice.number),
            text_cell(invoice.kind.label),
            invoice.period_on.strftime("%Y-%m"),
            date_cell(invoice.issued_on),
            date_cell(invoice.due_on),
            text_cell(invoice.household.external_code),
            text_cell(invoice.household.name),
            text_cell(invoice.payer_name or invoice.payer.full_name),
            decimal_cell(invoice.total),
            decimal_cell(invoice.amount_paid),
            decimal_cell(invoice.amount_credited),
            decimal_cell(invoice.amount_due),
            invoice.get_status_display(),
        ]


def payment_rows(payments: Iterable[Payment]):
    yield [
        _("Receipt number"),
        _("Date received"),
        _("Method"),
        _("Reference"),
        _("Amount"),
        _("Amount allocated"),
        _("Payer"),
        _("Family code"),
        _("Household"),
        _("Invoices settled"),
    ]
    for payment in payments:
        settled = ", ".join(
            f"{allocation.invoice.number} ({decimal_cell(allocation.amount)})"
            for allocation in sorted(payment.allocations.all(), key=lambda a: a.invoice.number)
        )
        yield [
            text_cell(payment.receipt_number),
            date_cell(payment.received_on),
            payment.get_method_display(),
            text_cell(payment.bank_reference),
            decimal_cell(payment.amount),
            decimal_cell(payment.allocated_amount),
            text_cell(payment.payer.full_name),
            text_cell(payment.household.external_code),
            text_cell(payment.household.name),
            text_cell(settled),
        ]


def export_csv(
    *,
    kind: str,
    regie: Regie,
    start_on: date,
    end_on: date,
    user,
    progress: Progress | None = None,
) -> tuple[bytes, int]:
    """(the CSV file, how many invoices or payments it lists)."""
    if kind == ExportKind.INVOICES:
        queryset = invoices_to_export(regie=regie, start_on=start_on, end_on=end_on, user=user)
        rows = invoice_rows
    else:
        queryset = payments_to_export(regie=regie, start_on=start_on, end_on=end_on, user=user)
        rows = payment_rows
    total = queryset.count()
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    for written, row in enumerate(rows(queryset.iterator(chunk_size=500))):
        writer.writerow(row)
        if progress and written and (written % PROGRESS_EVERY == 0 or written == total):
            progress(written, total)
    return buffer.getvalue().encode("utf-8-sig"), total


def file_name(*, kind: str, regie: Regie, start_on: date, end_on: date) -> str:
    prefix = "factures" if kind == ExportKind.INVOICES else "paiements"
    return f"{prefix}_{slugify(regie.name)}_{start_on:%Y-%m-%d}_{end_on:%Y-%m-%d}.csv"


def queue_accounting_export(
    *, kind: str, regie: Regie, start_on: date, end_on: date, created_by
) -> Job:
    from .tasks import export_for_accountant

    if kind == ExportKind.INVOICES:
        description = _("Export of the invoices issued by {regie} from {start} to {end}")
    else:
        description = _("Export of the payments received by {regie} from {start} to {end}")
    description = description.format(
        regie=regie.name, start=date_cell(start_on), end=date_cell(end_on)
    )
    with transaction.atomic():
        job = jobs.start_job(
            kind=JOB_KIND,
            description=description,
            created_by=created_by,
            parameters={
                "export": str(kind),
                "regie_id": regie.pk,
                "start_on": start_on.isoformat(),
                "end_on": end_on.isoformat(),
                "language": translation.get_language(),
            },
        )
        transaction.on_commit(lambda: export_for_accountant.enqueue(job.pk))
    return job


def run_export_job(*, job_id: int) -> None:
    job = jobs.claim(job_id)
    if job is None:
        return
    language = job.parameters.get("language") or settings.LANGUAGE_CODE
    with jobs.failing_on_crash(job), translation.override(language):
        if job.created_by is None:
            jobs.fail(job, [_("The account that asked for this export no longer exists.")])
            return
        kind = job.parameters["export"]
        regie = Regie.objects.get(pk=job.parameters["regie_id"])
        start_on = date.fromisoformat(job.parameters["start_on"])
        end_on = date.fromisoformat(job.parameters["end_on"])

        def progress(done: int, total: int) -> None:
            if total != job.total:
                jobs.set_total(job, total)
            jobs.advance(job, done)

        content, count = export_csv(
            kind=kind,
            regie=regie,
            start_on=start_on,
            end_on=end_on,
            user=job.created_by,
            progress=progress,
        )
        if kind == ExportKind.INVOICES:
            outcome = ngettext(
                "%(count)s invoice exported.", "%(count)s invoices exported.", count
            ) % {"count": count}
        else:
            outcome = ngettext(
                "%(count)s payment exported.", "%(count)s payments exported.", count
            ) % {"count": count}
        name = file_name(kind=kind, regie=regie, start_on=start_on, end_on=end_on)
        jobs.succeed(job, outcome, result_file=ContentFile(content, name=name))
