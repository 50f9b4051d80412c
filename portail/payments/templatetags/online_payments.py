from django import template

from portail.payments.models import OnlinePayment

register = template.Library()


@register.simple_tag
def running_online_payment(invoice):
    """The online payment of this invoice still waiting for PayFiP's result, if any."""
    return (
        OnlinePayment.objects.filter(
            invoice=invoice, status__in=OnlinePayment.RUNNING, holds_invoice=True
        )
        .order_by("-created_at")
        .first()
    )
