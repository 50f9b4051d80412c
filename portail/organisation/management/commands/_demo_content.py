"""Demo content for seed_demo: news (one pinned, one scheduled, one for a single nursery),
an event, this month's and next month's menus for the first nursery, the règlement de
fonctionnement as a PDF and the practical pages.

Idempotent: each row has a fixed reference or slug and is created only when missing, so
edits made in the back office are kept. The items already visible are marked as announced
(the demo does not notify every family at each start); the scheduled one is announced by
``manage.py publish_due_content`` when its time comes."""

import datetime
import io
import uuid

from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image, ImageDraw

from portail.billing.pdf import drawing
from portail.content.models import (
    Allergen,
    Course,
    DocumentCategory,
    Menu,
    MenuDish,
    News,
    OfficialDocument,
    OfficialDocumentVersion,
    PracticalPage,
)

NAMESPACE = uuid.UUID("0c5d7e0e-3f0a-4f57-9d53-5e2f6a1c9b10")


def _reference(key: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, key)


def _garden_picture() -> bytes:
    """A small drawing (sun, grass, a flower) standing in for a photo of the garden."""
    picture = Image.new("RGB", (640, 360), "#bfe3f5")
    draw = ImageDraw.Draw(picture)
    draw.rectangle([0, 260, 640, 360], fill="#6fbf4a")
    draw.ellipse([500, 30, 590, 120], fill="#f7c948")
    for x in (120, 260, 400):
        draw.line([x, 260, x, 200], fill="#2e7d32", width=6)
        draw.ellipse([x - 22, 170, x + 22, 214], fill="#e5548f")
    output = io.BytesIO()
    picture.save(output, format="PNG")
    return output.getvalue()


def _operating_rules_pdf(town: str, today: datetime.date) -> bytes:
    story = [
        drawing.text(
            f"Règlement de fonctionnement des structures d'accueil de {town}", drawing.TITLE
        ),
        drawing.text(f"Version en vigueur au {today:%d/%m/%Y}", drawing.SMALL),
        drawing.spacer(4),
    ]
    articles = [
        (
            "Article 1 — Horaires d'ouverture",
            "Les structures sont ouvertes du lundi au vendredi de 7 h 30 à 18 h 30. Les "
            "enfants sont accueillis jusqu'à 9 h 30 et repris à partir de 16 h 30, sauf accord "
            "de la direction.",
        ),
        (
            "Article 2 — Absences",
            "Toute absence est signalée avant 9 h par le portail famille. Une absence pour maladie "
            "est déduite à partir du deuxième jour sur présentation d'un certificat médical.",
        ),
        (
            "Article 3 — Tarification",
            "La participation des familles suit le barème national de la CNAF (taux d'effort "
            "appliqué aux ressources du foyer). La facture est établie chaque mois et payable "
            "en ligne, par prélèvement, par chèque ou en espèces à la régie.",
        ),
        (
            "Article 4 — Santé",
            "Les traitements ne sont administrés que sur ordonnance. Un protocole d'accueil "
            "individualisé (PAI) est établi pour toute allergie ou maladie chronique.",
        ),
    ]
    for heading, body in articles:
        story += [drawing.text(heading, drawing.HEADING), drawing.text(body)]
    return drawing.build(
        story,
        title="Règlement de fonctionnement",
        subject="Règlement de fonctionnement des structures d'accueil",
        author=f"Service Petite Enfance de {town}",
        language="fr-FR",
        footer=lambda page, pages: f"Règlement de fonctionnement — page {page} sur {pages}",
        dated_on=today,
    )


def _news(key: str, *, nurseries=(), image: bytes | None = None, **fields) -> News:
    item = News.objects.filter(reference=_reference(key)).first()
    if item is not None:
        return item
    item = News(reference=_reference(key), **fields)
    if image:
        item.image.save(f"{key}.png", ContentFile(image), save=False)
    item.save()
    if nurseries:
        item.nurseries.set(nurseries)
    return item


A = Allergen
# One week of dishes, Monday to Friday: (starter, main, dessert, snack), each with allergens.
MENU_DAYS = [
    (
        ("Carottes râpées", []),
        ("Poisson meunière, riz", [A.FISH, A.GLUTEN]),
        ("Yaourt nature", [A.MILK]),
        ("Pain et chocolat", [A.GLUTEN, A.MILK]),
    ),
    (
        ("Salade de lentilles", [A.MUSTARD]),
        ("Émincé de poulet, haricots verts", []),
        ("Compote pomme-poire", []),
        ("Fromage blanc", [A.MILK]),
    ),
    (
        ("Velouté de potiron", [A.CELERY]),
        ("Omelette, purée maison", [A.EGGS, A.MILK]),
        ("Fruit de saison", []),
        ("Biscuit sablé", [A.GLUTEN, A.EGGS, A.MILK]),
    ),
    (
        ("Concombre à la crème", [A.MILK]),
        ("Bœuf bourguignon, pâtes", [A.GLUTEN, A.SULPHITES]),
        ("Crème vanille", [A.MILK, A.EGGS]),
        ("Banane", []),
    ),
    (
        ("Betteraves vinaigrette", [A.MUSTARD]),
        ("Gratin de légumes, lentilles corail", [A.MILK]),
        ("Semoule au lait", [A.GLUTEN, A.MILK]),
        ("Pain, beurre et confiture", [A.GLUTEN, A.MILK]),
    ),
]
COURSES = [Course.STARTER, Course.MAIN, Course.DESSERT, Course.SNACK]


def _menu(nursery, month: datetime.date, *, publish_at) -> Menu:
    menu, created = Menu.objects.get_or_create(
        nursery=nursery,
        month=month,
        defaults={
            "publish_at": publish_at,
            "notified_at": publish_at,
            "note": (
                "Menus élaborés avec notre diététicienne ; pain et laitages de producteurs locaux."
            ),
        },
    )
    if not created:
        return menu
    day = month
    following = (month + datetime.timedelta(days=32)).replace(day=1)
    dishes = []
    while day < following:
        if day.weekday() < 5:
            for course, (name, allergens) in zip(COURSES, MENU_DAYS[day.weekday()], strict=True):
                dishes.append(
                    MenuDish(
                        menu=menu,
                        served_on=day,
                        course=course,
                        name=name,
                        allergens=list(allergens),
                    )
                )
        day += datetime.timedelta(days=1)
    MenuDish.objects.bulk_create(dishes)
    return menu


PAGES = [
    (
        "horaires",
        "Horaires d'ouverture",
        1,
        "<p>Les structures d'accueil sont ouvertes <strong>du lundi au vendredi, de 7 h 30 "
        "à 18 h 30</strong>.</p><ul><li>Arrivée des enfants : jusqu'à 9 h 30.</li>"
        "<li>Départ : à partir de 16 h 30.</li></ul>"
        "<p>Merci de prévenir la structure de tout retard.</p>",
    ),
    (
        "fermetures",
        "Fermetures annuelles",
        2,
        "<h2>Fermetures prévues</h2><ul><li>Trois semaines en août.</li>"
        "<li>Une semaine entre Noël et le jour de l'an.</li><li>Le pont de l'Ascension.</li>"
        "<li>Deux journées pédagogiques par an (dates communiquées en septembre).</li></ul>",
    ),
    (
        "contacts",
        "Qui contacter ?",
        3,
        "<p>Pour une question sur votre facture : la régie petite enfance. Pour l'accueil de "
        "votre enfant : la direction de sa structure. Pour le portail : le "
        '<a href="mailto:petite-enfance@val-des-tilleuls.example">Service Petite Enfance</a>.'
        "</p><p>Vos demandes (absence, changement d'adresse…) se font depuis MON TABLEAU DE "
        "BORD.</p>",
    ),
]


def seed_content(*, nurseries, today: datetime.date, town: str, staff) -> None:
    now = timezone.now()
    first = today.replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)

    _news(
        "welcome",
        title="Bienvenue sur le nouveau portail famille",
        body=(
            "<p>Vos factures, vos prélèvements, les menus et les actualités des crèches sont "
            "désormais réunis dans votre espace. Pensez à vérifier vos coordonnées dans "
            "<strong>MON ESPACE</strong>.</p>"
        ),
        for_all_families=True,
        is_pinned=True,
        publish_at=now - datetime.timedelta(days=20),
        notified_at=now - datetime.timedelta(days=20),
        created_by=staff,
    )
    _news(
        "garden",
        title="Le jardin partagé de Pic et Plume",
        body=(
            "<p>Les enfants ont planté radis, fraises et capucines. Les familles sont invitées "
            "à venir arroser le potager les mercredis matin.</p>"
        ),
        nurseries=[nurseries[0]],
        image=_garden_picture(),
        image_alt="Dessin du jardin : trois fleurs roses sous le soleil",
        publish_at=now - datetime.timedelta(days=3),
        notified_at=now - datetime.timedelta(days=3),
        created_by=staff,
    )
    _news(
        "party",
        title="Fête de fin d'année des crèches",
        body=(
            "<p>Spectacle des enfants puis goûter partagé. Chaque famille peut apporter un "
            "gâteau (merci d'en indiquer les ingrédients).</p>"
        ),
        for_all_families=True,
        event_starts_at=timezone.localtime(now + datetime.timedelta(days=12)).replace(
            hour=16, minute=30, second=0, microsecond=0
        ),
        event_location="Salle des fêtes de Val-des-Tilleuls",
        publish_at=now - datetime.timedelta(days=1),
        notified_at=now - datetime.timedelta(days=1),
        created_by=staff,
    )
    _news(
        "vaccination",
        title="Campagne de vaccination contre la grippe pour le personnel",
        body=(
            "<p>Le personnel des crèches sera vacciné la semaine prochaine ; l'accueil n'est "
            "pas modifié.</p>"
        ),
        for_all_families=True,
        publish_at=now + datetime.timedelta(days=2),
        created_by=staff,
    )

    _menu(nurseries[0], first, publish_at=now - datetime.timedelta(days=5))
    _menu(nurseries[0], following, publish_at=now - datetime.timedelta(hours=1))

    document, created = OfficialDocument.objects.get_or_create(
        reference=_reference("operating-rules"),
        defaults={
            "title": "Règlement de fonctionnement",
            "category": DocumentCategory.OPERATING_RULES,
            "description": (
                "Horaires, absences, tarification et santé dans les structures municipales."
            ),
            "for_all_families": True,
        },
    )
    if created:
        version = OfficialDocumentVersion(
            reference=_reference("operating-rules-v1"),
            document=document,
            version_label=f"{today:%m/%Y}",
            published_at=now - datetime.timedelta(days=10),
            notified_at=now - datetime.timedelta(days=10),
        )
        version.file.save(
            "reglement.pdf", ContentFile(_operating_rules_pdf(town, today)), save=False
        )
        version.save()

    for slug, title, position, body in PAGES:
        PracticalPage.objects.get_or_create(
            slug=slug,
            defaults={
                "title": title,
                "position": position,
                "body": body,
                "for_all_families": True,
                "is_published": True,
            },
        )
