"""Factories for direct debit tests: creditor settings, mandates signed as the service does,
and issued invoices of a payer."""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from portail.direct_debits.models import CreditorSettings, Mandate, SequenceType
from tests.factories import InvoiceFactory, RegieFactory, make_family_guardian

DEBTOR_IBAN = "FR7630006000011234567890189"
OTHER_IBAN = "FR7630001007941234567890185"
CREDITOR_IBAN = "FR1420041010050500013M02606"
ICS = "FR72ZZZ123456"


class CreditorSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CreditorSettings
        django_get_or_create = ("regie",)

    regie = factory.SubFactory(RegieFactory)
    creditor_name = "Régie Petite Enfance de Bourg"
    creditor_address = "Hôtel de ville\n1 place de la Mairie\n74000 Bourg-les-Crèches"
    ics = ICS
    creditor_iban = CREDITOR_IBAN
    creditor_iban_last4 = CREDITOR_IBAN[-4:]
    creditor_bic = "PSSTFRPP"
    rum_prefix = "BOURG"


class MandateFactory(factory.django.DjangoModelFactory):
    """An active recurrent mandate signed on 01/01/2022 (its next debit is a first one)."""

    class Meta:
        model = Mandate

    regie = factory.SubFactory(RegieFactory)
    payer = factory.LazyFunction(make_family_guardian)
    household = factory.SelfAttribute("payer.household")
    rum = factory.Sequence(lambda n: f"BOURG-F{n:05d}-{n + 1:03d}")
    status = Mandate.Status.ACTIVE
    holder_name = factory.LazyAttribute(lambda m: f"{m.payer.first_name} {m.payer.last_name}")
    holder_address = "12 rue des Écoles\n75000 Ma commune"
    iban = DEBTOR_IBAN
    iban_last4 = DEBTOR_IBAN[-4:]
    bic = "AGRIFRPPXXX"
    next_sequence = SequenceType.FIRST
    signed_at = factory.LazyFunction(
        lambda: timezone.make_aware(datetime.datetime(2022, 1, 1, 10, 0))
    )
    effective_on = datetime.date(2022, 1, 1)
    code_verified_at = factory.SelfAttribute("signed_at")
    signed_by = factory.SelfAttribute("payer.user")


def due_invoice(mandate, *, amount=Decimal("29.00"), due_on=datetime.date(2022, 2, 9), **kwargs):
    """An issued invoice of the mandate's payer, covered by the mandate."""
    return InvoiceFactory(
        regie=mandate.regie,
        household=mandate.household,
        payer=mandate.payer,
        due_on=due_on,
        lines=[
            {
                "child_name": "Léa",
                "label": "Accueil régulier",
                "quantity": Decimal("1"),
                "unit_price": amount,
            }
        ],
        **kwargs,
    )
