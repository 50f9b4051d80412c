"""The SEPA direct debit file sent to the bank: pain.008.001.02 (SDD CORE), built with
sepaxml. The only module that imports sepaxml; it speaks our language at its border
(``Decimal`` euros, dates, dataclasses) and hands back the XML bytes, validated against the
XSD.

Everything given is checked first (IBANs and RUMs, amounts, dates, lengths), so that a bad
row is reported in a sentence staff understand (``SepaFileError``) rather than as an XSD
error from deep inside the library. Names and descriptions are brought to the EPC character
set (« Élodie Nguyễn & fils » → « Elodie Nguyen fils »), which French banks require.
"""

import re
import threading
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import sepaxml
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from lxml import etree

from portail.direct_debits.identifiers import (
    check_bic,
    check_iban_compact,
    check_ics,
    is_valid_rum,
)

SCHEMA = "pain.008.001.02"
SEQUENCES = frozenset({"FRST", "RCUR", "OOFF", "FNAL"})
# pain.008.001.02 amounts: at most 11 digits, 2 of them after the point; SEPA needs > 0.
MAX_AMOUNT = Decimal("999999999.99")
CENT = Decimal("0.01")
NAME_MAX_LENGTH = 70
DESCRIPTION_MAX_LENGTH = 140
ID_MAX_LENGTH = 35
# Beyond this many problems the rest are summed up: staff fix the first ones and retry.
MAX_REPORTED_ERRORS = 20

# The EPC "Latin character set" every SEPA bank accepts.
_EPC_OTHER = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]+")
_EPC_ID = re.compile(r"[A-Za-z0-9/\-?:().,'+]{1,35}")
# Letters NFKD does not bring down to ASCII.
_ASCII_FALLBACKS = str.maketrans(
    {
        "ß": "ss",
        "Œ": "OE",
        "œ": "oe",
        "Æ": "AE",
        "æ": "ae",
        "Ø": "O",
        "ø": "o",
        "Ł": "L",
        "ł": "l",
        "Đ": "D",
        "đ": "d",
        "Ð": "D",
        "ð": "d",
        "Þ": "Th",
        "þ": "th",
        "ı": "i",
        "’": "'",
        "‘": "'",
        "–": "-",
        "—": "-",
    }
)


class SepaFileError(Exception):
    """The debits given cannot make a valid file. ``messages`` are sentences for staff, in
    the active language; ``str()`` joins them."""

    def __init__(self, messages: str | list[str]):
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__(" ".join(self.messages))


@dataclass(frozen=True)
class Creditor:
    name: str
    iban: str
    bic: str
    ics: str


@dataclass(frozen=True)
class DebitLine:
    end_to_end_id: str  # unique, stored per debit: bank returns name the debit by it
    amount: Decimal
    debtor_name: str
    debtor_iban: str
    debtor_bic: str | None
    rum: str
    mandate_signed_on: date
    sequence: str  # FRST, RCUR, OOFF or FNAL
    collection_on: date
    description: str


def epc_text(value: str, max_length: int) -> str:
    """``value`` in the EPC character set, cut to ``max_length``: accents dropped, other
    characters replaced by a space, spaces collapsed."""
    ascii_value = (
        unicodedata.normalize("NFKD", str(value).translate(_ASCII_FALLBACKS))
        .encode("ascii", "ignore")
        .decode("ascii")
    )
    cleaned = re.sub(r" {2,}", " ", _EPC_OTHER.sub(" ", ascii_value)).strip()
    return cleaned[:max_length].rstrip()


def amount_in_cents(amount: Decimal) -> int:
    """``amount`` euros as an exact integer number of cents. Raises ValueError for a float, a
    fraction of a cent, zero, a negative amount or more than pain.008 allows."""
    if not isinstance(amount, Decimal):
        raise ValueError("A debit amount must be a Decimal.")
    try:
        cents = amount.scaleb(2)
        if not amount.is_finite() or cents != cents.to_integral_value():
            raise ValueError("A debit amount cannot have a fraction of a cent.")
    except InvalidOperation as exc:
        raise ValueError("A debit amount must be a number.") from exc
    if amount <= 0 or amount > MAX_AMOUNT:
        raise ValueError("A debit amount must be positive and at most 999,999,999.99.")
    return int(cents)


def _compact(checked_identifier: str) -> str:
    """An IBAN or BIC already checked, without its spaces."""
    return "".join(checked_identifier.split()).upper()


def _is_plain_date(value) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)


def _creditor_errors(creditor: Creditor) -> list[str]:
    errors = []
    if not epc_text(creditor.name, NAME_MAX_LENGTH):
        errors.append(_("The creditor's name is missing."))
    checks = [
        (check_iban_compact, creditor.iban, _("The creditor's IBAN is not valid: %(reason)s")),
        (check_bic, creditor.bic, _("The creditor's BIC is not valid: %(reason)s")),
        (check_ics, creditor.ics, _("The SEPA creditor identifier (ICS) is not valid: %(reason)s")),
    ]
    for check, value, message in checks:
        try:
            check(value)
        except ValidationError as exc:
            errors.append(message % {"reason": " ".join(exc.messages)})
    return errors


def _line_errors(line: DebitLine) -> list[str]:
    """What is wrong with one debit, each sentence naming the debit."""
    reasons = []
    try:
        amount_in_cents(line.amount)
    except ValueError:
        reasons.append(
            _("its amount (%(amount)s) must be a positive number of euros and cents.")
            % {"amount": line.amount}
        )
    if not epc_text(line.debtor_name, NAME_MAX_LENGTH):
        reasons.append(_("the name of the account holder is missing."))
    try:
        check_iban_compact(line.debtor_iban)
    except ValidationError as exc:
        reasons.append(_("the IBAN is not valid (%(reason)s)") % {"reason": " ".join(exc.messages)})
    if line.debtor_bic:
        try:
            check_bic(line.debtor_bic)
        except ValidationError as exc:
            reasons.append(
                _("the BIC is not valid (%(reason)s)") % {"reason": " ".join(exc.messages)}
            )
    if not is_valid_rum(line.rum or ""):
        reasons.append(
            _(
                "the mandate reference (RUM) must have 1 to 35 letters, digits or "
                "/ - ? : ( ) . , ' +."
            )
        )
    if not epc_text(line.description, DESCRIPTION_MAX_LENGTH):
        reasons.append(_("the description shown to the account holder is missing."))
    if line.sequence not in SEQUENCES:
        reasons.append(_("the sequence type must be FRST, RCUR, OOFF or FNAL."))
    if not _is_plain_date(line.mandate_signed_on) or not _is_plain_date(line.collection_on):
        reasons.append(_("the mandate signature date and the collection date must be dates."))
    elif line.mandate_signed_on > line.collection_on:
        reasons.append(_("the mandate was signed after the collection date."))
    return reasons


def _check(creditor: Creditor, lines: list[DebitLine], message_id: str) -> None:
    errors = _creditor_errors(creditor)
    if not _EPC_ID.fullmatch(message_id or ""):
        errors.append(
            _("The file identifier must have 1 to 35 letters, digits or / - ? : ( ) . , ' +.")
        )
    if not lines:
        errors.append(_("A direct debit file needs at least one debit."))
    seen = set()
    for position, line in enumerate(lines, start=1):
        end_to_end_id = line.end_to_end_id or ""
        if not _EPC_ID.fullmatch(end_to_end_id) or end_to_end_id.startswith("/"):
            errors.append(
                _(
                    "Debit no. %(position)s: its end-to-end identifier must have 1 to 35 "
                    "letters, digits or / - ? : ( ) . , ' +."
                )
                % {"position": position}
            )
        elif end_to_end_id in seen:
            errors.append(
                _("Debit %(id)s appears twice in the file: each debit needs its own identifier.")
                % {"id": end_to_end_id}
            )
        seen.add(end_to_end_id)
        errors.extend(
            _("Debit %(id)s (RUM %(rum)s): %(reason)s")
            % {"id": end_to_end_id, "rum": line.rum, "reason": reason}
            for reason in _line_errors(line)
        )
        if len(errors) > MAX_REPORTED_ERRORS:
            break
    if len(errors) > MAX_REPORTED_ERRORS:
        errors = [
            *errors[:MAX_REPORTED_ERRORS],
            _("Other debits may have problems too: fix these ones first."),
        ]
    if errors:
        raise SepaFileError(errors)


def build_pain008(*, creditor: Creditor, lines: list[DebitLine], message_id: str) -> bytes:
    """The pain.008.001.02 file (UTF-8 XML bytes) debiting ``lines`` for ``creditor``, in
    batch mode: one payment information block per (sequence type, collection date), group
    totals in the header. ``message_id`` (≤ 35 characters) identifies the file to the bank.
    Raises SepaFileError if the input is wrong or the output does not validate."""
    _check(creditor, lines, message_id)
    debit = sepaxml.SepaDD(
        {
            "name": epc_text(creditor.name, NAME_MAX_LENGTH),
            "IBAN": check_iban_compact(creditor.iban),
            "BIC": check_bic(creditor.bic),
            "batch": True,
            "creditor_id": check_ics(creditor.ics),
            "currency": "EUR",
        },
        schema=SCHEMA,
        clean=False,  # epc_text() did it, and to the EPC character set, not just ASCII
    )
    # sepaxml makes up its own message id at construction; ours is the one staff see.
    debit._xml.find("CstmrDrctDbtInitn/GrpHdr/MsgId").text = message_id
    for line in lines:
        # A fresh dict per payment: sepaxml writes into the one it is given.
        payment = {
            "name": epc_text(line.debtor_name, NAME_MAX_LENGTH),
            "IBAN": _compact(line.debtor_iban),
            "amount": amount_in_cents(line.amount),
            "type": line.sequence,
            "collection_date": line.collection_on,
            "mandate_id": line.rum,
            "mandate_date": line.mandate_signed_on,
            "description": epc_text(line.description, DESCRIPTION_MAX_LENGTH),
            "endtoend_id": line.end_to_end_id,
        }
        if line.debtor_bic:
            payment["BIC"] = _compact(line.debtor_bic)
        debit.add_payment(payment)
    # sepaxml validates with xmlschema, in pure Python: 9 s of CPU for 10,000 debits, more
    # than the whole batch may take. libxml2 checks the same bundled XSD in 0.1 s
    # (docs/benchmarks.md).
    xml = debit.export(validate=False, pretty_print=False)
    schema = _schema()  # one per thread: a validator keeps its error log
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    if not schema.validate(etree.fromstring(xml, parser)):
        # Every input was checked above: reaching this means a rule we do not check yet.
        raise SepaFileError(
            _("The direct debit file does not follow the pain.008 format: %(reason)s")
            % {"reason": schema.error_log.last_error.message}
        )
    return xml


_local = threading.local()


def _schema() -> etree.XMLSchema:
    """The pain.008.001.02 XSD bundled with sepaxml, parsed once per thread."""
    if not hasattr(_local, "schema"):
        path = Path(sepaxml.__file__).parent / "schemas" / f"{SCHEMA}.xsd"
        _local.schema = etree.XMLSchema(etree.parse(str(path)))
    return _local.schema
