"""Files staff attach to content: checked by what they contain, never by their name.

An image must really be a JPEG, PNG or WebP picture (``filetype`` reads its first bytes,
then Pillow decodes it whole); it is then re-encoded, which drops anything hidden after or
inside the picture (a polyglot's second payload, the EXIF GPS position of a photo of
children). A PDF must start as a PDF, be readable by pypdf and carry no script, automatic
action or embedded file in its structure (``portail.lib.pdf_safety``). Both stay under
``CONTENT_UPLOAD_MAX_MB``. The stored name is ours (a UUID and the extension of the detected
type), never the uploader's."""

import io
import uuid

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from portail.lib.pdf_safety import UnreadablePdf, inspect_pdf

IMAGE_TYPES = {
    "image/jpeg": ("jpg", "JPEG"),
    "image/png": ("png", "PNG"),
    "image/webp": ("webp", "WEBP"),
}
# Decoding a picture of more pixels than this could exhaust the server's memory.
MAX_IMAGE_PIXELS = 40_000_000


def max_upload_bytes() -> int:
    return settings.CONTENT_UPLOAD_MAX_MB * 1024 * 1024


def _read_within_limit(upload) -> bytes:
    limit = max_upload_bytes()
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            _("This file weighs %(size)s MB; the limit is %(limit)s MB."),
            code="too_large",
            params={"size": _megabytes(upload.size), "limit": settings.CONTENT_UPLOAD_MAX_MB},
        )
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationError(
            _("This file is larger than the limit of %(limit)s MB."),
            code="too_large",
            params={"limit": settings.CONTENT_UPLOAD_MAX_MB},
        )
    if not data:
        raise ValidationError(_("This file is empty."), code="empty")
    return data


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".replace(".", ",")


def checked_image(upload) -> SimpleUploadedFile:
    """The upload re-encoded as the picture it really is, or a ``ValidationError`` that says
    in plain words why it is refused."""
    data = _read_within_limit(upload)
    kind = filetype.guess(data)
    if kind is None or kind.mime not in IMAGE_TYPES:
        raise ValidationError(
            _("This file is not a JPEG, PNG or WebP picture (whatever its name says)."),
            code="not_an_image",
        )
    extension, pillow_format = IMAGE_TYPES[kind.mime]
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format != pillow_format:
                raise ValidationError(
                    _("This picture is damaged or not what it claims to be."), code="mismatch"
                )
            if probe.width * probe.height > MAX_IMAGE_PIXELS:
                raise ValidationError(
                    _("This picture has too many pixels; reduce it below 40 megapixels."),
                    code="too_many_pixels",
                )
            probe.load()
            picture = probe.copy()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(
            _("This picture is damaged or not what it claims to be."), code="damaged"
        ) from None
    output = io.BytesIO()
    if pillow_format == "JPEG" and picture.mode not in ("RGB", "L"):
        picture = picture.convert("RGB")
    picture.save(output, format=pillow_format)
    return SimpleUploadedFile(f"{uuid.uuid4().hex}.{extension}", output.getvalue(), kind.mime)


def checked_pdf(upload) -> SimpleUploadedFile:
    """The upload if it is a plain PDF, or a ``ValidationError`` saying why not."""
    data = _read_within_limit(upload)
    kind = filetype.guess(data)
    if kind is None or kind.mime != "application/pdf" or not data.startswith(b"%PDF-"):
        raise ValidationError(
            _("This file is not a PDF document (whatever its name says)."), code="not_a_pdf"
        )
    lowered = data.lower()
    if b"<script" in lowered or b"<html" in lowered:
        raise ValidationError(
            _("This PDF also contains a web page; export it again as a plain PDF."),
            code="polyglot",
        )
    try:
        # Read structurally: a byte search for /JS or /AA refuses genuine PDFs whose compressed
        # pictures contain those bytes by chance.
        inspection = inspect_pdf(data)
    except UnreadablePdf:
        raise ValidationError(
            _("This PDF is damaged and cannot be read."), code="damaged_pdf"
        ) from None
    if not inspection.is_plain:
        raise ValidationError(
            _("This PDF contains a script or an automatic action; export it again as a plain PDF."),
            code="active_pdf",
        )
    if inspection.page_count == 0:
        raise ValidationError(_("This PDF has no page."), code="empty_pdf")
    return SimpleUploadedFile(f"{uuid.uuid4().hex}.pdf", data, "application/pdf")
