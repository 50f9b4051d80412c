"""A rich family A (everything a household can own), a family B, and the discovery of every
row of household data through the app registry, so that models added later are covered."""

import datetime
import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q

from portail.audit.services import household_paths
from tests.factories import CreditNoteFactory, InvoiceFactory, PaymentFactory
from tests.lib.pdf_samples import build_pdf
from tests.portal.families import Family, make_family

logger = logging.getLogger(__name__)

# A surname found in no fixture list: any page or file showing it shows family A's data.
MARKER_A = "Zorglubien"
MARKER_B = "Quenottier"
# A real (parseable) one-page PDF: uploads are checked by structure with pypdf.
PDF = build_pdf()


@dataclass
class RichFamily:
    family: Family
    built: list[str] = field(default_factory=list)  # what the builder made
    failed: dict[str, str] = field(default_factory=dict)  # part → why it could not be built
    # Secrets issued to family A that URLs carry (kwarg → values), e.g. an account link.
    secrets: dict[str, list] = field(default_factory=dict)

    def __getattr__(self, name):
        return getattr(self.family, name)


def _part(rich: RichFamily, name: str, build) -> None:
    """Build one part of the family; a part whose factory fails is recorded, not fatal (the
    matrix then reports the models it leaves uncovered)."""
    try:
        with transaction.atomic():
            build()
    except Exception as error:  # a helper's model changed under us: report it, go on
        rich.failed[name] = f"{type(error).__name__}: {error}"[:300]
    else:
        rich.built.append(name)


def make_rich_family(name: str) -> RichFamily:
    family = make_family(name=name, children=2, contacts=2)
    rich = RichFamily(family)
    household, guardian, user = family.household, family.guardian, family.user
    state: dict = {}

    def billing():
        from portail.billing.services import create_regie

        regie = create_regie(
            name=f"Régie {name}",
            email=f"regie.{name.lower()}@example.fr",
            accepts_card_online=True,
            payfip_client_number="123456",
            payfip_mode="T",
        )
        kind = regie.kinds.first()
        lines = [
            {
                "child_name": f"{family.child.first_name} {name}",
                "label": "Accueil régulier",
                "quantity": Decimal("10"),
                "unit_price": Decimal("2.90"),
            }
        ]
        paid = InvoiceFactory(
            regie=regie, kind=kind, household=household, payer=guardian, lines=lines,
            number=f"F2022-{name[:3].upper()}01",
        )  # fmt: skip
        due = InvoiceFactory(
            regie=regie, kind=kind, household=household, payer=guardian, lines=lines,
            number=f"F2022-{name[:3].upper()}02", due_on=datetime.date.today(),
        )  # fmt: skip
        CreditNoteFactory(
            invoice=paid, amount=Decimal("5.00"), applied_amount=Decimal("5.00"),
            number=f"AV2022-{name[:3].upper()}01",
        )  # fmt: skip
        PaymentFactory(
            regie=regie, household=household, payer=guardian, amount=Decimal("24.00"),
            received_on=datetime.date(2022, 2, 5), allocations=[(paid, Decimal("24.00"))],
            receipt_number=f"R2022-{name[:3].upper()}01",
        )  # fmt: skip
        state.update(regie=regie, paid=paid, due=due)

    def online_payment():
        from portail.payments.models import OnlinePayment

        due = state["due"]
        # No idop: the return page shows the attempt without asking PayFiP anything.
        OnlinePayment.objects.create(
            invoice=due, regie=due.regie, started_by=user, amount=due.total,
            email=user.email, refdet=due.number.replace("-", ""), exer="2022", mode="T",
        )  # fmt: skip

    def mandates():
        from portail.direct_debits.services.mandates import request_mandate
        from tests.direct_debits.factories import (
            OTHER_IBAN,
            CreditorSettingsFactory,
            MandateFactory,
        )

        regie = state["regie"]
        if not regie.accepts_direct_debit:
            regie.accepts_direct_debit = True
            regie.save(update_fields=["accepts_direct_debit"])
        CreditorSettingsFactory(regie=regie)
        mandate = MandateFactory(regie=regie, payer=guardian, household=household)
        mandate.pdf.save("mandat.pdf", ContentFile(PDF))
        # A change of account waiting for its signature code (the signature pages).
        request_mandate(
            user=user, payer=guardian, regie=regie, holder_name=f"Marie {name}",
            holder_address="12 rue des Écoles\n75000 Ma commune", iban=OTHER_IBAN,
            replaces=mandate,
        )  # fmt: skip

    def requests():
        from portail.households import services
        from portail.households.models import RequestKind
        from portail.households.uploads import CheckedUpload

        services.submit_request(
            household=household, kind=RequestKind.DOCUMENT, submitted_by=user,
            payload={"title": f"Carnet de vaccination {name}"},
            upload=CheckedUpload(
                content=PDF, mimetype="application/pdf", extension="pdf",
                display_name="vaccins.pdf",
            ),
        )  # fmt: skip
        services.submit_request(
            household=household, kind=RequestKind.MESSAGE, submitted_by=user,
            payload={"subject": "Sortie au parc", "message": f"{name} partira à 16 h."},
        )  # fmt: skip
        # A question about an invoice (Request.invoice): its page lists it, with its lines.
        due = state["due"]
        disputed = due.lines.first()
        services.submit_request(
            household=household, kind=RequestKind.INVOICE, submitted_by=user, invoice=due,
            payload={
                "message": f"Les heures de {name} ne correspondent pas.",
                "lines": [{"label": disputed.label, "child_name": disputed.child_name,
                           "amount": str(disputed.amount)}],
            },
        )  # fmt: skip

    def notifications():
        from portail.notifications.models import Notification, NotificationCategory

        Notification.objects.create(
            recipient=user, household=household, category=NotificationCategory.INVOICE,
            label=state["due"].number, url="/mes-factures/", delivery="never",
        )  # fmt: skip

    def history():
        from portail.households.services.changes import record_absence, update_household_address

        record_absence(
            child=family.child, household=household, starts_on=datetime.date(2026, 3, 2),
            ends_on=datetime.date(2026, 3, 4), reason="illness", recorded_by=user,
        )  # fmt: skip
        update_household_address(
            household=household, changed_by=user, address_line1=f"4 rue {name}"
        )  # fmt: skip

    def preferences():
        from portail.notifications.models import NotificationCategory, NotificationPreference

        NotificationPreference.objects.create(
            user=user, category=NotificationCategory.NEWS, delivery="never"
        )

    def account_link():
        from portail.accounts.models import AccountLink
        from portail.accounts.services import issue_account_link

        _link, token = issue_account_link(user=user, purpose=AccountLink.Purpose.PASSWORD_RESET)
        rich.secrets["token"] = [token]

    for part, build in [
        ("account link", account_link),
        ("absence and history", history),
        ("notification preferences", preferences),
        ("billing", billing),
        ("online payment", online_payment),
        ("mandates", mandates),
        ("requests", requests),
        ("notifications", notifications),
    ]:
        _part(rich, part, build)
    return rich


def household_models() -> list:
    """Every model holding household data (found through the app registry), and the user
    model's satellites (rows pointing at a family account)."""
    return [model for model in apps.get_models() if household_paths(model)]


def user_satellite_models() -> list:
    user_model = get_user_model()
    found = [user_model]
    for model in apps.get_models():
        if model is user_model or household_paths(model):
            continue
        if any(
            (f.many_to_one or f.one_to_one) and f.related_model is user_model and not f.auto_created
            for f in model._meta.get_fields()
        ):
            found.append(model)
    return found


def objects_of(family: Family) -> dict:
    """Every row of the family's data, by model: household data and the account's satellites."""
    rows = {}
    for model in household_models():
        condition = Q()
        for path in household_paths(model):
            condition |= Q(**{path: family.household.pk})
        rows[model] = list(model._default_manager.filter(condition).distinct())
    user_model = get_user_model()
    for model in user_satellite_models():
        if model is user_model:
            rows[model] = [family.user]
            continue
        condition = Q()
        for f in model._meta.get_fields():
            linked = (f.many_to_one or f.one_to_one) and f.related_model is user_model
            if linked and not f.auto_created:
                condition |= Q(**{f.name: family.user.pk})
        rows[model] = list(model._default_manager.filter(condition).distinct())
    return rows
