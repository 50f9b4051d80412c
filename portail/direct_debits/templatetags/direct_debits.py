"""What invoice pages say about direct debit: « sera prélevée le … » and whether card
payment is offered. ``direct_debit_coverages`` reads a whole page of invoices in two queries;
``direct_debit_note`` then says the sentence for one of them."""

from django import template
from django.utils.translation import gettext

from ..coverage import Coverage, coverage_of

register = template.Library()


@register.simple_tag
def direct_debit_coverages(invoices) -> dict:
    """invoice pk → Coverage for a list (a page) of invoices."""
    return coverage_of(list(invoices))


@register.simple_tag
def direct_debit_coverage(invoice) -> Coverage | None:
    return coverage_of([invoice]).get(invoice.pk)


@register.simple_tag
def direct_debit_note(coverages: dict, invoice) -> str:
    """The sentence for one invoice of ``coverages`` (from ``direct_debit_coverages``)."""
    return coverage_sentence((coverages or {}).get(invoice.pk))


@register.filter
def coverage_sentence(coverage: Coverage | None) -> str:
    if coverage is None:
        return ""
    if coverage.is_scheduled:
        return gettext("Direct debit in progress: will be debited on {date}.").format(
            date=coverage.collection_on.strftime("%d/%m/%Y")
        )
    return gettext("Will be debited at the next collection.")


@register.simple_tag
def direct_debit_tile(user):
    """For the dashboard tile « Mes prélèvements »: the person's current mandate, with the
    date and amount of its next debit (one query)."""
    from django.db.models import OuterRef, Subquery

    from ..models import Debit, Mandate

    next_debit = Debit.objects.filter(mandate=OuterRef("pk"), status__in=Debit.RUNNING).order_by(
        "collection_on", "pk"
    )
    return (
        Mandate.objects.visible_to(user)
        .exclude(status__in=[Mandate.Status.REVOKED, Mandate.Status.LAPSED])
        .annotate(
            next_debit_on=Subquery(next_debit.values("collection_on")[:1]),
            next_debit_amount=Subquery(next_debit.values("amount")[:1]),
        )
        .order_by("-signed_at")
        .first()
    )
