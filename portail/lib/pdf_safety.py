"""Does a PDF run anything when it is opened? Answered from the PDF's structure, read by pypdf.

Searching the raw bytes for ``/JS`` or ``/AA`` refuses genuine files: compressed image data
contains those few bytes by chance (a third of 2 MB of random data holds ``/js``). Instead every
object the file's cross-reference table lists is read, including those inside object streams
that a byte search cannot see, and every dictionary in it is checked for:

- a script or launch action (``/S /JavaScript``, ``/Launch``, ``/ImportData``,
  ``/RichMediaExecute``, ``/GoToE``) or a ``/JS`` entry, wherever it sits: the catalog's
  ``/OpenAction``, a link annotation, a bookmark, a form field, the ``/Next`` of another action;
- automatic triggers (``/AA``: on open, on close, on page view…) on the catalog, a page, an
  annotation or a field;
- the document-level scripts (``/Names`` → ``/JavaScript``);
- embedded files and rich media (``/EmbeddedFiles``, ``/Type /EmbeddedFile``, ``/EF``,
  ``/RichMedia``), which carry a second file inside the PDF;
- XFA forms (``/XFA``), whose XML may hold scripts.

Plain destinations (``/OpenAction [page /Fit]``) and web links (``/S /URI``) are harmless and
pass. A file pypdf cannot read raises ``UnreadablePdf`` (so does one that needs a password to
open, or has more than ``MAX_OBJECTS`` objects): callers refuse it as damaged. Nothing here
knows about crèches; the callers word the message."""

import io
from dataclasses import dataclass

from pypdf import PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

# Action types that run code, start a program, or pull in another file.
ACTIVE_ACTIONS = frozenset(
    {"/JavaScript", "/Launch", "/ImportData", "/RichMediaExecute", "/GoToE", "/Rendition"}
)
# Dictionary keys whose mere presence means a script, an automatic trigger or a hidden file.
ACTIVE_KEYS = {
    "/JS": "script",
    "/AA": "automatic action",
    "/JavaScript": "document script",
    "/EmbeddedFiles": "embedded file",
    "/EF": "embedded file",
    "/RichMedia": "rich media",
    "/RichMediaContent": "rich media",
    "/XFA": "form script",
}
ACTIVE_TYPES = {"/EmbeddedFile": "embedded file", "/RichMedia": "rich media"}
# Long names a byte search can still look for without false alarms (7 bytes or more, so random
# data holds one about once in 10^11 files). This also catches an action dictionary left
# outside the cross-reference table, where pypdf does not look but a repairing viewer might.
RAW_ACTIVE_NAMES = (b"/JavaScript", b"/Launch", b"/EmbeddedFile", b"/RichMedia")
# Reading every object costs about 50 µs each: this bounds one check to a few seconds. A genuine
# document of a few megabytes has a few thousand objects.
MAX_OBJECTS = 50_000


class UnreadablePdf(Exception):
    """pypdf could not read the file (truncated, corrupted, or made to confuse parsers)."""


@dataclass(frozen=True)
class PdfInspection:
    page_count: int
    # What was found, e.g. ("script", "automatic action"); empty for a plain document.
    active_content: tuple[str, ...]

    @property
    def is_plain(self) -> bool:
        return not self.active_content


def _findings_in(value) -> set[str]:
    """Check one object and the dictionaries and arrays written inside it. References to other
    objects are not followed: every object is checked on its own (see ``inspect_pdf``)."""
    found = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            continue
        if isinstance(item, DictionaryObject):
            # A stream's dictionary is checked; its (compressed) data is never looked at.
            for key, label in ACTIVE_KEYS.items():
                if key in item:
                    found.add(label)
            kind = item.get("/S")
            if isinstance(kind, NameObject) and kind in ACTIVE_ACTIONS:
                found.add("script or launch action")
            for key in ("/Type", "/Subtype"):
                kind = item.get(key)
                if isinstance(kind, NameObject) and kind in ACTIVE_TYPES:
                    found.add(ACTIVE_TYPES[kind])
            stack.extend(item.values())
        elif isinstance(item, ArrayObject):
            stack.extend(item)
    return found


def _object_references(reader: PdfReader):
    count = sum(len(objects) for objects in reader.xref.values()) + len(reader.xref_objStm)
    if count > MAX_OBJECTS:
        raise UnreadablePdf(f"{count} objects")
    for generation, objects in reader.xref.items():
        for number in objects:
            yield IndirectObject(number, generation, reader)
    for number in reader.xref_objStm:
        yield IndirectObject(number, 0, reader)


def inspect_pdf(data: bytes) -> PdfInspection:
    """Read ``data`` as a PDF and report its page count and any active content. Raises
    ``UnreadablePdf`` when pypdf cannot read it."""
    if any(name in data for name in RAW_ACTIVE_NAMES):
        # Refused whatever else it holds, so there is no need to read it (it may not even parse).
        return PdfInspection(page_count=0, active_content=("script or launch action",))
    found = set()
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            # Needs a password to open: we cannot look inside, so neither can we vouch for it.
            raise UnreadablePdf("encrypted with a password")
        page_count = len(reader.pages)
        found |= _findings_in(reader.trailer["/Root"].get_object())
        for reference in _object_references(reader):
            found |= _findings_in(reference.get_object())
    except UnreadablePdf:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError) as error:
        raise UnreadablePdf(str(error)) from error
    except (RecursionError, MemoryError) as error:
        raise UnreadablePdf("too deeply nested") from error
    return PdfInspection(page_count=page_count, active_content=tuple(sorted(found)))
