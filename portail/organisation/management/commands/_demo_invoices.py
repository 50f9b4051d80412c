"""The demo régie and a few months of invoices, for seed_demo.

Everything goes through the billing and payment services, so numbers, statuses, credit notes
and receipts are the real ones. Invoice PDFs are stored as each month is issued; the
« nouvelle facture » e-mails, receipts and credit note PDFs follow on commit, in the task
worker (`make run` starts it after seeding)."""

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from portail.billing.models import Invoice, InvoiceKind, InvoiceLine, Regie
from portail.billing.services import (
    create_credit_note,
    create_draft_invoice,
    create_regie,
    issue_invoices,
    store_invoice_pdf,
)
from portail.households.models import Child, Guardian, Household
from portail.payments.models import PaymentMethod
from portail.payments.services import record_payment

YOUTH = "FACTURE JEUNESSE"
AFTER_SCHOOL = "FACTURE PÉRISCOLAIRE"

REGIE_NAME = "Régie Petite Enfance de Val-des-Tilleuls"
REGIE = {
    "address": ("Mairie de Val-des-Tilleuls\n1 place de la Mairie\n74990 Val-des-Tilleuls"),
    "email": "regie@val-des-tilleuls.example",
    "phone": "04 50 00 00 30",
    "invoice_number_format": "F{year}-{number:05d}",
    "credit_note_number_format": "AV{year}-{number:05d}",
    "receipt_number_format": "R{year}-{number:05d}",
    "payment_delay_days": 30,
    "accepts_cesu": True,
    # Any 6-digit number works with the simulator; test mode as before an activation.
    "payfip_client_number": "123456",
    "payfip_mode": "T",
    "issuer_name": "Mme Sophie Garnier, régisseuse",
    "appeal_notice": (
        "Voies et délais de recours (texte de démonstration) : vous pouvez contester cette "
        "facture dans un délai de deux mois suivant sa réception devant le tribunal "
        "administratif de Grenoble (2 place de Verdun, BP 1135, 38022 Grenoble Cedex), y "
        "compris par l'application Télérecours citoyens (www.telerecours.fr), en application "
        "de l'article L. 1617-5 du code général des collectivités territoriales. Avant tout "
        "recours, vous pouvez adresser une réclamation écrite à la régie Petite Enfance de "
        "Val-des-Tilleuls. Une réclamation ou un recours ne dispense pas de payer les sommes "
        "non contestées."
    ),
    "payment_instructions": (
        "Guichet de la régie : mairie de Val-des-Tilleuls, bureau 4, du lundi au vendredi de "
        "8 h 30 à 12 h. Par courrier : Régie Petite Enfance, 1 place de la Mairie, 74990 "
        "Val-des-Tilleuls. En cas de difficulté de paiement, contactez la régie avant la date "
        "limite : un échéancier peut vous être proposé."
    ),
}

# A PSU hourly rate (taux d'effort × the family's income), fixed for the demo.
MARTIN_HOURLY_RATE = Decimal("1.95")
# Léa's contract hours, her extra hours and Hugo's contract hours, month by month.
MARTIN_HOURS = [
    (Decimal("136"), Decimal("0"), Decimal("148")),
    (Decimal("128"), Decimal("3.5"), Decimal("152")),
    (Decimal("140"), Decimal("6"), Decimal("144")),
    (Decimal("132"), Decimal("2"), Decimal("150")),
]
MUSIC_SESSION_PRICE = Decimal("6.50")
OTHER_HOUSEHOLDS_BILLED = 6


@dataclass
class Month:
    """A billed month: the period and the day the régie issued its invoices."""

    period_on: date
    issued_on: date

    def later(self, days: int, today: date) -> date:
        return min(self.issued_on + timedelta(days=days), today)


def billed_months(today: date, count: int) -> list[Month]:
    """The ``count`` months before this one, oldest first, each issued on the 5th of the
    following month (never in the future)."""
    months = []
    for back in range(count, 0, -1):
        period_on = add_months(today.replace(day=1), -back)
        issued_on = min(add_months(period_on, 1).replace(day=5), today)
        months.append(Month(period_on, issued_on))
    return months


def add_months(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return day.replace(year=year, month=month + 1)


def seed_regie() -> Regie:
    regie = Regie.objects.filter(name=REGIE_NAME).first()
    if regie is None:
        return create_regie(name=REGIE_NAME, **REGIE)
    if not regie.payfip_client_number:  # a demo seeded before PayFiP existed
        regie.payfip_client_number = REGIE["payfip_client_number"]
        regie.save(update_fields=["payfip_client_number"])
    return regie


def seed_family_codes(households: list[Household]) -> None:
    """« F0001 », « F0002 »…: the households' codes in the billing software, given once."""
    for number, household in enumerate(households, start=1):
        code = f"F{number:04d}"
        if household.external_code or Household.objects.filter(external_code=code).exists():
            continue
        household.external_code = code
        household.save(update_fields=["external_code"])


def daycare_lines(child: Child, hours: Decimal, extra_hours: Decimal, rate: Decimal) -> list:
    lines = [
        {
            "child": child,
            "label": "Accueil régulier — heures du contrat",
            "quantity": hours,
            "unit": InvoiceLine.Unit.HOUR,
            "unit_price": rate,
        }
    ]
    if extra_hours:
        lines.append(
            {
                "child": child,
                "label": "Heures complémentaires",
                "quantity": extra_hours,
                "unit": InvoiceLine.Unit.HOUR,
                "unit_price": rate,
            }
        )
    return lines


def seed_invoices(
    *, regie: Regie, households: list[Household], payer: Guardian, today: date, staff
) -> None:
    """Four months of « FACTURE JEUNESSE » for Famille Martin (paid by cheque; paid, then
    corrected by a credit note; partly paid in cash; unpaid), a « FACTURE PÉRISCOLAIRE » paid
    in cash, and last month's invoice for a few other households, half of them paid.
    Done once: a régie that has invoices is left as it is."""
    if regie.invoices.exists():
        return
    kinds = {kind.label: kind for kind in regie.kinds.all()}
    months = billed_months(today, len(MARTIN_HOURS))
    martin, others = households[0], households[1 : 1 + OTHER_HOUSEHOLDS_BILLED]
    lea, hugo = sorted(martin.children.all(), key=lambda child: child.birth_date)

    def martin_draft(kind: str, month: Month, lines: list) -> Invoice:
        return create_draft_invoice(
            regie=regie,
            kind=kinds[kind],
            household=martin,
            payer=payer,
            period_on=month.period_on,
            lines=lines,
            created_by=staff,
        )

    youth, music = [], None
    for month, (lea_hours, lea_extra, hugo_hours) in zip(months, MARTIN_HOURS, strict=True):
        lines = daycare_lines(lea, lea_hours, lea_extra, MARTIN_HOURLY_RATE) + daycare_lines(
            hugo, hugo_hours, Decimal("0"), MARTIN_HOURLY_RATE
        )
        youth.append(martin_draft(YOUTH, month, lines))
        to_issue = [youth[-1]]
        if month is months[2]:
            music = martin_draft(
                AFTER_SCHOOL,
                month,
                [
                    {
                        "child": lea,
                        "label": "Atelier d'éveil musical du mercredi",
                        "quantity": Decimal("4"),
                        "unit": InvoiceLine.Unit.UNIT,
                        "unit_price": MUSIC_SESSION_PRICE,
                    }
                ],
            )
            to_issue.append(music)
        if month is months[-1]:
            to_issue += draft_other_households(regie, kinds[YOUTH], others, month, staff)
        issue_invoices(invoices=to_issue, issued_on=month.issued_on, issued_by=staff)
        # Rendered now, as the worker would have on the day of issue, so that a PDF shows
        # nothing of the payments recorded below; the worker then only sends the e-mails.
        for invoice in to_issue:
            store_invoice_pdf(invoice_id=invoice.pk)

    def pay(invoice, method, days_later, month, amount=None, bank_reference=""):
        received_on = month.later(days_later, today)

        def record():
            fresh = Invoice.objects.get(pk=invoice.pk)
            record_payment(
                regie=regie,
                payer=fresh.payer,
                method=method,
                amount=amount or fresh.total,
                received_on=received_on,
                invoices=[fresh],
                bank_reference=bank_reference,
                recorded_by=staff,
            )

        return received_on, record

    def training_days_credit_note():
        # The nursery closed two days for staff training after the invoice was issued: the
        # avoir leaves the family a credit, since the invoice was already paid.
        create_credit_note(
            invoice=Invoice.objects.get(pk=youth[1].pk),
            amount=16 * MARTIN_HOURLY_RATE,
            reason=(
                "Fermeture exceptionnelle de la crèche Pic et Plume (formation du personnel) : "
                "2 journées d'accueil de Léa, soit 16 heures, déduites."
            ),
            created_by=staff,
            issued_on=months[1].later(20, today),
        )

    cheque, cash = PaymentMethod.CHEQUE, PaymentMethod.CASH
    events: list[tuple[date, Callable[[], None]]] = [
        pay(youth[0], cheque, 12, months[0], bank_reference="Chèque n° 0004512"),
        pay(youth[1], cheque, 9, months[1], bank_reference="Chèque n° 0004518"),
        (months[1].later(20, today), training_days_credit_note),
        pay(music, cash, 6, months[2]),
        pay(youth[2], cash, 15, months[2], amount=Decimal("200.00")),
    ]
    for number, household in enumerate(others[::2], start=1):
        invoice = Invoice.objects.get(household=household, period_on=months[-1].period_on)
        events.append(
            pay(
                invoice,
                cheque,
                3 + number,
                months[-1],
                bank_reference=f"Chèque n° 00071{number:02d}",
            )
        )
    # In the order they happened, so that receipt and credit note numbers follow the dates.
    for _day, event in sorted(events, key=lambda dated: dated[0]):
        event()


def draft_other_households(
    regie: Regie, kind: InvoiceKind, households: list[Household], month: Month, staff
) -> list[Invoice]:
    rng = random.Random(f"demo-invoices-{month.period_on}")  # noqa: S311 (made-up amounts)
    drafts = []
    for household in households:
        rate = Decimal(rng.randint(45, 320)) / 100
        lines = []
        for child in household.children.order_by("birth_date", "pk"):
            hours = Decimal(rng.randrange(60, 180, 4))
            lines += daycare_lines(child, hours, Decimal("0"), rate)
        drafts.append(
            create_draft_invoice(
                regie=regie,
                kind=kind,
                household=household,
                payer=household.guardians.order_by("pk").first(),
                period_on=month.period_on,
                lines=lines,
                created_by=staff,
            )
        )
    return drafts
