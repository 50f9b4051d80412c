"""PDF files for the upload tests: genuine documents with a photo inside, and small hand-written
PDFs carrying a script or an automatic action in their structure.

The hostile samples spell their names with ``#xx`` escapes (``/Java#53cript`` is
``/JavaScript`` to every PDF reader), so only a check that reads the structure finds them; a
byte search does not."""

import functools
import io
import random

from PIL import Image
from reportlab import rl_config
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas


@functools.cache
def photo_pdf(seed: int, side: int = 400) -> bytes:
    """A one-page certificate with a scanned-photo-like picture (random noise), as ReportLab
    writes it: the picture's compressed, ASCII85-encoded data holds ``/JS``, ``/js`` or
    ``/AA`` by chance in most files."""
    rng = random.Random(seed)
    picture = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
    output = io.BytesIO()
    # ReportLab's default (our own PDFs turn it off when portail.billing.pdf is imported):
    # ASCII85 text, where "/JS" turns up far more often than in binary data.
    was_ascii85, rl_config.useA85 = rl_config.useA85, 1
    try:
        page = canvas.Canvas(output)
        page.drawString(72, 800, "Certificat médical d'aptitude à la vie en collectivité")
        page.drawImage(ImageReader(picture), 72, 300, 400, 400)
        page.showPage()
        page.save()
    finally:
        rl_config.useA85 = was_ascii85
    return output.getvalue()


def build_pdf(*, catalog: bytes = b"", page: bytes = b"", extra: tuple[bytes, ...] = ()) -> bytes:
    """A readable one-page PDF with a correct cross-reference table. ``catalog`` and ``page``
    are added inside those dictionaries; ``extra`` objects are numbered from 4."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] " + page + b" >>",
        *extra,
    ]
    output = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(output))
        output += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref_at = len(output)
    output += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        output += b"%010d 00000 n \n" % offset
    output += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref_at,
    )
    return bytes(output)


SCRIPT = b"<< /S /Java#53cript /J#53 (app.alert\\(1\\)) >>"

# Files a reader would run something from, each one named after what it hides.
ACTIVE_PDFS = {
    "catalog-open-action-javascript": build_pdf(catalog=b"/OpenAction " + SCRIPT),
    "catalog-open-action-launch": build_pdf(
        catalog=b"/OpenAction << /S /Laun#63h /F (calc.exe) >>"
    ),
    "catalog-document-script": build_pdf(
        catalog=b"/Names << /Java#53cript 4 0 R >>",
        extra=(b"<< /Names [(init) " + SCRIPT + b"] >>",),
    ),
    "catalog-additional-action": build_pdf(catalog=b"/A#41 << /WC " + SCRIPT + b" >>"),
    "page-additional-action": build_pdf(page=b"/A#41 << /O " + SCRIPT + b" >>"),
    "annotation-javascript-link": build_pdf(
        page=b"/Annots [4 0 R]",
        extra=(b"<< /Type /Annot /Subtype /Link /Rect [72 72 300 100] /A 5 0 R >>", SCRIPT),
    ),
    "annotation-launch-link": build_pdf(
        page=b"/Annots [4 0 R]",
        extra=(
            b"<< /Type /Annot /Subtype /Link /Rect [72 72 300 100] "
            b"/A << /S /Laun#63h /F (cmd.exe) >> >>",
        ),
    ),
    "embedded-file": build_pdf(
        catalog=b"/Names << /Embedded#46iles << /Names [(a.exe) 4 0 R] >> >>",
        extra=(b"<< /Type /Filespec /F (a.exe) /E#46 << /F 5 0 R >> >>", b"<< >>"),
    ),
    "xfa-form": build_pdf(
        catalog=b"/AcroForm << /Fields [] /X#46A 4 0 R >>",
        extra=(b"<< /Length 0 >>\nstream\n\nendstream",),
    ),
}

# Harmless features that must not be mistaken for active content.
PLAIN_PDF_WITH_LINK = build_pdf(
    catalog=b"/OpenAction [3 0 R /Fit]",
    page=b"/Annots [4 0 R]",
    extra=(
        b"<< /Type /Annot /Subtype /Link /Rect [72 72 300 100] "
        b"/A << /S /URI /URI (https://www.service-public.fr/) >> >>",
    ),
)
