"""Bank return files: which debits the bank rejected or returned, and why.

Two ISO 20022 messages are read, whatever their version (elements are matched by local name,
so pain.002.001.03 and .001.10, camt.054.001.02 and .001.08 read alike):

* pain.002 (Customer Payment Status Report): debits rejected before settlement,
  ``OrgnlPmtInfAndSts/TxInfAndSts`` with ``TxSts`` RJCT and ``StsRsnInf/Rsn/Cd``;
* camt.054 (Bank to Customer Debit Credit Notification): debits returned or refunded after
  settlement, ``Ntry/NtryDtls/TxDtls`` with ``Refs/EndToEndId`` and ``RtrInf/Rsn/Cd``.

A file is read whole or not at all: the first problem does not stop the reading, every
problem found is listed in ``BankReturnError.errors`` and nothing is returned, so staff never
import half a file. The XML is parsed without entities, DTDs or network (a return file is an
upload).
"""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from lxml import etree

# A bank return of thousands of debits weighs a few megabytes; more is not a return file.
MAX_FILE_SIZE = 20 * 1024 * 1024
# Beyond this many problems the rest are summed up: the file is wrong either way.
MAX_REPORTED_ERRORS = 20
ISO_NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:"

# Reason codes after which the mandate is suspended at once: the account cannot be debited
# again as it is (DOMAIN.md §2.8 and §2.9).
SUSPENDING_CODES = frozenset({"AC01", "AC04", "AC06", "AC13", "AG01", "MD01", "MD07", "SL01"})
# Reason codes that count towards the régie's "suspended after N rejects" rule.
COUNTING_CODES = frozenset({"AM04", "MS02", "MS03", "MD06"})

REASON_LABELS = {
    "AC01": gettext_lazy("The account number (IBAN) is wrong."),
    "AC04": gettext_lazy("The account is closed."),
    "AC06": gettext_lazy("The account is blocked."),
    "AC13": gettext_lazy("This type of account cannot be debited."),
    "AG01": gettext_lazy("Direct debits are not allowed on this account."),
    "AG02": gettext_lazy("The bank refused the operation (invalid operation code)."),
    "AM04": gettext_lazy("Insufficient funds on the account."),
    "AM05": gettext_lazy("This debit was presented twice."),
    "BE05": gettext_lazy("The creditor identifier is wrong."),
    "FF01": gettext_lazy("The bank file was not in the right format."),
    "MD01": gettext_lazy("There is no valid mandate for this debit."),
    "MD02": gettext_lazy("Mandate information is missing or wrong."),
    "MD06": gettext_lazy("The account holder asked their bank for a refund."),
    "MD07": gettext_lazy("The account holder is deceased."),
    "MS02": gettext_lazy("The account holder refused the debit."),
    "MS03": gettext_lazy("The bank refused the debit without giving a reason."),
    "RC01": gettext_lazy("The bank identifier (BIC) is wrong."),
    "RR01": gettext_lazy("The account or identity of the account holder is missing."),
    "RR02": gettext_lazy("The name or address of the account holder is missing."),
    "RR03": gettext_lazy("The name or address of the creditor is missing."),
    "RR04": gettext_lazy("The bank refused the debit for a regulatory reason."),
    "SL01": gettext_lazy(
        "The account holder's bank refused the debit (for example, the holder blocked "
        "debits from this creditor)."
    ),
    "CNOR": gettext_lazy("The creditor's bank does not take part in SEPA direct debits."),
    "DNOR": gettext_lazy("The account holder's bank does not take part in SEPA direct debits."),
    "FOCR": gettext_lazy("The debit was returned after a cancellation request."),
}

_CODE = re.compile(r"[A-Z0-9]{1,35}")
CENT = Decimal("0.01")
# What a debit can be (pain.008: 11 digits, 2 after the point).
MAX_AMOUNT = Decimal("999999999.99")
_NOT_PROVIDED = "NOTPROVIDED"


def reason_label(code: str):
    """A plain sentence saying why a debit was rejected (lazy: rendered in the reader's
    language)."""
    code = (code or "").strip().upper()
    if code in REASON_LABELS:
        return REASON_LABELS[code]
    return format_lazy(gettext_lazy("The bank rejected the debit (reason code {code})."), code=code)


@dataclass(frozen=True)
class ReturnedDebit:
    end_to_end_id: str
    reason_code: str
    amount: Decimal | None
    returned_on: date | None


class BankReturnError(Exception):
    """The file was not imported at all; ``errors`` says why, in sentences for staff."""

    def __init__(self, errors: list[str]):
        self.errors = list(errors)
        super().__init__(" ".join(self.errors))


_PARSER_OPTIONS = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}


def _local(element) -> str:
    return etree.QName(element).localname


def _children(element, name: str) -> list:
    return [child for child in element if isinstance(child.tag, str) and _local(child) == name]


def _find(element, path: str):
    """The first element at ``path`` ("A/B/C", local names) under ``element``, or None."""
    current = [element]
    for name in path.split("/"):
        current = [child for parent in current for child in _children(parent, name)]
        if not current:
            return None
    return current[0]


def _first_found(element, *paths: str):
    """The element at the first of ``paths`` that exists (an lxml element without children
    is false, hence no ``or``)."""
    for path in paths:
        found = _find(element, path)
        if found is not None:
            return found
    return None


def _text(element, path: str) -> str:
    found = _find(element, path)
    return (found.text or "").strip() if found is not None else ""


def _date(element, *paths: str) -> date | None:
    """The date of the first of ``paths`` that holds one (a date or a date-time)."""
    for path in paths:
        value = _text(element, path)
        if value:
            try:
                return date.fromisoformat(value[:10])
            except ValueError:
                return None
    return None


class _Reader:
    """Collects the returned debits and the problems of one file."""

    def __init__(self):
        self.returned: list[ReturnedDebit] = []
        self.errors: list[str] = []

    def amount(self, element, where: str) -> Decimal | None:
        """The amount of ``element`` (None if absent), noting a problem if it is wrong."""
        if element is None:
            return None
        currency = element.get("Ccy", "EUR")
        try:
            amount = Decimal((element.text or "").strip())
            is_euros_and_cents = (
                amount.is_finite() and 0 < amount <= MAX_AMOUNT and amount == amount.quantize(CENT)
            )
        except InvalidOperation:
            is_euros_and_cents = False
        if not is_euros_and_cents:
            self.errors.append(
                _("%(where)s: the amount “%(amount)s” is not an amount in euros and cents.")
                % {"where": where, "amount": (element.text or "").strip()[:30]}
            )
            return None
        if currency != "EUR":
            self.errors.append(
                _("%(where)s: the amount is in %(currency)s, not in euros.")
                % {"where": where, "currency": currency[:10]}
            )
            return None
        return amount

    def add(self, *, end_to_end_id, reason, amount_element, returned_on, where):
        if not end_to_end_id or end_to_end_id == _NOT_PROVIDED:
            self.errors.append(
                _(
                    "%(where)s: a rejected debit has no end-to-end identifier, so it cannot "
                    "be matched."
                )
                % {"where": where}
            )
            return
        where = _("%(where)s, debit %(id)s") % {"where": where, "id": end_to_end_id[:35]}
        code = self.reason_code(reason, where)
        amount = self.amount(amount_element, where)
        if code:
            self.returned.append(ReturnedDebit(end_to_end_id, code, amount, returned_on))

    def reason_code(self, reason, where: str) -> str:
        """The code of a ``Rsn`` element (ISO ``Cd`` or the bank's ``Prtry``)."""
        code = ""
        if reason is not None:
            code = (_text(reason, "Cd") or _text(reason, "Prtry")).upper()
        if not _CODE.fullmatch(code):
            self.errors.append(
                _("%(where)s: the reason of the reject is missing.") % {"where": where}
            )
            return ""
        return code


def _read_pain002(report, reader: _Reader) -> None:
    report_on = _date(report, "GrpHdr/CreDtTm")
    group = _find(report, "OrgnlGrpInfAndSts")
    statuses = _children(report, "OrgnlPmtInfAndSts")
    transactions = [tx for status in statuses for tx in _children(status, "TxInfAndSts")]
    if group is not None and _text(group, "GrpSts") == "RJCT" and not transactions:
        code = _text(group, "StsRsnInf/Rsn/Cd") or _text(group, "StsRsnInf/Rsn/Prtry")
        reader.errors.append(
            _(
                "The bank rejected the whole file %(file)s (reason %(code)s: %(label)s): no "
                "debit of it was made. Correct the file and send it again."
            )
            % {"file": _text(group, "OrgnlMsgId")[:35], "code": code, "label": reason_label(code)}
        )
        return
    for status in statuses:
        block = _text(status, "OrgnlPmtInfId")[:35]
        rows = _children(status, "TxInfAndSts")
        if _text(status, "PmtInfSts") == "RJCT" and not rows:
            code = _text(status, "StsRsnInf/Rsn/Cd") or _text(status, "StsRsnInf/Rsn/Prtry")
            reader.errors.append(
                _(
                    "The bank rejected the whole block %(block)s of the file (reason %(code)s: "
                    "%(label)s) without listing its debits."
                )
                % {"block": block, "code": code, "label": reason_label(code)}
            )
            continue
        for position, row in enumerate(rows, start=1):
            if _text(row, "TxSts") != "RJCT":
                continue  # accepted or pending: nothing to undo
            where = _("Block %(block)s, line %(position)s") % {"block": block, "position": position}
            reader.add(
                end_to_end_id=_text(row, "OrgnlEndToEndId"),
                reason=_find(row, "StsRsnInf/Rsn"),
                amount_element=_find(row, "OrgnlTxRef/Amt/InstdAmt"),
                returned_on=_date(row, "AccptncDtTm") or report_on,
                where=where,
            )


# Bank transaction sub-families of a collection coming back: unpaid (return), reversal,
# return after a cancellation request. A line of such an entry is a return even when the
# bank left out its return information, which is then reported missing, not skipped.
_RETURN_SUBFAMILIES = frozenset({"UPDD", "PRDD", "RCDD"})


def _is_return_code(element) -> bool:
    return _text(element, "BkTxCd/Domn/Fmly/SubFmlyCd") in _RETURN_SUBFAMILIES


def _read_camt054(notification_message, reader: _Reader) -> None:
    for notification in _children(notification_message, "Ntfctn"):
        notified_on = _date(notification, "CreDtTm")
        for entry_number, entry in enumerate(_children(notification, "Ntry"), start=1):
            booked_on = _date(entry, "BookgDt/Dt", "BookgDt/DtTm", "ValDt/Dt", "ValDt/DtTm")
            details = [
                detail
                for entry_details in _children(entry, "NtryDtls")
                for detail in _children(entry_details, "TxDtls")
            ]
            entry_is_return = _is_return_code(entry)
            for position, detail in enumerate(details, start=1):
                return_information = _find(detail, "RtrInf")
                if return_information is None and not (entry_is_return or _is_return_code(detail)):
                    continue  # a settled debit, not a return
                amount_element = _first_found(
                    detail, "Amt", "AmtDtls/InstdAmt/Amt", "AmtDtls/TxAmt/Amt"
                )
                if amount_element is None and len(details) == 1:
                    amount_element = _find(entry, "Amt")
                reader.add(
                    end_to_end_id=_text(detail, "Refs/EndToEndId"),
                    reason=None if return_information is None else _find(return_information, "Rsn"),
                    amount_element=amount_element,
                    returned_on=booked_on or notified_on,
                    where=_("Entry %(entry)s, line %(position)s")
                    % {"entry": entry_number, "position": position},
                )


_MESSAGES = {
    # namespace family: (root child, reader)
    "pain.002": ("CstmrPmtStsRpt", _read_pain002),
    "camt.054": ("BkToCstmrDbtCdtNtfctn", _read_camt054),
}


def _dtd_refused() -> str:
    return _("The file declares a document type (DTD), which bank files never do: it was refused.")


def _parse(data: bytes):
    if not data or not data.strip():
        raise BankReturnError([_("The file is empty.")])
    if len(data) > MAX_FILE_SIZE:
        raise BankReturnError(
            [
                _("The file is larger than %(size)s MB: it is not a bank return file.")
                % {"size": MAX_FILE_SIZE // (1024 * 1024)}
            ]
        )
    # Bank files never declare a DTD; one in an upload can only be an entity attack.
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise BankReturnError([_dtd_refused()])
    try:
        root = etree.fromstring(data, etree.XMLParser(**_PARSER_OPTIONS))
    except etree.XMLSyntaxError as exc:
        raise BankReturnError(
            [
                _("The file is not a readable XML file (line %(line)s: %(reason)s).")
                % {"line": exc.lineno or 1, "reason": exc.msg or exc}
            ]
        ) from None
    # The same check once decoded: a UTF-16 file hides its DTD from the byte search above.
    if root.getroottree().docinfo.doctype or root.getroottree().docinfo.internalDTD:
        raise BankReturnError([_dtd_refused()])
    return root


def parse_bank_return(data: bytes) -> list[ReturnedDebit]:
    """The debits a pain.002 or camt.054 file ``data`` reports as rejected or returned, in
    file order. Raises BankReturnError listing every problem if the file is not one of those
    messages or any reject in it cannot be read: then nothing is returned."""
    root = _parse(data)
    namespace = etree.QName(root).namespace or ""
    family = namespace.removeprefix(ISO_NAMESPACE)[:8]
    message = _children(root, _MESSAGES[family][0]) if family in _MESSAGES else []
    if _local(root) != "Document" or not namespace.startswith(ISO_NAMESPACE) or not message:
        kind = namespace.removeprefix(ISO_NAMESPACE) if namespace.startswith(ISO_NAMESPACE) else ""
        raise BankReturnError(
            [
                _(
                    "This file is not a bank return: expected a payment status report "
                    "(pain.002) or a debit notification (camt.054), found %(kind)s."
                )
                % {"kind": kind or _local(root)[:50]}
            ]
        )
    reader = _Reader()
    _MESSAGES[family][1](message[0], reader)
    if reader.errors:
        errors = reader.errors
        if len(errors) > MAX_REPORTED_ERRORS:
            hidden = len(errors) - MAX_REPORTED_ERRORS
            errors = [
                *errors[:MAX_REPORTED_ERRORS],
                ngettext("…and %(count)s other problem.", "…and %(count)s other problems.", hidden)
                % {"count": hidden},
            ]
        raise BankReturnError(errors)
    # The same return reported twice in one file is one return.
    return list(dict.fromkeys(reader.returned))
