"""Seed a fictional town for the demo: Val-des-Tilleuls, two nurseries, twenty households,
one demo family whose activation is done, two staff accounts with their second factor, and
the régie with a few months of invoices, payments and a credit note (``_demo_invoices``).

Idempotent: rows are found by fixed references and created only when missing, so running it
again changes nothing (edits made in the back office are kept); the demo logins alone are
restored, so that the credentials it prints always work."""

import random
import unicodedata
import uuid
from base64 import b32encode
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from portail.accounts.services import accept_terms, ensure_account, invite_guardian
from portail.households.models import (
    Child,
    Civility,
    Contact,
    Guardian,
    Household,
    HouseholdChild,
)
from portail.nurseries.models import Nursery
from portail.organisation.models import Organisation, TermsVersion
from portail.organisation.services import draft_terms_version, publish_terms

from ._demo_content import seed_content
from ._demo_direct_debits import seed_direct_debits
from ._demo_invoices import seed_family_codes, seed_invoices, seed_regie
from ._demo_notifications import seed_notifications
from ._demo_requests import seed_requests
from ._demo_security import seed_security

User = get_user_model()

SEED = 2026
NAMESPACE = uuid.UUID("6f1b1a52-1b8e-4a43-9a55-6d1f3c0f5e21")
TOWN = "Val-des-Tilleuls"
POSTAL_CODE = "74990"
HOUSEHOLD_COUNT = 20

# Demo logins, printed on purpose: the demo is useless without them. Never a real account.
DEMO_IDENTIFIER = "camille.martin"
DEMO_PASSWORD = "Demo-Portail-2026"  # noqa: S105
ADMIN_IDENTIFIER = "admin"
ADMIN_PASSWORD = "Tilleuls-Gestion-2026"  # noqa: S105
# Fixed demo secrets (20 bytes each), so the printed secret never changes. Demo only.
ADMIN_TOTP_KEY = b"portail-famille-demo".hex()
NURSERY_STAFF_IDENTIFIER = "nadia.lefevre"
NURSERY_STAFF_PASSWORD = "PicEtPlume-Creche-2026"  # noqa: S105
NURSERY_STAFF_TOTP_KEY = b"pic-et-plume-demo-02".hex()

ORGANISATION = {
    "town_name": TOWN,
    "address": f"Mairie de {TOWN}\n1 place de la Mairie\n{POSTAL_CODE} {TOWN}",
    "service_name": "Service Petite Enfance",
    "service_email": "petite-enfance@val-des-tilleuls.example",
    "service_phone": "04 50 00 00 00",
    "noreply_email": "nepasrepondre@val-des-tilleuls.example",
}

NURSERIES = [
    {
        "name": "Pic et Plume",
        "email": "picetplume@val-des-tilleuls.example",
        "phone": "04 50 00 00 11",
        "director": "Nadia Lefèvre",
        "address": f"12 rue des Mésanges\n{POSTAL_CODE} {TOWN}",
    },
    {
        "name": "Loptiou",
        "email": "loptiou@val-des-tilleuls.example",
        "phone": "04 50 00 00 22",
        "director": "Karim Benali",
        "address": f"3 chemin du Moulin\n{POSTAL_CODE} {TOWN}",
    },
]

TERMS_TEXT = f"""\
Article 1 — Objet
Les présentes conditions générales d'utilisation (CGU) encadrent l'utilisation du Portail \
Famille de la commune de {TOWN}, service en ligne proposé par le Service Petite Enfance aux \
familles dont un enfant est accueilli dans l'une des structures municipales.

Article 2 — Accès au portail
L'accès est réservé aux représentants légaux invités par le Service Petite Enfance. Chacun \
dispose d'un identifiant personnel et choisit son mot de passe, qu'il garde secret. Toute \
action effectuée avec ces identifiants est réputée faite par leur titulaire.

Article 3 — Données personnelles
Les informations de votre foyer sont traitées par la commune pour la gestion de l'accueil de \
vos enfants, la facturation et la communication avec les familles. Vous pouvez les consulter \
dans « MON ESPACE » et demander leur rectification auprès de la structure d'accueil. Vous \
disposez d'un droit d'accès, de rectification et de limitation, que vous exercez auprès du \
Service Petite Enfance ; vous pouvez aussi saisir la CNIL.

Article 4 — Engagements de l'utilisateur
Vous vous engagez à fournir des informations exactes, à signaler tout changement de \
situation et à ne pas tenter d'accéder aux informations d'autres familles.

Article 5 — Disponibilité et évolution
La commune s'efforce d'assurer l'accès au portail à tout moment, sans pouvoir le garantir. \
Les présentes CGU peuvent évoluer : une nouvelle version vous est alors présentée à votre \
prochaine connexion et doit être acceptée pour continuer à utiliser le portail.
"""

FEMALE_NAMES = [
    "Camille", "Julie", "Sarah", "Émilie", "Claire", "Aurélie", "Laura", "Manon", "Pauline",
    "Élodie", "Marion", "Chloé", "Inès", "Amandine", "Céline", "Sophie", "Nadia", "Fatima",
    "Hélène", "Lucie",
]  # fmt: skip
MALE_NAMES = [
    "Thomas", "Nicolas", "Julien", "Maxime", "Antoine", "Romain", "Mathieu", "Sébastien",
    "Kévin", "Guillaume", "Yann", "Mehdi", "Alexandre", "Benoît", "Olivier", "Damien",
    "Jérôme", "Karim", "Vincent", "Florian",
]  # fmt: skip
CHILD_NAMES = {
    Civility.MADAME: [
        "Léa", "Jade", "Louise", "Emma", "Alice", "Ambre", "Lina", "Rose", "Mia", "Anna",
        "Chloé", "Léna", "Inaya", "Julia", "Zoé", "Romane", "Agathe", "Iris", "Nina", "Margaux",
    ],
    Civility.MONSIEUR: [
        "Gabriel", "Léo", "Raphaël", "Louis", "Arthur", "Jules", "Adam", "Maël", "Lucas",
        "Hugo", "Noah", "Sacha", "Gabin", "Nathan", "Aaron", "Tom", "Paul", "Timéo", "Nino",
        "Ethan",
    ],
}  # fmt: skip
SURNAMES = [
    "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
    "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent",
    "Fournier", "Morel", "Girard", "André", "Mercier", "Dupont", "Lambert", "Bonnet",
    "François", "Martinez", "Haddad", "Nguyen",
]  # fmt: skip
STREETS = [
    "rue des Lilas", "allée des Érables", "chemin des Vignes", "avenue de la Gare",
    "rue du Lavoir", "impasse des Cerisiers", "route de la Forêt", "place du Marché",
    "rue Jean-Jaurès", "rue de l'École", "allée des Tilleuls", "chemin des Prés",
]  # fmt: skip
RELATIONSHIPS = [
    ("grand-mère", Civility.MADAME, True),
    ("grand-père", Civility.MONSIEUR, True),
    ("tante", Civility.MADAME, True),
    ("oncle", Civility.MONSIEUR, False),
    ("voisine", Civility.MADAME, False),
    ("marraine", Civility.MADAME, True),
    ("parrain", Civility.MONSIEUR, False),
]


@dataclass
class PersonData:
    reference: uuid.UUID
    fields: dict


@dataclass
class HouseholdData:
    reference: uuid.UUID
    fields: dict
    guardians: list[PersonData] = field(default_factory=list)
    children: list[PersonData] = field(default_factory=list)
    contacts: list[PersonData] = field(default_factory=list)


def reference(name: str) -> uuid.UUID:
    """A fixed reference per demo row, so that a second run finds what the first made."""
    return uuid.uuid5(NAMESPACE, name)


def ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return plain.lower().replace(" ", "-").replace("'", "")


class DemoData:
    """The whole demo, drawn from one seeded generator before anything touches the database,
    so the same run always describes the same town."""

    def __init__(self, today: date):
        self.rng = random.Random(SEED)  # noqa: S311 (made-up names, not secrets)
        self.today = today
        self.emails: set[str] = set()

    def phone(self, prefix: str) -> str:
        # ARCEP numbers reserved for fiction: 06 39 98 xx xx and 04 65 71 xx xx.
        return f"{prefix} {self.rng.randint(0, 99):02d} {self.rng.randint(0, 99):02d}"

    def email(self, first_name: str, last_name: str) -> str:
        base = f"{ascii_slug(first_name)}.{ascii_slug(last_name)}"
        candidate, number = f"{base}@example.fr", 1
        while candidate in self.emails:
            number += 1
            candidate = f"{base}{number}@example.fr"
        self.emails.add(candidate)
        return candidate

    def birth_date(self, min_months: int, max_months: int) -> date:
        return self.today - timedelta(days=self.rng.randint(min_months * 30, max_months * 30))

    def households(self, nurseries: list[Nursery]) -> list[HouseholdData]:
        households = [self.martin_household(nurseries[0])]
        surnames = self.rng.sample([s for s in SURNAMES if s != "Martin"], HOUSEHOLD_COUNT - 1)
        for number, surname in enumerate(surnames, start=1):
            households.append(self.household(number, surname, nurseries[number % 2]))
        return households

    def household(self, number: int, surname: str, nursery: Nursery) -> HouseholdData:
        key = f"household-{number}"
        street = f"{self.rng.randint(1, 60)} {self.rng.choice(STREETS)}"
        data = HouseholdData(
            reference=reference(key),
            fields={
                "name": f"Famille {surname}",
                "address_line1": street,
                "postal_code": POSTAL_CODE,
                "city": TOWN,
                "nursery": nursery,
            },
        )
        single_parent = self.rng.random() < 0.2
        parents = [(Civility.MADAME, self.rng.choice(FEMALE_NAMES))]
        if not single_parent:
            parents.append((Civility.MONSIEUR, self.rng.choice(MALE_NAMES)))
        for index, (civility, first_name) in enumerate(parents):
            data.guardians.append(
                PersonData(
                    reference(f"{key}-guardian-{index}"),
                    {
                        "civility": civility,
                        "first_name": first_name,
                        "last_name": surname,
                        "birth_date": self.birth_date(12 * 24, 12 * 42),
                        "email": self.email(first_name, surname),
                        "mobile_phone": self.phone("06 39 98"),
                        "home_phone": self.phone("04 65 71") if index == 0 else "",
                    },
                )
            )
        child_count = self.rng.choices([1, 2, 3], weights=[6, 3, 1])[0]
        for index in range(child_count):
            civility = self.rng.choice([Civility.MADAME, Civility.MONSIEUR])
            data.children.append(
                PersonData(
                    reference(f"{key}-child-{index}"),
                    {
                        "first_name": self.rng.choice(CHILD_NAMES[civility]),
                        "last_name": surname,
                        "birth_date": self.birth_date(3, 35),
                        "nursery": nursery,
                    },
                )
            )
        for index in range(self.rng.randint(1, 2)):
            relationship, civility, can_pick_up = self.rng.choice(RELATIONSHIPS)
            names = FEMALE_NAMES if civility == Civility.MADAME else MALE_NAMES
            data.contacts.append(
                PersonData(
                    reference(f"{key}-contact-{index}"),
                    {
                        "first_name": self.rng.choice(names),
                        "last_name": self.rng.choice([surname, *SURNAMES]),
                        "relationship": relationship,
                        "mobile_phone": self.phone("06 39 98"),
                        "can_pick_up": can_pick_up,
                        "is_emergency_contact": index == 0,
                    },
                )
            )
        return data

    def martin_household(self, nursery: Nursery) -> HouseholdData:
        data = HouseholdData(
            reference=reference("famille-martin"),
            fields={
                "name": "Famille Martin",
                "address_line1": "8 allée des Tilleuls",
                "postal_code": POSTAL_CODE,
                "city": TOWN,
                "nursery": nursery,
            },
        )
        data.guardians = [
            PersonData(
                reference("famille-martin-camille"),
                {
                    "civility": Civility.MADAME,
                    "first_name": "Camille",
                    "last_name": "Martin",
                    "birth_date": date(1991, 4, 17),
                    "email": "camille.martin@example.fr",
                    "mobile_phone": "06 39 98 12 34",
                    "home_phone": "04 65 71 56 78",
                    "work_phone": "04 65 71 90 12",
                },
            ),
            # Not invited yet: a newcomer can press « Envoyer l'invitation » for him.
            PersonData(
                reference("famille-martin-julien"),
                {
                    "civility": Civility.MONSIEUR,
                    "first_name": "Julien",
                    "last_name": "Martin",
                    "birth_date": date(1989, 11, 2),
                    "email": "julien.martin@example.fr",
                    "mobile_phone": "06 39 98 43 21",
                },
            ),
        ]
        data.children = [
            PersonData(
                reference("famille-martin-lea"),
                {
                    "first_name": "Léa",
                    "last_name": "Martin",
                    "birth_date": self.birth_date(26, 26),
                    "nursery": nursery,
                },
            ),
            PersonData(
                reference("famille-martin-hugo"),
                {
                    "first_name": "Hugo",
                    "last_name": "Martin",
                    "birth_date": self.birth_date(9, 9),
                    "nursery": nursery,
                },
            ),
        ]
        data.contacts = [
            PersonData(
                reference("famille-martin-monique"),
                {
                    "first_name": "Monique",
                    "last_name": "Martin",
                    "relationship": "grand-mère",
                    "mobile_phone": "06 39 98 77 01",
                    "can_pick_up": True,
                    "is_emergency_contact": True,
                },
            ),
            PersonData(
                reference("famille-martin-sophie"),
                {
                    "first_name": "Sophie",
                    "last_name": "Lambert",
                    "relationship": "marraine",
                    "mobile_phone": "06 39 98 77 02",
                    "can_pick_up": False,
                    "is_emergency_contact": True,
                },
            ),
        ]
        return data


class Command(BaseCommand):
    help = (
        "Seed the demo town (Val-des-Tilleuls): nurseries, households, a demo family, staff "
        "accounts and the régie's invoices, then print the logins. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--quiet", action="store_true", help="Print nothing.")

    def handle(self, *args, quiet=False, **options):
        with transaction.atomic():
            self.seed_organisation()
            terms = self.seed_terms()
            nurseries = [self.seed_nursery(data) for data in NURSERIES]
            today = timezone.localdate()
            households = DemoData(today).households(nurseries)
            rows = [self.seed_household(data) for data in households]
            family_user = self.seed_demo_family(households[0], terms)
            self.seed_pending_invitation(households[1])
            admin = self.seed_staff(
                identifier=ADMIN_IDENTIFIER,
                password=ADMIN_PASSWORD,
                totp_key=ADMIN_TOTP_KEY,
                first_name="Claire",
                last_name="Fontaine",
                is_superuser=True,
            )
            nursery_staff = self.seed_staff(
                identifier=NURSERY_STAFF_IDENTIFIER,
                password=NURSERY_STAFF_PASSWORD,
                totp_key=NURSERY_STAFF_TOTP_KEY,
                first_name="Nadia",
                last_name="Lefèvre",
                is_superuser=False,
            )
            nurseries[0].staff.add(nursery_staff)
            seed_family_codes(rows)
            seed_invoices(
                regie=seed_regie(),
                households=rows,
                payer=family_user.guardianships.get(household=rows[0]),
                today=today,
                staff=admin,
            )
            seed_direct_debits(regie=seed_regie(), households=rows, today=today)
            seed_security()
            seed_content(nurseries=nurseries, today=today, town=TOWN, staff=admin)
            seed_notifications(household=rows[0], family_user=family_user)
            seed_requests(
                households=rows, family_user=family_user, staff=nursery_staff, today=today
            )
        if not quiet:
            self.print_logins(family_user, admin, nursery_staff, nurseries[0])

    # --- Town, CGU, nurseries ------------------------------------------------------------

    def seed_organisation(self) -> None:
        organisation = Organisation.current()
        if organisation.service_email:
            return  # already set up, by this command or by an administrator
        for name, value in ORGANISATION.items():
            setattr(organisation, name, value)
        organisation.save()

    def seed_terms(self) -> TermsVersion:
        current = TermsVersion.objects.current()
        if current is not None:
            return current
        draft = TermsVersion.objects.filter(version=1).first() or draft_terms_version(
            text=TERMS_TEXT
        )
        return publish_terms(terms=draft)

    def seed_nursery(self, data: dict) -> Nursery:
        nursery, _created = Nursery.objects.get_or_create(name=data["name"], defaults=data)
        return nursery

    # --- Households ----------------------------------------------------------------------

    def seed_household(self, data: HouseholdData) -> Household:
        household, _created = Household.objects.get_or_create(
            reference=data.reference, defaults=data.fields
        )
        for person in data.guardians:
            Guardian.objects.get_or_create(
                reference=person.reference, defaults={"household": household, **person.fields}
            )
        for person in data.children:
            child, _created = Child.objects.get_or_create(
                reference=person.reference, defaults=person.fields
            )
            HouseholdChild.objects.get_or_create(household=household, child=child)
        for person in data.contacts:
            Contact.objects.get_or_create(
                reference=person.reference, defaults={"household": household, **person.fields}
            )
        return household

    def seed_demo_family(self, data: HouseholdData, terms: TermsVersion):
        """Camille Martin's account, activated: password set and CGU accepted."""
        camille = Guardian.objects.select_related("user").get(reference=data.guardians[0].reference)
        user = ensure_account(guardian=camille)
        restore_password(user, DEMO_PASSWORD)
        accept_terms(user=user, terms=terms, ip_address=None)
        return user

    def seed_pending_invitation(self, data: HouseholdData) -> None:
        """One guardian invited but not activated yet, as the back office shows them."""
        guardian = Guardian.objects.get(reference=data.guardians[0].reference)
        if guardian.user_id is None:
            invite_guardian(guardian=guardian)

    # --- Staff ---------------------------------------------------------------------------

    def seed_staff(self, *, identifier, password, totp_key, first_name, last_name, is_superuser):
        user = User.objects.filter(username__iexact=identifier).first()
        if user is None:
            user = User(
                username=identifier,
                email=f"{identifier}@val-des-tilleuls.example",
                first_name=first_name,
                last_name=last_name,
            )
        changed = not (user.is_staff and user.is_active and user.is_superuser == is_superuser)
        if changed or user.pk is None:
            user.is_staff, user.is_active, user.is_superuser = True, True, is_superuser
            user.save()
        restore_password(user, password)
        device = TOTPDevice.objects.filter(user=user, key=totp_key).first()
        if device is None:
            TOTPDevice.objects.create(
                user=user, name=_("Authenticator app (demo)"), key=totp_key, confirmed=True
            )
        elif not device.confirmed:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
        return user

    # --- Output --------------------------------------------------------------------------

    def print_logins(self, family_user, admin, nursery_staff, nursery) -> None:
        staff_url = settings.SITE_URL + reverse("admin:index")
        lines = [
            _("Demo family"),
            _("Identifier: {identifier}").format(identifier=family_user.username),
            _("Password: {password}").format(password=DEMO_PASSWORD),
            _("Staff ({url})").format(url=staff_url),
            *self.staff_lines(admin, ADMIN_PASSWORD, ADMIN_TOTP_KEY),
            _("Staff of {nursery} ({url})").format(nursery=nursery.name, url=staff_url),
            *self.staff_lines(nursery_staff, NURSERY_STAFF_PASSWORD, NURSERY_STAFF_TOTP_KEY),
            _("E-mails: {url}").format(
                url=settings.SITE_URL + reverse("notifications:outbox-list")
            ),
        ]
        self.stdout.write("\n".join(lines))

    @staticmethod
    def staff_lines(user, password, totp_key) -> list[str]:
        secret = b32encode(bytes.fromhex(totp_key)).decode()
        return [
            _("Identifier: {identifier}").format(identifier=user.username),
            _("Password: {password}").format(password=password),
            _("TOTP code: {command}   (secret: {secret})").format(
                command=f"DEBUG=1 .venv/bin/python manage.py totp_code {user.username}",
                secret=secret,
            ),
        ]


def restore_password(user, password: str) -> None:
    """Give a demo account its printed password back, unless it already has it."""
    if user.check_password(password) and not user.must_change_password:
        return
    validate_password(password, user)
    user.set_password(password)
    user.must_change_password = False
    user.temporary_password_expires_at = None
    user.password_changed_at = timezone.now()
    user.is_active = True
    user.save()
