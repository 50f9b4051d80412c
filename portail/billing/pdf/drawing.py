"""How the documents are drawn: the only module that imports ReportLab. It knows nothing of
invoices: it lays out text, tables, a logo and page footers on A4.

The built-in Helvetica is used: nothing to ship, every machine renders the same bytes, and
it is fast. It covers WinAnsi (é, «, », €, œ…); other characters are brought to the nearest
letter it has by ``pdf_text`` (« Łukasz » → « Lukasz », « ễ » → « ê ») rather than drawn as
black boxes. ReportLab writes no structure tree, so the PDF is not tagged; it carries its
language, a title viewers show, and text in reading order: what ReportLab allows (RGAA 13.3)."""

import functools
import io
import unicodedata
from collections.abc import Callable
from datetime import date

from PIL import Image as PillowImage
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch, mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Spacer,
    Table,
    TableStyle,
)

# ASCII85 over zlib only kept streams 7-bit safe for old mail gateways; it costs a quarter
# more bytes and, in pure Python, a millisecond a page.
rl_config.useA85 = 0

MARGIN = 16 * mm
CONTENT_WIDTH = A4[0] - 2 * MARGIN
AMOUNT_WIDTH = 32 * mm
LOGO_BOX = (40 * mm, 22 * mm)
# Enough for print; a large upload is brought down to it once, not at every page.
LOGO_DPI = 200
GREY = colors.HexColor("#e8e8e8")
DARK_GREY = colors.HexColor("#555555")

BODY = ParagraphStyle("body", fontName="Helvetica", fontSize=9, leading=11.5)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=8, leading=10)
BOLD = ParagraphStyle("bold", parent=BODY, fontName="Helvetica-Bold")
BOLD_RIGHT = ParagraphStyle("bold-right", parent=BOLD, alignment=TA_RIGHT)
BOLD_CENTRE = ParagraphStyle("bold-centre", parent=BOLD, alignment=TA_CENTER)
TITLE = ParagraphStyle("title", parent=BOLD, fontSize=15, leading=18, spaceAfter=3)
HEADING = ParagraphStyle(
    "heading", parent=BOLD, fontSize=10, leading=13, spaceBefore=7, spaceAfter=2
)

# Letters WinAnsi lacks that have no decomposition to a base letter.
_TRANSLITERATIONS = str.maketrans(
    {"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "ı": "i", "Ŀ": "L", "ŀ": "l"}
)


def _drawable(character: str) -> str:
    """``character`` if WinAnsi has it, else the nearest letter it has, else « ? »."""
    decomposed = unicodedata.normalize("NFKD", character)
    while decomposed:
        candidate = unicodedata.normalize("NFC", decomposed)
        try:
            candidate.encode("cp1252")
        except UnicodeEncodeError:
            if not unicodedata.combining(decomposed[-1]):
                break
            decomposed = decomposed[:-1]  # drop one accent and try again
        else:
            return candidate
    return "?"


def pdf_text(text) -> str:
    """``text`` in characters Helvetica can draw. The narrow no-break space of French
    numbers becomes a no-break space, which WinAnsi has and lines never break at."""
    text = str(text).replace("\u202f", "\u00a0").translate(_TRANSLITERATIONS)
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return "".join(_drawable(character) for character in text)
    return text


def _wrap(text: str, font_name: str, font_size: float, width: float) -> list[str]:
    """``text`` cut into lines no wider than ``width``, at spaces only: never at a no-break
    space (« 29,00 € » stays whole). A word wider than the line has a line of its own."""
    if stringWidth(text, font_name, font_size) <= width:
        return [text]
    space = stringWidth(" ", font_name, font_size)
    lines, current, current_width = [], [], 0.0
    for word in text.split(" "):
        word_width = stringWidth(word, font_name, font_size)
        if current and current_width + space + word_width > width:
            lines.append(" ".join(current))
            current, current_width = [word], word_width
        else:
            current_width += (space if current else 0) + word_width
            current.append(word)
    lines.append(" ".join(current))
    return lines


class _Text(Flowable):
    """Plain text in one style, wrapped to the width it is given, optionally after a bullet.

    ReportLab's Paragraph would do, but it parses markup these documents never use, and
    that parsing was a third of the time an invoice took."""

    def __init__(self, text, style, bullet=""):
        super().__init__()
        self.text = pdf_text(text)
        self.style = style
        self.bullet = bullet
        self.indent = 0
        self.lines = []

    def wrap(self, available_width, available_height):
        # Tables wrap each cell twice (to measure, then to draw): the width decides alone.
        if self.lines and available_width == self.width:
            return self.width, self.height
        style = self.style
        if self.bullet:
            self.indent = stringWidth(self.bullet + " ", style.fontName, style.fontSize)
        self.lines = [
            line
            for paragraph in self.text.replace("\r\n", "\n").split("\n")
            for line in _wrap(
                paragraph, style.fontName, style.fontSize, available_width - self.indent
            )
        ]
        self.width = available_width
        self.height = style.leading * len(self.lines)
        return self.width, self.height

    def split(self, available_width, available_height):
        """A text taller than what is left of the page goes on over the next one."""
        self.wrap(available_width, available_height)
        fitting = int(available_height // self.style.leading)
        if fitting <= 0 or fitting >= len(self.lines):
            return []
        return [
            _Text("\n".join(self.lines[:fitting]), self.style, self.bullet),
            _Text("\n".join(self.lines[fitting:]), self.style),
        ]

    def getSpaceBefore(self):
        return self.style.spaceBefore

    def getSpaceAfter(self):
        return self.style.spaceAfter

    def draw(self):
        # One text object for all the lines: drawString would open one per line, and that
        # was a tenth of an invoice's time.
        canvas, style = self.canv, self.style
        canvas.setFillColor(style.textColor)
        lines = canvas.beginText()
        lines.setFont(style.fontName, style.fontSize, style.leading)
        # The first baseline sits one font size below the top, as Paragraph puts it.
        y = self.height - style.fontSize
        if self.bullet:
            lines.setTextOrigin(0, y)
            lines.textOut(self.bullet)
        for line in self.lines:
            if style.alignment == TA_RIGHT:
                x = self.width - stringWidth(line, style.fontName, style.fontSize)
            elif style.alignment == TA_CENTER:
                x = (self.width - stringWidth(line, style.fontName, style.fontSize)) / 2
            else:
                x = self.indent
            lines.setTextOrigin(x, y)
            lines.textOut(line)
            y -= style.leading
        canvas.drawText(lines)


def text(value, style=BODY, *, bullet="") -> Flowable:
    return _Text(value, style, bullet)


def spacer(height_mm: float) -> Flowable:
    return Spacer(0, height_mm * mm)


def keep_together(flowables: list) -> Flowable:
    """These flowables on one page, moved whole to the next if they do not fit."""
    return KeepTogether(flowables)


@functools.lru_cache(maxsize=4)
def _logo_image(data: bytes) -> ImageReader:
    """The logo decoded once per process, brought down to LOGO_DPI for its box and laid on
    white (the paper's colour), so a 3,000-pixel upload costs no more than a small one."""
    with PillowImage.open(io.BytesIO(data)) as image:
        image = image.convert("RGBA")
    image.thumbnail((round(LOGO_BOX[0] / inch * LOGO_DPI), round(LOGO_BOX[1] / inch * LOGO_DPI)))
    on_white = PillowImage.new("RGB", image.size, "white")
    on_white.paste(image, mask=image.getchannel("A"))
    return ImageReader(on_white)


class _Logo(Flowable):
    def __init__(self, image: ImageReader):
        super().__init__()
        self.image = image
        pixels_wide, pixels_high = image.getSize()
        scale = min(LOGO_BOX[0] / pixels_wide, LOGO_BOX[1] / pixels_high)
        self.width, self.height = pixels_wide * scale, pixels_high * scale

    def wrap(self, available_width, available_height):
        return self.width, self.height

    def draw(self):
        self.canv.drawImage(self.image, 0, 0, self.width, self.height)


def logo(data: bytes) -> Flowable:
    """An image fitted into the logo box. Raises if ``data`` is not an image Pillow reads."""
    return _Logo(_logo_image(data))


def header(letterhead: list, title: str, facts: list[str], addressee: list) -> list:
    """The issuer on the left, the document's title and facts on the right, then the
    addressee on the right, where a window envelope shows it."""
    widths = [CONTENT_WIDTH * 0.55, CONTENT_WIDTH * 0.45]
    top = Table(
        [[letterhead, [text(title, TITLE), *(text(fact) for fact in facts)]]],
        colWidths=widths,
        style=[("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (0, -1), 0)],
    )
    addressee_block = Table(
        [["", addressee]], colWidths=widths, style=[("VALIGN", (0, 0), (-1, -1), "TOP")]
    )
    return [top, spacer(6), addressee_block, spacer(8)]


def amounts_table(rows: list[tuple[str, str]], *, full_width=False) -> Flowable:
    """Label and amount pairs, right-aligned on the page; the last row, the one that
    matters (remaining to pay, credit left, total received), in bold on grey."""
    data = [[text(label), pdf_text(amount)] for label, amount in rows]
    data[-1][0] = text(rows[-1][0], BOLD)
    label_width = CONTENT_WIDTH - AMOUNT_WIDTH if full_width else 60 * mm
    table = Table(
        data,
        colWidths=[label_width, AMOUNT_WIDTH],
        style=[
            ("ALIGN", (1, 0), (1, -1), "RIGHT"),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("FONTNAME", (1, 0), (1, -1), "Helvetica"),
            ("FONTSIZE", (1, 0), (1, -1), 9),
            ("LINEBELOW", (0, 0), (-1, -1), 0.25, GREY),
            ("FONTNAME", (1, -1), (1, -1), "Helvetica-Bold"),
            ("BACKGROUND", (0, -1), (-1, -1), GREY),
        ],
    )
    table.hAlign = "RIGHT"
    return table


def grouped_lines_table(headings: list[str], groups: list[dict]) -> Flowable:
    """A table of five columns (label, quantity, unit, unit price, amount) in groups, each
    ``{"title": str, "rows": [[label, quantity, unit, unit price, amount], …],
    "subtotal_label": str, "subtotal": str}``. The headings repeat on every page."""
    heading_styles = [BOLD, BOLD_RIGHT, BOLD_CENTRE, BOLD_RIGHT, BOLD_RIGHT]
    rows = [[text(value, style) for value, style in zip(headings, heading_styles, strict=True)]]
    style = [
        ("BACKGROUND", (0, 0), (-1, 0), GREY),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
        ("ALIGN", (2, 1), (2, -1), "CENTER"),
        ("FONTNAME", (0, 0), (-1, -1), "Helvetica"),
        ("FONTSIZE", (0, 0), (-1, -1), 9),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    for group in groups:
        title_row = len(rows)
        style += [
            ("SPAN", (0, title_row), (-1, title_row)),
            ("LINEABOVE", (0, title_row), (-1, title_row), 0.5, DARK_GREY),
        ]
        rows.append([text(group["title"], BOLD), "", "", "", ""])
        for label, *numbers in group["rows"]:
            rows.append([text(label), *(pdf_text(number) for number in numbers)])
        subtotal_row = len(rows)
        style += [
            ("SPAN", (0, subtotal_row), (3, subtotal_row)),
            ("FONTNAME", (4, subtotal_row), (4, subtotal_row), "Helvetica-Bold"),
            ("LINEABOVE", (0, subtotal_row), (-1, subtotal_row), 0.25, GREY),
        ]
        rows.append(
            [text(group["subtotal_label"], BOLD_RIGHT), "", "", "", pdf_text(group["subtotal"])]
        )
    widths = [20 * mm, 18 * mm, 26 * mm, 26 * mm]
    return Table(
        rows,
        colWidths=[CONTENT_WIDTH - sum(widths), *widths],
        style=TableStyle(style),
        repeatRows=1,
    )


class _NumberedCanvas(Canvas):
    """Writes the footer (« page N of M ») on every page once the page count is known, and
    dates the PDF with the document's own date so that the same document gives the same
    bytes."""

    def __init__(self, *args, footer, pdf_date, **kwargs):
        super().__init__(*args, **kwargs)
        self._footer = footer
        self._pages = []
        if pdf_date:
            self.setDateFormatter(lambda *_ignored: pdf_date)

    def showPage(self):
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self.setFont("Helvetica", 7.5)
            self.setFillColor(DARK_GREY)
            self.drawCentredString(
                A4[0] / 2, 9 * mm, pdf_text(self._footer(number, len(self._pages)))
            )
            super().showPage()
        super().save()


def build(
    story: list,
    *,
    title: str,
    subject: str,
    author: str,
    language: str,
    footer: Callable[[int, int], str],
    dated_on: date | None,
) -> bytes:
    """The PDF of ``story`` on A4. ``footer(page, pages)`` gives each page's footer;
    ``language`` is a BCP 47 tag (« fr-FR »); ``dated_on`` becomes the PDF's creation date
    (without it, ReportLab's fixed invariant date)."""
    buffer = io.BytesIO()
    # The frame has no padding of its own, so CONTENT_WIDTH is the width tables really get.
    frame = Frame(
        MARGIN,
        MARGIN + 4 * mm,
        CONTENT_WIDTH,
        A4[1] - 2 * MARGIN - 4 * mm,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    document = BaseDocTemplate(
        buffer,
        pagesize=A4,
        pageTemplates=[PageTemplate(id="page", frames=[frame])],
        title=title,
        author=author,
        subject=subject,
        creator="Portail Famille",
        lang=language,
        displayDocTitle=1,
        invariant=1,
    )
    pdf_date = dated_on.strftime("D:%Y%m%d000000+00'00'") if dated_on else None

    def canvas_maker(*args, **kwargs):
        return _NumberedCanvas(*args, footer=footer, pdf_date=pdf_date, **kwargs)

    document.build(story, canvasmaker=canvas_maker)
    return buffer.getvalue()
