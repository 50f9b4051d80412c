"""Reading the CSV file of the billing software: size, encoding, separator, header, rows.
Nothing here touches the database."""

import codecs
import csv
import io
import re
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..models import InvoiceLine

MAX_FILE_MB = 5
MAX_FILE_BYTES = MAX_FILE_MB * 1024 * 1024

NUMBER = "numero_facture"
FAMILY_CODE = "code_famille"
PAYER_EMAIL = "email_payeur"
KIND = "type_facture"
PERIOD = "periode"
ISSUED_ON = "date_emission"
DUE_ON = "date_echeance"
CHILD = "prenom_enfant"
LABEL = "libelle"
QUANTITY = "quantite"
UNIT = "unite"
UNIT_PRICE = "prix_unitaire"
AMOUNT = "montant"

COLUMNS = [
    NUMBER,
    FAMILY_CODE,
    PAYER_EMAIL,
    KIND,
    PERIOD,
    ISSUED_ON,
    DUE_ON,
    CHILD,
    LABEL,
    QUANTITY,
    UNIT,
    UNIT_PRICE,
    AMOUNT,
]
# Their cells may be empty, and the columns themselves may be left out.
OPTIONAL_COLUMNS = {PAYER_EMAIL, CHILD}
UNITS = {
    "heure": InvoiceLine.Unit.HOUR.value,
    "heures": InvoiceLine.Unit.HOUR.value,
    "jour": InvoiceLine.Unit.DAY.value,
    "jours": InvoiceLine.Unit.DAY.value,
    "repas": InvoiceLine.Unit.MEAL.value,
    "mois": InvoiceLine.Unit.MONTH.value,
    "unité": InvoiceLine.Unit.UNIT.value,
    "unités": InvoiceLine.Unit.UNIT.value,
    "unite": InvoiceLine.Unit.UNIT.value,
    "unites": InvoiceLine.Unit.UNIT.value,
}

DECIMAL_PATTERN = re.compile(r"^[+-]?\d+([.,]\d+)?$")
# Spreadsheets group thousands with spaces, sometimes non-breaking ones.
DIGIT_GROUP_SPACES = str.maketrans("", "", " \u00a0\u202f")


class FileRefused(Exception):
    """The file as a whole cannot be read; ``errors`` says why, in the staff's language."""

    def __init__(self, errors: list[str]):
        super().__init__(errors)
        self.errors = errors


@dataclass
class Row:
    line: int  # in the file, the header being line 1
    cells: dict[str, str]  # every column of COLUMNS, stripped


def file_too_big_message() -> str:
    return _("The file is larger than {size} MB: split it into several files.").format(
        size=MAX_FILE_MB
    )


def read_rows(content: bytes) -> tuple[list[Row], list[tuple[int, str]]]:
    """The data rows of the file, and the (line, error) of the lines that have the wrong
    number of values. Raises FileRefused when the file is too big, empty, not UTF-8, or its
    header is wrong (then no line can be read)."""
    if len(content) > MAX_FILE_BYTES:
        raise FileRefused([file_too_big_message()])
    if content.startswith(codecs.BOM_UTF8):
        content = content[len(codecs.BOM_UTF8) :]
    if not content.strip():
        raise FileRefused([_("The file is empty.")])
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        message = _(
            "The file is not encoded in UTF-8 (save it as « CSV UTF-8 »). The first unreadable "
            "character is on line {line}."
        )
        raise FileRefused([message.format(line=line)]) from None
    # French spreadsheets write « ; »; the header's column names never contain either.
    separator = ";" if ";" in text.splitlines()[0] else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    try:
        names = [name.strip().lstrip("\ufeff").lower() for name in next(reader, [])]
        _check_header(names)
        return _data_rows(reader, names, separator)
    except csv.Error:
        message = _("Line {line}: this line cannot be read as CSV (check its quotation marks).")
        raise FileRefused([message.format(line=reader.line_num)]) from None


def _check_header(names: list[str]) -> None:
    errors = []
    unknown = [name for name in names if name not in COLUMNS]
    for name in unknown:
        errors.append(_("Line 1: unknown column « {column} » in the header.").format(column=name))
    for name, count in Counter(names).items():
        if count > 1 and name in COLUMNS:
            message = _("Line 1: the column « {column} » appears twice in the header.")
            errors.append(message.format(column=name))
    missing = [name for name in COLUMNS if name not in names and name not in OPTIONAL_COLUMNS]
    if missing:
        message = ngettext(
            "Line 1: the header lacks the column {columns}.",
            "Line 1: the header lacks the columns {columns}.",
            len(missing),
        )
        errors.append(message.format(columns=", ".join(f"« {name} »" for name in missing)))
    if errors and len(unknown) == len(names):
        message = _(
            "The first line must be the header with the column names, separated by « ; » or "
            "« , »: {columns}."
        )
        errors.append(message.format(columns=";".join(COLUMNS)))
    if errors:
        raise FileRefused(errors)


def _data_rows(reader, names: list[str], separator: str) -> tuple[list[Row], list]:
    rows, errors = [], []
    while True:
        line = reader.line_num + 1  # where the next record starts
        values = next(reader, None)
        if values is None:
            break
        if not any(value.strip() for value in values):
            continue  # blank lines, and the « ;;;; » rows spreadsheets leave at the end
        if len(values) != len(names):
            message = _(
                "Line {line}: {count} values instead of {expected} (check the separator "
                "« {separator} » and the quotation marks)."
            )
            counts = {"count": len(values), "expected": len(names), "separator": separator}
            errors.append((line, message.format(line=line, **counts)))
            continue
        cells = dict.fromkeys(COLUMNS, "")
        cells.update((name, value.strip()) for name, value in zip(names, values, strict=True))
        rows.append(Row(line=line, cells=cells))
    if not rows and not errors:
        raise FileRefused([_("The file has a header but no invoice line.")])
    return rows, errors


def parse_decimal(value: str) -> Decimal | None:
    """« 12,5 », « 12.5 », « 1 234,50 », « -3,20 » → Decimal; anything else → None."""
    value = value.translate(DIGIT_GROUP_SPACES).replace("\u2212", "-")
    if not DECIMAL_PATTERN.match(value):
        return None
    try:
        return Decimal(value.replace(",", "."))
    except InvalidOperation:
        return None


def french_decimal(value: Decimal) -> str:
    return f"{value:f}".replace(".", ",")
