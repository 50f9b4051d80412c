"""What the browser journeys share: logging in through the form, the axe-core check, and the
two families most journeys follow — Marie Durand (« Famille Durand », Léa), whose
FACTURE JEUNESSE 764 of February 2022 (29,00 €) is unpaid on a régie that takes PayFiP, and
Camille Martin (« Famille Martin »), whose régie takes direct debits."""

import datetime
import re
from decimal import Decimal

from portail.billing.models import InvoiceLine
from portail.billing.services import create_draft_invoice, create_regie, issue_invoices
from tests.direct_debits.factories import CreditorSettingsFactory
from tests.factories import (
    DEFAULT_PASSWORD,
    ChildFactory,
    GuardianFactory,
    HouseholdFactory,
    NurseryFactory,
    UserFactory,
)

FEBRUARY_2022 = datetime.date(2022, 2, 1)


def log_in(page, username, password=DEFAULT_PASSWORD, *, base=""):
    """Fill in the login form and press « Connexion »."""
    page.goto(base + "/connexion/")
    page.get_by_label("Identifiant ou adresse e-mail").fill(username)
    page.get_by_label(re.compile(r"^Mot de passe")).fill(password)
    page.get_by_role("button", name="Connexion").click()


def assert_accessible(axe, page, violations) -> int:
    """Run axe-core on the page; its report goes into ``violations`` under the page's URL."""
    results = axe.run(page)
    if results.violations_count:
        violations[page.url] = results.generate_report()
    return results.violations_count


def durand_family():
    """Marie Durand (login durand.marie) and her daughter Léa, at the nursery Pic et Plume."""
    household = HouseholdFactory(name="Famille Durand", nursery=NurseryFactory(name="Pic et Plume"))
    user = UserFactory(username="durand.marie", first_name="Marie", last_name="Durand")
    guardian = GuardianFactory(
        household=household, user=user, first_name="Marie", last_name="Durand"
    )
    child = ChildFactory(household=household, first_name="Léa", last_name="Durand")
    return guardian, child


def issue_february_invoice(regie, guardian, child, *, kind, number, quantity):
    """An invoice of February 2022 issued on 9 February: ``quantity`` hours at 2,50 €."""
    draft = create_draft_invoice(
        regie=regie,
        kind=regie.kinds.get(label=kind),
        household=guardian.household,
        payer=guardian,
        period_on=FEBRUARY_2022,
        lines=[
            {
                "child": child,
                "label": "Heures d'accueil",
                "quantity": Decimal(quantity),
                "unit": InvoiceLine.Unit.HOUR,
                "unit_price": Decimal("2.50"),
            }
        ],
    )
    return issue_invoices(
        invoices=[draft], issued_on=datetime.date(2022, 2, 9), numbers={draft.pk: number}
    )[0]


def durand_unpaid_invoice():
    """FACTURE JEUNESSE 764, 29,00 € unpaid, of Marie Durand, on a régie with PayFiP (test)."""
    guardian, child = durand_family()
    regie = create_regie(
        name="Régie Petite Enfance",
        payment_delay_days=28,
        payfip_client_number="123456",
        payfip_mode="T",
    )
    return issue_february_invoice(
        regie, guardian, child, kind="FACTURE JEUNESSE", number="764", quantity="11.6"
    )


def martin_family_with_direct_debit():
    """Camille Martin (login camille.martin), whose régie has its SEPA creditor settings."""
    regie = create_regie(name="Régie Petite Enfance")
    CreditorSettingsFactory(
        regie=regie,
        creditor_name="Régie Petite Enfance",
        creditor_address="Mairie\n1 place de la Mairie\n74990 Val-des-Tilleuls",
        rum_prefix="TILLEULS",
    )
    household = HouseholdFactory(name="Famille Martin")
    user = UserFactory(username="camille.martin", first_name="Camille", last_name="Martin")
    GuardianFactory(household=household, user=user, first_name="Camille", last_name="Martin")
    return user
