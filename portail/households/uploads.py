"""Files families attach to a request (a medical certificate, a document): checked by their
content, not by their name or the type the browser claims.

Only PDF, JPEG and PNG are accepted, up to settings.REQUEST_UPLOAD_MAX_BYTES. A file must be
what its first bytes say from start to end: a PDF ends with ``%%EOF``, a PNG with its IEND
chunk, a JPEG with its end-of-image marker. Anything that carries a second format (HTML or
script after a PDF header, a ZIP/JAR appended to an image — the "GIFAR" trick —, an
executable) is refused, and so is a PDF that pypdf cannot read or whose structure holds a
script, an automatic action or an embedded file (``portail.lib.pdf_safety``). Stored files
get a random name; they are only ever served as an attachment with ``nosniff``, so even a
file that slipped through is never rendered by the browser."""

import re
import struct
import unicodedata
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from portail.lib.pdf_safety import UnreadablePdf, inspect_pdf

ACCEPTED = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
}

# Markers of a second format hidden in the file. Checked case-insensitively over the whole
# file; a genuine scan or certificate never contains them in clear.
FORBIDDEN_MARKERS = [
    b"<html",
    b"<script",
    b"<!doctype",
    b"<svg",
    b"<body",
    b"<iframe",
    b"<?php",
    b"javascript:",
    b"pk\x03\x04",  # a ZIP (or JAR, DOCX…) inside
]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class CheckedUpload:
    """A file that passed every check, ready to be stored under a random name."""

    content: bytes
    mimetype: str
    extension: str
    display_name: str


def _refuse(message, code):
    raise ValidationError(message, code=code)


def safe_display_name(filename: str, extension: str) -> str:
    """The family's file name, reduced to letters, digits, dots, dashes and underscores (no
    path, no control or right-to-left characters), ending with the real type's extension."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-._")[:80] or "document"
    return f"{stem}.{extension}"


def _png_is_whole(content: bytes) -> bool:
    """Walk the chunks: the file must end exactly with the IEND chunk."""
    position = len(PNG_SIGNATURE)
    while position + 8 <= len(content):
        length, chunk_type = struct.unpack(">I4s", content[position : position + 8])
        position += 12 + length
        if chunk_type == b"IEND":
            return position == len(content)
    return False


def _jpeg_is_whole(content: bytes) -> bool:
    return content.startswith(b"\xff\xd8\xff") and content.rstrip(b"\x00\r\n ").endswith(
        b"\xff\xd9"
    )


def _pdf_is_whole(content: bytes) -> bool:
    return content.startswith(b"%PDF-") and b"%%EOF" in content[-1024:]


def _pdf_is_active_or_unreadable(content: bytes) -> bool:
    """Scripts, automatic actions and embedded files are found in the PDF's structure; a byte
    search for ``/JS`` would refuse genuine scans whose compressed pictures hold it by chance."""
    try:
        return not inspect_pdf(content).is_plain
    except UnreadablePdf:
        return True


def check_upload(upload) -> CheckedUpload:
    """Read an uploaded file and return it checked, or raise ValidationError with a message
    the family understands. Nothing is stored here."""
    limit = settings.REQUEST_UPLOAD_MAX_BYTES
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        _refuse(
            _("This file is too large: the limit is %(limit)s.") % {"limit": filesizeformat(limit)},
            "too_large",
        )
    content = upload.read(limit + 1)
    if len(content) > limit:
        _refuse(
            _("This file is too large: the limit is %(limit)s.") % {"limit": filesizeformat(limit)},
            "too_large",
        )
    if not content:
        _refuse(_("This file is empty. Choose the file again."), "empty")
    kind = filetype.guess(content)
    mimetype = kind.mime if kind else None
    if mimetype not in ACCEPTED:
        _refuse(
            _("This file is not a PDF, JPEG or PNG. Send a PDF document or a photo (JPEG, PNG)."),
            "wrong_type",
        )
    whole = {
        "application/pdf": _pdf_is_whole,
        "image/jpeg": _jpeg_is_whole,
        "image/png": _png_is_whole,
    }[mimetype](content)
    lowered = content.lower()
    hidden = any(marker in lowered for marker in FORBIDDEN_MARKERS)
    if mimetype == "application/pdf" and whole and not hidden:
        hidden = _pdf_is_active_or_unreadable(content)
    if not whole or hidden:
        _refuse(
            _(
                "This file is damaged or contains something other than a document or a photo. "
                "Save it again as a PDF, JPEG or PNG and send it again."
            ),
            "suspicious",
        )
    extension = ACCEPTED[mimetype]
    return CheckedUpload(
        content=content,
        mimetype=mimetype,
        extension=extension,
        display_name=safe_display_name(getattr(upload, "name", "") or "", extension),
    )


def serve_attachment(item):
    """A request's attached file, always as a download (never shown inline), with its checked type
    and ``nosniff``: a file the checks missed is still never run by the browser."""
    if not item.attachment:
        raise Http404
    try:
        handle = item.attachment.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=item.attachment_name or "document",
        content_type=item.attachment_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
