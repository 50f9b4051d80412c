"""Pictures and PDFs staff attach are checked by content: wrong types, oversize files and
polyglots are refused with a clear French message; accepted pictures are re-encoded."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.translation import override
from PIL import Image

from portail.content.forms import MenuForm, NewsForm
from tests.lib.pdf_samples import ACTIVE_PDFS, PLAIN_PDF_WITH_LINK, photo_pdf

from .factories import MenuFactory, pdf_bytes, png_bytes

GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00"
    b"\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


def jpeg_with_gps() -> bytes:
    picture = Image.new("RGB", (30, 20), "#3a7")
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (45.0, 55.0, 0.0)}  # GPSInfo: where the photo was taken
    output = io.BytesIO()
    picture.save(output, format="JPEG", exif=exif)
    return output.getvalue()


def news_form(files, **data):
    now = timezone.localtime()
    fields = {
        "title": "Sortie au parc",
        "body": "<p>Texte</p>",
        "for_all_families": "on",
        "publish_at": now.strftime("%Y-%m-%d %H:%M:%S"),
        "image_alt": "Les enfants au parc",
        **data,
    }
    return NewsForm(data=fields, files=files)


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type)


REFUSED_IMAGES = [
    (
        "script.png",
        b"<script>alert(1)</script>",
        "Ce fichier n'est pas une image JPEG, PNG ou WebP",
    ),
    ("photo.jpg", pdf_bytes(), "Ce fichier n'est pas une image JPEG, PNG ou WebP"),
    ("anim.png", GIF, "Ce fichier n'est pas une image JPEG, PNG ou WebP"),
    ("vide.png", b"", "Le fichier soumis est vide."),
    ("tronquee.png", png_bytes()[:40], "Cette image est endommagée"),
    (
        "fausse.png",
        b"\x89PNG\r\n\x1a\n" + b"<html><script>alert(1)</script></html>",
        "Cette image est endommagée",
    ),
]


@pytest.mark.parametrize(("name", "content", "message"), REFUSED_IMAGES)
def test_a_file_that_is_not_a_picture_is_refused_with_a_clear_message(name, content, message):
    with override("fr"):
        form = news_form({"image": upload(name, content, "image/png")})
        assert not form.is_valid()
        assert message in " ".join(form.errors["image"])


def test_an_oversize_picture_is_refused(settings):
    settings.CONTENT_UPLOAD_MAX_MB = 1
    big = png_bytes() + b"\0" * (1024 * 1024)
    with override("fr"):
        form = news_form({"image": upload("grande.png", big, "image/png")})
        assert not form.is_valid()
        assert "la limite est de 1 Mo" in form.errors["image"][0]


def test_a_picture_with_something_appended_is_reencoded_without_it():
    polyglot = png_bytes() + b"<script>window.__xss=1</script>"
    form = news_form({"image": upload("photo.png", polyglot, "image/png")})

    assert form.is_valid(), form.errors
    item = form.save()
    stored = item.image.read()
    assert stored.startswith(b"\x89PNG")
    assert b"<script" not in stored
    assert item.image.name.endswith(".png") and "photo" not in item.image.name


def test_accepted_photos_lose_their_gps_position():
    form = news_form({"image": upload("photo.jpg", jpeg_with_gps(), "image/jpeg")})

    assert form.is_valid(), form.errors
    item = form.save()
    with Image.open(item.image) as stored:
        assert 0x8825 not in stored.getexif()


def test_a_picture_needs_its_description():
    with override("fr"):
        form = news_form({"image": upload("photo.png", png_bytes(), "image/png")}, image_alt="")
        assert not form.is_valid()
        assert "Décrivez l'image" in form.errors["image_alt"][0]


def zip_pdf_polyglot() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("evil.html", "<html><script>alert(1)</script></html>")
    return pdf_bytes() + buffer.getvalue()


def pdf_with_javascript() -> bytes:
    from pypdf import PdfReader, PdfWriter
    from pypdf.actions import JavaScript

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes())))
    writer.add_open_action(JavaScript("app.alert('menus');"))
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


REFUSED_PDFS = [
    ("menus.pdf", pdf_with_javascript(), "contient un script ou une action automatique"),
    ("menus.pdf", png_bytes(), "Ce fichier n'est pas un document PDF"),
    ("menus.pdf", b"<html><body>menus</body></html>", "Ce fichier n'est pas un document PDF"),
    (
        "menus.pdf",
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /OpenAction << /S /JavaScript "
        b"/JS (app.alert(1)) >> >>\nendobj\n%%EOF",
        "contient un script ou une action automatique",
    ),
    (
        "menus.pdf",
        pdf_bytes() + b"<html><script>alert(1)</script></html>",
        "contient aussi une page web",
    ),
    ("menus.pdf", zip_pdf_polyglot(), "contient aussi une page web"),
    ("menus.pdf", b"%PDF-1.4\ngarbage without any object\n", "endommagé"),
]


@pytest.mark.parametrize(("name", "content", "message"), REFUSED_PDFS)
def test_a_file_that_is_not_a_plain_pdf_is_refused(name, content, message):
    with override("fr"):
        form = news_form({"attachment": upload(name, content, "application/pdf")})
        assert not form.is_valid()
        assert message in " ".join(form.errors["attachment"])


def test_a_plain_pdf_is_accepted_for_the_menus(durand):
    menu = MenuFactory.build(nursery=durand.nursery)
    form = MenuForm(
        data={
            "nursery": durand.nursery.pk,
            "month": "2026-09-14",
            "publish_at": "2026-09-01 08:00:00",
        },
        files={"pdf": upload("menus-septembre.pdf", pdf_bytes("Menus"), "application/pdf")},
        instance=menu,
    )

    assert form.is_valid(), form.errors
    saved = form.save()
    assert saved.month.day == 1
    assert saved.pdf.read().startswith(b"%PDF-")


@pytest.mark.parametrize("seed", range(10))
def test_a_pdf_with_a_photo_inside_is_accepted(seed):
    # The photo's compressed data holds "/JS" or "/AA" by chance: only the structure counts.
    form = news_form({"attachment": upload("affiche.pdf", photo_pdf(seed), "application/pdf")})
    assert form.is_valid(), form.errors


def test_a_pdf_opening_on_its_first_page_with_a_web_link_is_accepted():
    form = news_form({"attachment": upload("affiche.pdf", PLAIN_PDF_WITH_LINK, "application/pdf")})
    assert form.is_valid(), form.errors


@pytest.mark.parametrize("name", ACTIVE_PDFS)
def test_a_pdf_with_a_script_or_automatic_action_in_its_structure_is_refused(name):
    with override("fr"):
        form = news_form(
            {"attachment": upload(f"{name}.pdf", ACTIVE_PDFS[name], "application/pdf")}
        )
        assert not form.is_valid()
        assert "contient un script ou une action automatique" in " ".join(form.errors["attachment"])
