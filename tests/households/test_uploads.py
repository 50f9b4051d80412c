"""The files families attach (certificate, document) are checked by content: only whole PDF,
JPEG and PNG files, under the size limit. Everything else is refused with a clear French
message and nothing is stored."""

import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portail.households.models import Request
from portail.households.uploads import check_upload, safe_display_name
from tests.lib.pdf_samples import ACTIVE_PDFS, PLAIN_PDF_WITH_LINK, build_pdf, photo_pdf


def pdf(body: bytes = b"") -> bytes:
    """A readable PDF; ``body`` is appended after it, followed by a second end marker."""
    return build_pdf() + (body + b"%%EOF\n" if body else b"")


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def jpeg() -> bytes:
    return (
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
        + (b"\x00" * 32)
        + b"\xff\xd9"
    )


ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 40 + b"PK\x05\x06" + b"\x00" * 18
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,"

WRONG_TYPE = "n'est ni un PDF, ni un JPEG, ni un PNG"
SUSPICIOUS = "endommagé ou contient autre chose"

CORPUS = [
    ("page.html", b"<!doctype html><html><script>alert(1)</script></html>", WRONG_TYPE),
    ("image.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', WRONG_TYPE),
    ("notes.txt", b"Bonjour, voici le certificat.", WRONG_TYPE),
    ("certificat.pdf.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200, WRONG_TYPE),
    ("certificat.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200, WRONG_TYPE),
    ("photo.jpg", b"\x7fELF\x02\x01\x01" + b"\x00" * 100, WRONG_TYPE),
    ("archive.pdf", ZIP, WRONG_TYPE),
    ("anim.gif", GIF, WRONG_TYPE),
    ("gifar.png", GIF + ZIP, WRONG_TYPE),
    (
        "polyglot.pdf",
        b"%PDF-1.4\n<html><body><script>alert(document.cookie)</script>\n%%EOF",
        SUSPICIOUS,
    ),
    ("pdf-js.pdf", pdf(b"3 0 obj << /S /JavaScript /JS (app.alert(1)) >> endobj\n"), SUSPICIOUS),
    ("truncated.pdf", pdf()[:60], SUSPICIOUS),
    ("jar-in-png.png", png() + ZIP, SUSPICIOUS),
    ("jar-in-jpeg.jpg", jpeg() + ZIP, SUSPICIOUS),
    ("html-after-png.png", png() + b"<html><script>alert(1)</script>", SUSPICIOUS),
    ("html-in-jpeg.jpg", jpeg()[:-2] + b"<script>alert(1)</script>\xff\xd9", SUSPICIOUS),
]


@pytest.mark.parametrize("name, content, message", CORPUS, ids=[c[0] for c in CORPUS])
def test_files_that_are_not_plain_documents_are_refused(name, content, message):
    with pytest.raises(ValidationError) as error:
        check_upload(SimpleUploadedFile(name, content, content_type="application/pdf"))
    assert message in error.value.messages[0]


def test_an_empty_file_is_refused():
    with pytest.raises(ValidationError) as error:
        check_upload(SimpleUploadedFile("vide.pdf", b"", content_type="application/pdf"))
    assert error.value.messages == ["Ce fichier est vide. Choisissez à nouveau le fichier."]


def test_a_file_over_the_limit_is_refused(settings):
    settings.REQUEST_UPLOAD_MAX_BYTES = 1024
    with pytest.raises(ValidationError) as error:
        check_upload(SimpleUploadedFile("gros.pdf", pdf(b"%" + b"x" * 2000 + b"\n")))
    assert error.value.messages == ["Ce fichier est trop volumineux : la limite est de 1,0\xa0Kio."]


@pytest.mark.parametrize(
    "name, content, mimetype, extension",
    [
        ("Certificat médical.PDF", pdf(), "application/pdf", "pdf"),
        ("photo.png", png(), "image/png", "png"),
        ("scan.jpeg", jpeg(), "image/jpeg", "jpg"),
        # The name lies; the content decides.
        ("scan.pdf", png(), "image/png", "png"),
    ],
)
def test_whole_pdf_jpeg_and_png_files_pass(name, content, mimetype, extension):
    checked = check_upload(SimpleUploadedFile(name, content, content_type="text/html"))
    assert checked.mimetype == mimetype
    assert checked.extension == extension
    assert checked.display_name.endswith(f".{extension}")


@pytest.mark.parametrize(
    "filename, expected",
    [
        ("Certificat médical.PDF", "Certificat-medical.pdf"),
        ("../../etc/passwd", "passwd.pdf"),
        ("C:\\Users\\marie\\scan final.pdf", "scan-final.pdf"),
        ("facture\u202egpj.exe", "facturegpj.pdf"),
        ("<script>.pdf", "script.pdf"),
        ("", "document.pdf"),
    ],
)
def test_the_file_name_is_sanitised(filename, expected):
    assert safe_display_name(filename, "pdf") == expected


@pytest.mark.parametrize("name, content, message", CORPUS[:12:3], ids=[c[0] for c in CORPUS[:12:3]])
def test_a_refused_file_stores_nothing_and_the_form_says_why(family_client, name, content, message):
    response = family_client.post(
        reverse("portal:request-create", kwargs={"kind": "document"}),
        {"title": "Certificat", "document": SimpleUploadedFile(name, content)},
    )
    assert response.status_code == 200
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not Request.objects.exists()


def test_a_good_file_is_stored_under_a_random_name(family_client, family):
    response = family_client.post(
        reverse("portal:request-create", kwargs={"kind": "document"}),
        {
            "title": "Carnet de vaccination",
            "document": SimpleUploadedFile("Carnet vaccins.pdf", pdf()),
        },
    )
    assert response.status_code == 302
    request = Request.objects.get()
    assert request.attachment_name == "Carnet-vaccins.pdf"
    assert request.attachment_type == "application/pdf"
    assert "Carnet" not in request.attachment.name
    assert request.attachment.name.startswith("requests/")
    assert request.attachment.name.endswith(".pdf")


@pytest.mark.parametrize("seed", range(10))
def test_a_pdf_with_a_photo_inside_is_accepted(seed):
    # The photo's compressed data holds "/JS" or "/AA" by chance: only the structure counts.
    checked = check_upload(SimpleUploadedFile("certificat.pdf", photo_pdf(seed)))
    assert checked.mimetype == "application/pdf"


def test_a_pdf_with_a_web_link_and_an_opening_page_is_accepted():
    assert (
        check_upload(SimpleUploadedFile("certificat.pdf", PLAIN_PDF_WITH_LINK)).extension == "pdf"
    )


@pytest.mark.parametrize("name", ACTIVE_PDFS)
def test_a_pdf_with_a_script_or_automatic_action_is_refused(name):
    with pytest.raises(ValidationError) as error:
        check_upload(SimpleUploadedFile(f"{name}.pdf", ACTIVE_PDFS[name]))
    assert SUSPICIOUS in error.value.messages[0]


def test_a_pdf_that_cannot_be_read_is_refused_as_damaged():
    unreadable = b"%PDF-1.7\n" + b"\x00" * 500 + b"\n%%EOF\n"
    with pytest.raises(ValidationError) as error:
        check_upload(SimpleUploadedFile("certificat.pdf", unreadable))
    assert SUSPICIOUS in error.value.messages[0]
