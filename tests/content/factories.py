"""Factories and sample files for the content tests."""

import datetime
import io

import factory
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from portail.billing.pdf import drawing
from portail.content.models import (
    Course,
    DocumentCategory,
    Menu,
    MenuDish,
    News,
    OfficialDocument,
    OfficialDocumentVersion,
    PracticalPage,
)
from tests.factories import NurseryFactory


def png_bytes(size=(40, 30), colour="#8a1c5c") -> bytes:
    output = io.BytesIO()
    Image.new("RGB", size, colour).save(output, format="PNG")
    return output.getvalue()


def pdf_bytes(text="Règlement de fonctionnement") -> bytes:
    return drawing.build(
        [drawing.text(text)],
        title=text,
        subject=text,
        author="Service Petite Enfance",
        language="fr-FR",
        footer=lambda page, pages: f"page {page}/{pages}",
        dated_on=datetime.date(2026, 9, 1),
    )


class NewsFactory(factory.django.DjangoModelFactory):
    """A published news item for all families unless told otherwise; pass
    ``nurseries=[...]`` to address nurseries only."""

    class Meta:
        model = News
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Actualité n° {n}")
    body = "<p>Une nouvelle pour les familles.</p>"
    for_all_families = True
    publish_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(hours=1))

    @factory.post_generation
    def nurseries(self, create, extracted, **kwargs):
        if create and extracted:
            self.for_all_families = False
            self.save(update_fields=["for_all_families"])
            self.nurseries.set(extracted)

    @factory.post_generation
    def with_files(self, create, extracted, **kwargs):
        if create and extracted:
            self.image.save("photo.png", ContentFile(png_bytes()), save=False)
            self.image_alt = "Les enfants au jardin"
            self.attachment.save("programme.pdf", ContentFile(pdf_bytes("Programme")), save=False)
            self.save()


class MenuFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Menu

    nursery = factory.SubFactory(NurseryFactory)
    month = factory.LazyFunction(lambda: timezone.localdate().replace(day=1))
    publish_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(hours=1))


class MenuDishFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MenuDish

    menu = factory.SubFactory(MenuFactory)
    served_on = factory.LazyAttribute(lambda d: d.menu.month)
    course = Course.MAIN
    name = "Poisson meunière, riz"
    allergens = factory.LazyFunction(lambda: ["fish", "gluten"])


class OfficialDocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OfficialDocument
        skip_postgeneration_save = True

    title = "Règlement de fonctionnement"
    category = DocumentCategory.OPERATING_RULES
    for_all_families = True

    @factory.post_generation
    def nurseries(self, create, extracted, **kwargs):
        if create and extracted:
            self.for_all_families = False
            self.save(update_fields=["for_all_families"])
            self.nurseries.set(extracted)


def add_version(document, *, label="v1", published_at=None) -> OfficialDocumentVersion:
    version = OfficialDocumentVersion(
        document=document,
        version_label=label,
        published_at=published_at or timezone.now() - datetime.timedelta(hours=1),
    )
    version.file.save(
        f"{label}.pdf", ContentFile(pdf_bytes(f"{document.title} {label}")), save=False
    )
    version.save()
    return version


class PracticalPageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PracticalPage
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Page pratique {n}")
    slug = factory.Sequence(lambda n: f"page-{n}")
    body = "<p>Ouvert du lundi au vendredi.</p>"
    for_all_families = True
    is_published = True

    @factory.post_generation
    def nurseries(self, create, extracted, **kwargs):
        if create and extracted:
            self.for_all_families = False
            self.save(update_fields=["for_all_families"])
            self.nurseries.set(extracted)
