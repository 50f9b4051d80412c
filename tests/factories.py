"""Factories for the whole suite (shared: add yours, keep the others')."""

import datetime

import factory
from django.utils import timezone

from portail.accounts.models import User
from portail.households.models import (
    Child,
    Civility,
    Contact,
    Guardian,
    Household,
    HouseholdChild,
)
from portail.nurseries.models import Nursery
from portail.organisation.models import TermsVersion

# A password that meets the municipal rule; users made by UserFactory have it.
DEFAULT_PASSWORD = "Soleil-Matin-42"


class UserFactory(factory.django.DjangoModelFactory):
    """A family account that has chosen its password (activated)."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    username = factory.Sequence(lambda n: f"famille.{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.fr")
    password = factory.django.Password(DEFAULT_PASSWORD)
    password_changed_at = factory.LazyFunction(timezone.now)


class StaffUserFactory(UserFactory):
    username = factory.Sequence(lambda n: f"agent.{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@mairie.example.fr")
    is_staff = True


class NurseryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Nursery
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Crèche n° {n}")
    address = "1 rue des Lilas\n75000 Ma commune"
    email = factory.Sequence(lambda n: f"creche{n}@mairie.example.fr")
    phone = "01 23 45 67 89"
    director = "Mme Claire Dubois"


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    name = factory.LazyAttribute(lambda h: f"Famille {h.family_name}")
    address_line1 = "12 rue des Écoles"
    postal_code = "75000"
    city = "Ma commune"
    nursery = factory.SubFactory(NurseryFactory)

    class Params:
        family_name = factory.Faker("last_name", locale="fr_FR")


class GuardianFactory(factory.django.DjangoModelFactory):
    """A guardian with no account yet (as staff create them, before the invitation)."""

    class Meta:
        model = Guardian

    household = factory.SubFactory(HouseholdFactory)
    civility = Civility.MADAME
    first_name = factory.Faker("first_name_female", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    birth_date = datetime.date(1988, 3, 14)
    mobile_phone = "06 12 34 56 78"
    email = factory.Sequence(lambda n: f"parent.{n}@example.fr")
    user = None


class ChildFactory(factory.django.DjangoModelFactory):
    """A child; pass ``household=`` to place it in one."""

    class Meta:
        model = Child
        skip_postgeneration_save = True

    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    birth_date = datetime.date(2023, 5, 2)
    nursery = factory.SubFactory(NurseryFactory)

    @factory.post_generation
    def household(self, create, extracted, **kwargs):
        if create and extracted is not None:
            HouseholdChild.objects.create(household=extracted, child=self)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    household = factory.SubFactory(HouseholdFactory)
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    relationship = "grand-mère"
    mobile_phone = "06 98 76 54 32"
    can_pick_up = True
    is_emergency_contact = True


class TermsVersionFactory(factory.django.DjangoModelFactory):
    """A published version of the CGU."""

    class Meta:
        model = TermsVersion

    version = factory.Sequence(lambda n: n + 1)
    text = factory.LazyAttribute(
        lambda t: f"Conditions générales d'utilisation, version {t.version}. Article 1…"
    )
    published_at = factory.LazyFunction(timezone.now)


def make_family_guardian(**user_fields) -> Guardian:
    """An activated guardian in a household with one child (in a nursery) and one contact."""
    user = UserFactory(**user_fields)
    guardian = GuardianFactory(
        user=user, first_name=user.first_name, last_name=user.last_name, email=user.email
    )
    ChildFactory(household=guardian.household, last_name=user.last_name)
    ContactFactory(household=guardian.household)
    return guardian


# --- Billing and payments (issue 3) --------------------------------------------------------
# Imported here so that this block can be appended without touching the imports above.
from decimal import ROUND_HALF_UP, Decimal  # noqa: E402

from portail.billing.models import CreditNote, Invoice, InvoiceKind, InvoiceLine, Regie  # noqa: E402
from portail.payments.models import Payment, PaymentAllocation, PaymentMethod  # noqa: E402


def _line_amount(quantity: Decimal, unit_price: Decimal) -> Decimal:
    return (quantity * unit_price).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class RegieFactory(factory.django.DjangoModelFactory):
    """A régie with its contact, issuer and appeal notice filled in, accepting the usual
    payment methods (card online, direct debit, cheque, cash)."""

    class Meta:
        model = Regie
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Régie Petite Enfance {n}")
    address = "Hôtel de ville\n1 place de la Mairie\n74000 Bourg-les-Crèches"
    email = "regie.petite-enfance@bourg.example.fr"
    phone = "04 50 22 05 57"
    invoice_number_format = "F{year}-{number:05d}"
    issuer_name = "Mme Anne Martin, régisseuse titulaire"
    appeal_notice = (
        "Vous pouvez contester cette facture dans un délai de deux mois à compter de sa "
        "réception devant le tribunal administratif de Grenoble."
    )


class InvoiceKindFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InvoiceKind
        django_get_or_create = ("regie", "label")

    regie = factory.SubFactory(RegieFactory)
    label = "FACTURE JEUNESSE"


class InvoiceFactory(factory.django.DjangoModelFactory):
    """An issued invoice of February 2022 (issued 10/01/2022, due 09/02/2022).

    Pass ``lines=[{...}]`` (child_name, label, quantity, unit_price, optionally child, unit)
    to choose its lines; by default one line of 10 hours at 2,90 € (29,00 €); ``lines=[]``
    gives none. The total is the sum of the lines. Because an issued invoice and its lines
    never change (database triggers), the invoice is created as a draft, given its lines,
    then issued, as the services do. ``status="draft"`` leaves it a draft."""

    class Meta:
        model = Invoice

    regie = factory.SubFactory(RegieFactory)
    kind = factory.SubFactory(InvoiceKindFactory, regie=factory.SelfAttribute("..regie"))
    household = factory.SubFactory(HouseholdFactory)
    payer = factory.SubFactory(GuardianFactory, household=factory.SelfAttribute("..household"))
    payer_name = factory.LazyAttribute(lambda i: i.payer.full_name)
    payer_address = factory.LazyAttribute(lambda i: "\n".join(i.payer.address_lines))
    period_on = datetime.date(2022, 2, 1)
    status = Invoice.Status.ISSUED
    number = factory.Sequence(lambda n: f"F2022-{n + 1:05d}")
    issued_on = datetime.date(2022, 1, 10)
    due_on = datetime.date(2022, 2, 9)

    @classmethod
    def _create(cls, model_class, *args, lines=None, **kwargs):
        if lines is None:
            lines = [
                {
                    "child_name": "Léa Durand",
                    "label": "Accueil régulier",
                    "quantity": Decimal("10"),
                    "unit_price": Decimal("2.90"),
                }
            ]
        lines = [
            {
                "unit": InvoiceLine.Unit.HOUR,
                "amount": _line_amount(line["quantity"], line["unit_price"]),
                **line,
            }
            for line in lines
        ]
        status = kwargs.pop("status")
        number = kwargs.pop("number")
        issued_on = kwargs.pop("issued_on")
        kwargs.setdefault("total", sum((line["amount"] for line in lines), Decimal("0.00")))
        invoice = model_class.objects.create(
            *args, status=Invoice.Status.DRAFT, number="", issued_on=None, **kwargs
        )
        InvoiceLine.objects.bulk_create(
            InvoiceLine(invoice=invoice, position=position, **line)
            for position, line in enumerate(lines)
        )
        if status != Invoice.Status.DRAFT:
            invoice.status, invoice.number, invoice.issued_on = status, number, issued_on
            invoice.save(update_fields=["status", "number", "issued_on"])
        return invoice


class InvoiceLineFactory(factory.django.DjangoModelFactory):
    """A line of a draft invoice (the lines of an issued one never change)."""

    class Meta:
        model = InvoiceLine

    invoice = factory.SubFactory(InvoiceFactory, status=Invoice.Status.DRAFT, lines=[])
    child_name = "Léa Durand"
    label = "Accueil régulier"
    quantity = Decimal("10")
    unit = InvoiceLine.Unit.HOUR
    unit_price = Decimal("2.90")
    amount = factory.LazyAttribute(lambda line: _line_amount(line.quantity, line.unit_price))


class CreditNoteFactory(factory.django.DjangoModelFactory):
    """A credit note of 10,00 € wholly applied to its invoice. It does not change the
    invoice's ``amount_credited``: give the invoice the amounts the test needs."""

    class Meta:
        model = CreditNote

    invoice = factory.SubFactory(InvoiceFactory)
    regie = factory.SelfAttribute("invoice.regie")
    household = factory.SelfAttribute("invoice.household")
    payer = factory.SelfAttribute("invoice.payer")
    number = factory.Sequence(lambda n: f"AV2022-{n + 1:05d}")
    issued_on = datetime.date(2022, 2, 15)
    reason = "Absence pour maladie du 3 au 5 février 2022 (certificat médical)."
    amount = Decimal("10.00")
    applied_amount = factory.SelfAttribute("amount")


class PaymentFactory(factory.django.DjangoModelFactory):
    """A cheque of 29,00 € received on 05/02/2022. ``allocations=[(invoice, amount), …]``
    records how it settles invoices (and sets ``allocated_amount``); the invoices' own
    ``amount_paid`` and status are left as given."""

    class Meta:
        model = Payment
        skip_postgeneration_save = True

    regie = factory.SubFactory(RegieFactory)
    household = factory.SubFactory(HouseholdFactory)
    payer = factory.SubFactory(GuardianFactory, household=factory.SelfAttribute("..household"))
    method = PaymentMethod.CHEQUE
    amount = Decimal("29.00")
    received_on = datetime.date(2022, 2, 5)
    bank_reference = "Chèque n° 1234567"
    receipt_number = factory.Sequence(lambda n: f"R2022-{n + 1:05d}")

    @factory.post_generation
    def allocations(self, create, extracted, **kwargs):
        if not create or not extracted:
            return
        PaymentAllocation.objects.bulk_create(
            PaymentAllocation(payment=self, invoice=invoice, amount=amount)
            for invoice, amount in extracted
        )
        self.allocated_amount = sum((amount for _invoice, amount in extracted), Decimal("0.00"))
        self.save(update_fields=["allocated_amount"])
