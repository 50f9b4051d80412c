"""Active content in a PDF is found in its structure, not by a byte search that genuine photos
trip over."""

import io

import pytest
from pypdf import PdfReader, PdfWriter

from portail.lib.pdf_safety import MAX_OBJECTS, UnreadablePdf, inspect_pdf

from .pdf_samples import ACTIVE_PDFS, PLAIN_PDF_WITH_LINK, build_pdf, photo_pdf

SEEDS = range(10)


def test_photo_pdfs_hold_script_like_bytes_by_chance():
    # Why a byte search cannot work: most genuine files below contain these bytes.
    samples = [photo_pdf(seed) for seed in SEEDS]
    assert sum(b"/JS" in sample or b"/AA" in sample for sample in samples) >= 5


@pytest.mark.parametrize("seed", SEEDS)
def test_a_pdf_with_a_photo_is_plain(seed):
    inspection = inspect_pdf(photo_pdf(seed))
    assert inspection.is_plain
    assert inspection.page_count == 1


def test_a_destination_and_a_web_link_are_not_active_content():
    assert inspect_pdf(PLAIN_PDF_WITH_LINK).is_plain


@pytest.mark.parametrize("name", ACTIVE_PDFS)
def test_scripts_and_automatic_actions_are_found_in_the_structure(name):
    data = ACTIVE_PDFS[name]
    # The names are #-escaped: no byte search finds them.
    assert b"/JavaScript" not in data and b"/Launch" not in data and b"/JS " not in data
    assert not inspect_pdf(data).is_plain


def test_spelled_out_script_names_are_refused_even_outside_the_structure():
    data = build_pdf() + b"9 0 obj << /S /JavaScript /JS (app.alert(1)) >> endobj\n%%EOF\n"
    assert not inspect_pdf(data).is_plain


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.4\ngarbage without any object\n", build_pdf()[:60], b"%PDF-1.7\n" + b"\x00" * 500],
    ids=["garbage", "truncated", "zeros"],
)
def test_a_pdf_pypdf_cannot_read_is_reported_unreadable(data):
    with pytest.raises(UnreadablePdf):
        inspect_pdf(data)


def encrypted(*, user_password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(build_pdf())))
    writer.encrypt(user_password=user_password, owner_password="mairie", algorithm="AES-256")
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def test_a_pdf_protected_only_against_editing_is_read():
    assert inspect_pdf(encrypted(user_password="")).is_plain


def test_a_pdf_that_needs_a_password_to_open_is_unreadable():
    with pytest.raises(UnreadablePdf):
        inspect_pdf(encrypted(user_password="secret"))


def test_a_pdf_made_of_too_many_objects_is_not_read_through():
    data = build_pdf(extra=(b"null",) * MAX_OBJECTS)
    with pytest.raises(UnreadablePdf):
        inspect_pdf(data)
