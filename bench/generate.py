"""A city's data for the benchmarks: households, children, invoices with their lines, payments,
SEPA mandates and news, with French names and plausible distributions.

    python bench/generate.py [--scale 1.0] [--seed 2026] [--no-append]

At ``--scale 1``: 100,000 households (one guardian with an account each, a second guardian in
40 % of them), 130,000 children (1 to 3 per household), 1,000,000 invoices (1 to 19 months per
household, one line per child plus a meals line in 30 % of them), 500,000 payments (the older
half of each household's invoices, paid in full: card, direct debit, cheque, CESU, cash,
transfer), 40,000 active mandates and 2,000 news, in 60 nurseries and one régie.
``--scale 0.01`` makes 1 % of everything.

Run alone, it creates a throwaway database (bench/_setup.py), fills it, prints how long each
table took and appends that to docs/benchmarks.md; bench/load.py calls ``generate()`` on its
own throwaway database.

Rows are built as model instances, so every field gets its default and its database value
exactly as Django would write it (encrypted IBANs included), then written by chunks of 2,000
households, one transaction each: PostgreSQL COPY (minutes for the full size), bulk_create on
SQLite. The billing triggers (portail/billing/migrations/0002) accept the order used: lines
first, while their invoice does not exist yet (the foreign keys are checked at commit), then
the issued invoices, whose total is already the sum of their lines."""

import argparse
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._setup import markdown_table, record, throwaway_database

# Every generated family's password (benchmarks only).
PASSWORD = "Portail-Bench-2026"  # noqa: S105
CHUNK_HOUSEHOLDS = 2000
FULL = {
    "households": 100_000,
    "children": 130_000,
    "invoices": 1_000_000,
    "payments": 500_000,
    "mandates": 40_000,
    "news": 2_000,
    "nurseries": 60,
}


def words(text: str, separator: str | None = None) -> list[str]:
    return text.split(separator)


FIRST_NAMES_F = words(
    "Camille Léa Manon Chloé Emma Inès Jade Louise Alice Lina Sarah Julie Marie Laura Pauline "
    "Anaïs Clara Zoé Lucie Mathilde Juliette Eva Margaux Océane Justine Charlotte Émilie Nora "
    "Elsa Romane Agathe Rose Ambre Mila Anna Lou Léna Sophie Claire Céline Nathalie Isabelle "
    "Sandrine Aurélie Hélène Fatima Yasmine Amira Salomé Maëlys"
)
FIRST_NAMES_M = words(
    "Lucas Hugo Louis Gabriel Arthur Jules Adam Raphaël Léo Nathan Tom Paul Théo Noah Ethan "
    "Maël Sacha Nolan Antoine Thomas Nicolas Julien Maxime Alexandre Romain Kevin Sébastien "
    "Mathieu Guillaume Pierre Olivier Florian Mehdi Karim Yanis Rayan Baptiste Clément Victor "
    "Martin Samuel Simon Benjamin Mathis Timéo Aaron Valentin Axel Eliott Noé"
)
LAST_NAMES = words(
    "Martin|Bernard|Thomas|Petit|Robert|Richard|Durand|Dubois|Moreau|Laurent|Simon|Michel|"
    "Lefebvre|Leroy|Roux|David|Bertrand|Morel|Fournier|Girard|Bonnet|Dupont|Lambert|Fontaine|"
    "Rousseau|Vincent|Muller|Lefèvre|Faure|André|Mercier|Blanc|Guérin|Boyer|Garnier|"
    "Chevalier|François|Legrand|Gauthier|Garcia|Perrin|Robin|Clément|Morin|Nicolas|Henry|"
    "Roussel|Mathieu|Gautier|Masson|Marchand|Duval|Denis|Dumont|Marie|Lemaire|Noël|Meyer|"
    "Dufour|Meunier|Brun|Blanchard|Giraud|Joly|Rivière|Lucas|Brunet|Gaillard|Barbier|Arnaud|"
    "Martinez|Gérard|Roche|Renard|Schmitt|Roy|Leroux|Colin|Vidal|Caron|Picard|Roger|Fabre|"
    "Aubert|Lemoine|Renaud|Dumas|Lacroix|Olivier|Philippe|Bourgeois|Pierre|Benoît|Rey|"
    "Leclerc|Payet|Rolland|Leclercq|Guillaume|Lecomte|Lopez|Jean|Dupuy|Guillot|Hubert|Berger|"
    "Carpentier|Sanchez|Dupuis|Moulin|Louis|Deschamps|Huet|Vasseur|Perez|Boucher|Fleury|"
    "Royer|Klein|Jacquet|Adam|Paris|Poirier|Marty|Aubry|Guyot|Carré|Charles|Renault|"
    "Charpentier|Ménard|Maillard|Baron|Bertin|Bailly|Hervé|Schneider|Fernandez|Le|Gall|"
    "Collet|Léger|Bouvier|Julien|Prévost|Millet|Perrot|Daniel|Le|Roux|Cousin|Germain|Breton|"
    "Besson|Langlois|Rémy|Le|Goff|Pelletier|Lévêque|Perrier|Leblanc|Barré|Lebrun|Marchal|"
    "Weber|Mallet|Hamon|Boulanger|Jacob|Monnier|Michaud|Rodriguez|Guichard|Gillet|Étienne|"
    "Grondin|Poulain|Tessier|Chevallier|Collin|Chauvin|Da|Silva|Bouchet|Gay|Lemaître|Bénard|"
    "Marécha|Humbert|Reynaud|Antoine|Hoarau|Perret|Barthélemy|Cordier|Pichon|Lejeune|Gilbert|"
    "Lamy|Delaunay|Pasquier|Carlier|Laporte|Benali|Haddad|Diallo|Nguyen",
    "|",
)
STREETS = words(
    "rue de la République|rue Victor Hugo|avenue Jean Jaurès|rue Pasteur|rue des Écoles|"
    "place de la Mairie|rue du Moulin|chemin des Vignes|allée des Tilleuls|rue de la Gare|"
    "boulevard Gambetta|rue Jules Ferry|impasse des Lilas|rue du Stade|"
    "avenue de la Libération|rue des Acacias|rue Nationale|quai des Bateliers|rue Émile Zola|"
    "route de Lyon",
    "|",
)
NURSERY_NAMES = words(
    "Pic et Plume|Les Petits Loups|La Ribambelle|Les Lucioles|Les Coccinelles|"
    "Les Hirondelles|Les Marmousets|Le Jardin d'Éveil|Les P'tits Mousses|Les Canailloux|"
    "Les Écureuils|La Maison des Doudous|Les Papillons|Arc-en-ciel|Les Farfadets",
    "|",
)
NEWS_TITLES = words(
    "Fermeture estivale des crèches|Réunion d'information des familles|Fête de fin d'année|"
    "Nouveaux tarifs au 1er janvier|Semaine du goût|Campagne de vaccination|"
    "Spectacle de Noël|Travaux dans la cour|Carnaval des tout-petits|Pont de l'Ascension|"
    "Inscriptions rentrée|Atelier parents-enfants|Sortie à la ferme pédagogique|"
    "Journée pédagogique",
    "|",
)
PAYMENT_METHODS = (
    ("card_online", 45),
    ("direct_debit", 30),
    ("cheque", 10),
    ("cesu", 5),
    ("cash", 5),
    ("transfer", 5),
)
HOURLY_RATE = Decimal("1.95")
MEAL_PRICE = Decimal("2.40")


def ascii_slug(text: str) -> str:
    import unicodedata

    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum())


def french_iban(rng: random.Random) -> str:
    """A valid French IBAN (RIB key and IBAN check digits right), of a made-up account."""
    bank, branch = f"{rng.randrange(10000, 99999)}", f"{rng.randrange(10000, 99999)}"
    account = f"{rng.randrange(10**10, 10**11)}"
    key = 97 - ((89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97)
    bban = f"{bank}{branch}{account}{key:02d}"
    check = 98 - int(bban + "152700") % 97  # "FR00" with letters as numbers: F=15, R=27
    return f"FR{check:02d}{bban}"


def add_months(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return day.replace(year=year, month=month + 1)


@dataclass
class Counts:
    scale: float
    sizes: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)
    rows: dict = field(default_factory=dict)

    def target(self, name: str) -> int:
        return max(1, round(FULL[name] * self.scale))


class Loader:
    """Writes model instances: COPY on PostgreSQL, bulk_create on SQLite. Primary keys are
    given here (sequences reset at the end) so that rows can point at each other before they
    are written."""

    def __init__(self):
        from django.db import connection

        self.connection = connection
        self.next_ids: dict = {}
        self.counts: dict[str, int] = {}
        self.seconds: dict[str, float] = {}

    def new_id(self, model) -> int:
        if model not in self.next_ids:
            last = model.objects.order_by("-pk").values_list("pk", flat=True).first()
            self.next_ids[model] = (last or 0) + 1
        value = self.next_ids[model]
        self.next_ids[model] += 1
        return value

    def write(self, model, objects: list) -> None:
        if not objects:
            return
        started = time.perf_counter()
        if self.connection.vendor == "postgresql":
            fields = model._meta.concrete_fields
            columns = ", ".join(self.connection.ops.quote_name(f.column) for f in fields)
            table = self.connection.ops.quote_name(model._meta.db_table)
            with (
                self.connection.cursor() as cursor,
                cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
            ):
                for obj in objects:
                    copy.write_row(
                        [f.get_db_prep_save(f.pre_save(obj, True), self.connection) for f in fields]
                    )
        else:
            model.objects.bulk_create(objects, batch_size=500)
        name = model._meta.label
        self.counts[name] = self.counts.get(name, 0) + len(objects)
        self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started

    def finish(self) -> None:
        from django.core.management.color import no_style

        with self.connection.cursor() as cursor:
            for statement in self.connection.ops.sequence_reset_sql(no_style(), self.next_ids):
                cursor.execute(statement)
            if self.connection.vendor == "postgresql":
                cursor.execute("ANALYZE")


def mandate_model():
    """B's Mandate, when this release has it."""
    try:
        from portail.direct_debits.models import Mandate
    except ImportError:
        return None
    return Mandate


def generate(*, scale: float = 1.0, seed: int = 2026, password_hash: str | None = None) -> dict:
    """Fill the current database; returns the counts and seconds per table, and the
    usernames of the families (for the load benchmark)."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from portail.accounts.models import User
    from portail.billing.models import Invoice, InvoiceLine
    from portail.billing.services import create_regie
    from portail.households.models import Child, Guardian, Household, HouseholdChild
    from portail.nurseries.models import Nursery
    from portail.payments.models import Payment, PaymentAllocation

    rng = random.Random(seed)
    counts = Counts(scale=scale)
    loader = Loader()
    started = time.perf_counter()
    now = timezone.now()
    this_month = timezone.localdate().replace(day=1)
    password_hash = password_hash or make_password(PASSWORD)

    nurseries = []
    for number in range(counts.target("nurseries")):
        name = NURSERY_NAMES[number % len(NURSERY_NAMES)]
        suffix = f" {number // len(NURSERY_NAMES) + 1}" if number >= len(NURSERY_NAMES) else ""
        nurseries.append(
            Nursery.objects.create(
                name=f"Crèche {name}{suffix}",
                address=f"{number + 1} {rng.choice(STREETS)}\n74000 Val-des-Tilleuls",
            )
        )
    regie = create_regie(
        name="Régie Petite Enfance (banc d'essai)",
        address="1 place de la Mairie\n74000 Val-des-Tilleuls",
        invoice_number_format="F{year}-{number:07d}",
        accepts_card_online=True,
        payfip_client_number="123456",
        payfip_mode="T",
    )
    kinds = list(regie.kinds.all())
    Mandate = mandate_model()

    households_total = counts.target("households")
    # Children per household 1, 2 or 3 so that the city has children/households ≈ 1.3.
    extra_children_share = counts.target("children") / households_total - 1
    invoices_per_household = counts.target("invoices") / households_total  # 10 on average
    mandate_share = counts.target("mandates") / households_total
    usernames = []
    invoice_number = receipt_number = mandate_number = 0
    methods = [method for method, weight in PAYMENT_METHODS for _ in range(weight)]

    for first in range(0, households_total, CHUNK_HOUSEHOLDS):
        batch = {model: [] for model in (User, Household, Guardian, Child, HouseholdChild)}
        lines, invoices, payments, allocations, mandates = [], [], [], [], []
        for number in range(first, min(first + CHUNK_HOUSEHOLDS, households_total)):
            last_name = rng.choice(LAST_NAMES)
            is_mother = rng.random() < 0.7
            first_name = rng.choice(FIRST_NAMES_F if is_mother else FIRST_NAMES_M)
            nursery = nurseries[number % len(nurseries)]
            username = f"{ascii_slug(first_name)}.{ascii_slug(last_name)}.{number}"
            user = User(
                pk=loader.new_id(User),
                username=username,
                email=f"{username}@example.fr",
                first_name=first_name,
                last_name=last_name,
                password=password_hash,
                password_changed_at=now,
            )
            usernames.append(username)
            street = f"{rng.randrange(1, 120)} {rng.choice(STREETS)}"
            household = Household(
                pk=loader.new_id(Household),
                name=f"Famille {last_name}",
                address_line1=street,
                postal_code="74000",
                city="Val-des-Tilleuls",
                nursery=nursery,
                external_code=f"FAM{number:07d}",
                paperless_invoices=rng.random() < 0.6,
            )
            guardian = Guardian(
                pk=loader.new_id(Guardian),
                household=household,
                user=user,
                civility="mme" if is_mother else "m",
                first_name=first_name,
                last_name=last_name,
                birth_date=date(rng.randrange(1978, 2001), rng.randrange(1, 13), 15),
                email=user.email,
                mobile_phone=f"06 {rng.randrange(10, 99)} {rng.randrange(10, 99)} "
                f"{rng.randrange(10, 99)} {rng.randrange(10, 99)}",
            )
            batch[User].append(user)
            batch[Household].append(household)
            batch[Guardian].append(guardian)
            if rng.random() < 0.4:
                batch[Guardian].append(
                    Guardian(
                        pk=loader.new_id(Guardian),
                        household=household,
                        civility="m" if is_mother else "mme",
                        first_name=rng.choice(FIRST_NAMES_M if is_mother else FIRST_NAMES_F),
                        last_name=last_name,
                    )
                )
            children = []
            count = (
                1
                + (rng.random() < extra_children_share * 0.8)
                + (rng.random() < extra_children_share * 0.2)
            )
            for _ in range(count):
                child = Child(
                    pk=loader.new_id(Child),
                    first_name=rng.choice(FIRST_NAMES_F + FIRST_NAMES_M),
                    last_name=last_name,
                    birth_date=this_month - timedelta(days=rng.randrange(90, 3 * 365)),
                    nursery=nursery,
                )
                children.append(child)
                batch[Child].append(child)
                batch[HouseholdChild].append(
                    HouseholdChild(
                        pk=loader.new_id(HouseholdChild), household=household, child=child
                    )
                )
            months = max(1, min(19, round(rng.gauss(invoices_per_household, 4))))
            payer_name = f"{'Mme' if is_mother else 'M.'} {first_name} {last_name}"
            for back in range(months, 0, -1):
                period_on = add_months(this_month, -back)
                issued_on = add_months(period_on, 1).replace(day=5)
                invoice_number += 1
                invoice = Invoice(
                    pk=loader.new_id(Invoice),
                    regie=regie,
                    kind=kinds[0] if back % 6 else kinds[-1],
                    number=f"F{issued_on.year}-{invoice_number:07d}",
                    status=Invoice.Status.ISSUED,
                    household=household,
                    payer=guardian,
                    payer_name=payer_name,
                    payer_address=f"{street}\n74000 Val-des-Tilleuls",
                    period_on=period_on,
                    issued_on=issued_on,
                    due_on=issued_on + timedelta(days=30),
                    notified_at=now,
                )
                total = Decimal("0.00")
                for position, child in enumerate(children):
                    hours = Decimal(rng.randrange(40, 180))
                    amount = (hours * HOURLY_RATE).quantize(Decimal("0.01"))
                    total += amount
                    lines.append(
                        InvoiceLine(
                            pk=loader.new_id(InvoiceLine),
                            invoice=invoice,
                            child=child,
                            child_name=f"{child.first_name} {child.last_name}",
                            label="Accueil régulier — heures du contrat",
                            quantity=hours,
                            unit="hour",
                            unit_price=HOURLY_RATE,
                            amount=amount,
                            position=position,
                        )
                    )
                if rng.random() < 0.3:
                    meals = Decimal(rng.randrange(8, 22))
                    amount = (meals * MEAL_PRICE).quantize(Decimal("0.01"))
                    total += amount
                    lines.append(
                        InvoiceLine(
                            pk=loader.new_id(InvoiceLine),
                            invoice=invoice,
                            label="Repas",
                            quantity=meals,
                            unit="meal",
                            unit_price=MEAL_PRICE,
                            amount=amount,
                            position=len(children),
                        )
                    )
                invoice.total = total
                # The older half of the household's invoices are paid.
                if back > months / 2:
                    receipt_number += 1
                    invoice.status = Invoice.Status.PAID
                    invoice.amount_paid = total
                    payment = Payment(
                        pk=loader.new_id(Payment),
                        regie=regie,
                        household=household,
                        payer=guardian,
                        method=rng.choice(methods),
                        amount=total,
                        allocated_amount=total,
                        received_on=issued_on + timedelta(days=rng.randrange(2, 28)),
                        receipt_number=f"R{issued_on.year}-{receipt_number:07d}",
                    )
                    payments.append(payment)
                    allocations.append(
                        PaymentAllocation(
                            pk=loader.new_id(PaymentAllocation),
                            payment=payment,
                            invoice=invoice,
                            amount=total,
                        )
                    )
                invoices.append(invoice)
            if Mandate is not None and rng.random() < mandate_share:
                mandate_number += 1
                iban = french_iban(rng)
                signed_at = now - timedelta(days=rng.randrange(30, 900))
                mandates.append(
                    Mandate(
                        pk=loader.new_id(Mandate),
                        regie=regie,
                        household=household,
                        payer=guardian,
                        rum=f"PFBENCH{mandate_number:010d}",
                        status="active",
                        holder_name=payer_name[:70],
                        holder_address=f"{street}\n74000 Val-des-Tilleuls",
                        iban=iban,
                        iban_last4=iban[-4:],
                        bic="CCBPFRPPANN",
                        next_sequence="RCUR",
                        signed_at=signed_at,
                        signed_by=user,
                        code_verified_at=signed_at,
                        effective_on=signed_at.date(),
                        created_at=signed_at,
                    )
                )
        with transaction.atomic():
            for model, objects in batch.items():
                loader.write(model, objects)
            # Lines before their invoices: the trigger lets lines in while the invoice is
            # not there yet; the foreign key is checked at commit.
            loader.write(InvoiceLine, lines)
            loader.write(Invoice, invoices)
            loader.write(Payment, payments)
            loader.write(PaymentAllocation, allocations)
            if Mandate is not None:
                loader.write(Mandate, mandates)

    generate_news(loader, counts, rng, nurseries)
    loader.finish()
    return {
        "scale": scale,
        "rows": dict(loader.counts),
        "seconds": dict(loader.seconds),
        "total_seconds": time.perf_counter() - started,
        "usernames": usernames,
        "has_mandates": Mandate is not None,
    }


def generate_news(loader: Loader, counts: Counts, rng: random.Random, nurseries) -> None:
    try:
        from portail.content.models import News
    except ImportError:
        return
    from django.db import transaction
    from django.utils import timezone

    now = timezone.now()
    news = []
    for number in range(counts.target("news")):
        published = now - timedelta(days=number * 1460 / counts.target("news"))
        title = rng.choice(NEWS_TITLES)
        news.append(
            News(
                pk=loader.new_id(News),
                title=f"{title} ({published:%d/%m/%Y})",
                body=f"<p>{title} : toutes les informations pour les familles.</p>",
                for_all_families=True,
                publish_at=published,
            )
        )
    with transaction.atomic():
        loader.write(News, news)


def report(result: dict) -> str:
    names = {
        "accounts.User": "Accounts (users)",
        "households.Household": "Households",
        "households.Guardian": "Guardians",
        "households.Child": "Children",
        "households.HouseholdChild": "Household–child links",
        "billing.InvoiceLine": "Invoice lines",
        "billing.Invoice": "Invoices (issued or paid)",
        "payments.Payment": "Payments",
        "payments.PaymentAllocation": "Payment allocations",
        "direct_debits.Mandate": "SEPA mandates (active)",
        "content.News": "News",
    }
    rows = [
        [
            names.get(label, label),
            f"{count:,}",
            f"{result['seconds'][label]:.1f}",
            f"{count / result['seconds'][label]:,.0f}" if result["seconds"][label] else "-",
        ]
        for label, count in result["rows"].items()
    ]
    table = markdown_table(["Table", "Rows", "Seconds writing", "Rows per second"], rows)
    return (
        f"Scale {result['scale']:g} of the city; whole generation (building the rows included) "
        f"{result['total_seconds']:.0f} s.\n\n{table}"
    )


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 100,000 households")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-append", action="store_true", help="do not write docs/")
    options = parser.parse_args(argv)
    with throwaway_database():
        result = generate(scale=options.scale, seed=options.seed)
        section = record(
            title=f"City data generator, scale {options.scale:g}",
            command=f"python bench/generate.py --scale {options.scale:g}",
            body=report(result),
            append=not options.no_append,
        )
    print(section)
    return section


if __name__ == "__main__":
    main()
