"""Every write about households made outside the admin."""

from django.db import transaction

from ..models import Household


@transaction.atomic
def set_paperless_invoices(*, household: Household, enabled: bool, changed_by) -> Household:
    """« Adhésion à la facture en ligne »: the household receives its invoices on the portal
    only (enabled) or on paper too. ``changed_by`` is the person who chose; nothing else is
    recorded for now."""
    household = Household.objects.select_for_update().get(pk=household.pk)
    if household.paperless_invoices != enabled:
        household.paperless_invoices = enabled
        household.save(update_fields=["paperless_invoices"])
    return household
