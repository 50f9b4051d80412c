"""Checking every row of an import against the database (reads only) and planning the
invoices to create. Every wrong value of every line is reported, by line number."""

import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext as _

from portail.households.models import Guardian, Household

from ..models import Invoice, InvoiceKind, Regie
from ..services import line_amount
from .csvfile import (
    AMOUNT,
    CHILD,
    COLUMNS,
    DUE_ON,
    FAMILY_CODE,
    ISSUED_ON,
    KIND,
    LABEL,
    NUMBER,
    OPTIONAL_COLUMNS,
    PAYER_EMAIL,
    PERIOD,
    QUANTITY,
    UNIT,
    UNIT_PRICE,
    UNITS,
    Row,
    french_decimal,
    parse_decimal,
)

Progress = Callable[[int, int], None]

# Repeated on every line of an invoice, and the same on each.
INVOICE_COLUMNS = [FAMILY_CODE, PAYER_EMAIL, KIND, PERIOD, ISSUED_ON, DUE_ON]
MAX_LENGTHS = {NUMBER: 40, LABEL: 200}
# Digits after the decimal mark and largest absolute value, as the database stores them.
DECIMAL_LIMITS = {
    QUANTITY: (2, Decimal("99999999.99")),
    UNIT_PRICE: (4, Decimal("999999.9999")),
    AMOUNT: (2, Decimal("99999999.99")),
}
DATE_PATTERN = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
PERIOD_PATTERN = re.compile(r"^(\d{4})-(\d{1,2})$")


@dataclass
class PlannedLine:
    child: object
    label: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    amount: Decimal


@dataclass
class PlannedInvoice:
    number: str
    first_line: int
    household: Household
    payer: Guardian
    kind: InvoiceKind
    period_on: date
    issued_on: date
    due_on: date
    lines: list[PlannedLine] = field(default_factory=list)

    def signature(self) -> tuple:
        """What makes two imports of an invoice the same invoice (see ``signature_of``)."""
        lines = Counter(
            (
                line.child.pk if line.child else None,
                line.label,
                line.quantity,
                line.unit,
                line.unit_price,
                line.amount,
            )
            for line in self.lines
        )
        return (
            self.number,
            self.household.pk,
            self.payer.pk,
            self.kind.pk,
            self.period_on,
            self.issued_on,
            self.due_on,
            lines,
        )


def signature_of(invoice: Invoice) -> tuple:
    lines = Counter(
        (line.child_id, line.label, line.quantity, line.unit, line.unit_price, line.amount)
        for line in invoice.lines.all()
    )
    return (
        invoice.number,
        invoice.household_id,
        invoice.payer_id,
        invoice.kind_id,
        invoice.period_on,
        invoice.issued_on,
        invoice.due_on,
        lines,
    )


@dataclass
class Plan:
    to_create: list[PlannedInvoice]
    already_imported: list[str]
    errors: list[str]


def check_rows(
    rows: list[Row],
    *,
    regie: Regie,
    user=None,
    unreadable: list[tuple[int, str]] = (),
    progress: Progress | None = None,
) -> Plan:
    """``user`` None is a system import, which reaches every household. ``unreadable`` are
    the (line, error) of lines that could not be read, listed with the others."""
    checker = _Checker(rows, regie=regie, user=user, progress=progress)
    checker.errors.extend(unreadable)
    return checker.run()


class _Checker:
    def __init__(self, rows: list[Row], *, regie: Regie, user, progress: Progress | None):
        self.rows = rows
        self.regie = regie
        self.progress = progress
        self.errors: list[tuple[int, str]] = []
        self.households = households_by_code({row.cells[FAMILY_CODE] for row in rows}, user)
        self.kinds = {kind.label.strip().casefold(): kind for kind in regie.kinds.all()}

    def error(self, line: int, message: str, **values) -> None:
        """``message`` is translated already and has a ``{line}`` placeholder."""
        self.errors.append((line, message.format(line=line, **values)))

    def run(self) -> Plan:
        parsed: dict[int, dict] = {}
        for done, row in enumerate(self.rows, start=1):
            values = self.check_row(row)
            if values is not None:
                parsed[row.line] = values
            if self.progress and (done % 250 == 0 or done == len(self.rows)):
                self.progress(done, len(self.rows))
        by_number: dict[str, list[Row]] = defaultdict(list)
        for row in self.rows:
            if row.cells[NUMBER]:
                by_number[row.cells[NUMBER]].append(row)
        planned = [self.plan_invoice(number, rows, parsed) for number, rows in by_number.items()]
        to_create, already_imported = self.compare_with_existing([p for p in planned if p])
        self.errors.sort(key=lambda error: error[0])  # stable: a line's errors keep their order
        return Plan(to_create, already_imported, [message for _line, message in self.errors])

    def check_row(self, row: Row) -> dict | None:
        """The row's values, or None when one is wrong (each wrong value is an error)."""
        cells, line = row.cells, row.line
        errors_before = len(self.errors)
        for column in COLUMNS:
            if column not in OPTIONAL_COLUMNS and not cells[column]:
                self.error(line, _("Line {line}: the column « {column} » is empty."), column=column)
        for column, length in MAX_LENGTHS.items():
            if len(cells[column]) > length:
                message = _("Line {line}: the column « {column} » has more than {max} characters.")
                self.error(line, message, column=column, max=length)
        values = {"label": cells[LABEL], "unit": UNITS.get(cells[UNIT].casefold())}
        if cells[FAMILY_CODE]:
            household = self.households.get(cells[FAMILY_CODE])
            if household is None:
                message = _("Line {line}: no household with the family code « {code} ».")
                self.error(line, message, code=cells[FAMILY_CODE])
            else:
                values["household"] = household
                values["payer"] = self.payer(line, household, cells[PAYER_EMAIL])
                values["child"] = self.child(line, household, cells[CHILD])
        if cells[KIND]:
            values["kind"] = self.kinds.get(cells[KIND].casefold())
            if values["kind"] is None:
                message = _(
                    "Line {line}: unknown invoice kind « {kind} » in the régie « {regie} » "
                    "(known kinds: {known})."
                )
                known = ", ".join(f"« {kind.label} »" for kind in self.kinds.values())
                self.error(line, message, kind=cells[KIND], regie=self.regie.name, known=known)
        values["period_on"] = self.period(line, cells[PERIOD])
        values["issued_on"] = self.date(line, ISSUED_ON, cells[ISSUED_ON])
        values["due_on"] = self.date(line, DUE_ON, cells[DUE_ON])
        if values["issued_on"] and values["due_on"] and values["due_on"] < values["issued_on"]:
            message = _(
                "Line {line}: the due date « {due} » is before the issue date « {issued} »."
            )
            self.error(line, message, due=cells[DUE_ON], issued=cells[ISSUED_ON])
        if cells[UNIT] and values["unit"] is None:
            message = _(
                "Line {line}: unknown unit « {unit} » (write heure, jour, repas, mois or unité)."
            )
            self.error(line, message, unit=cells[UNIT])
        for column in (QUANTITY, UNIT_PRICE, AMOUNT):
            values[column] = self.decimal(line, column, cells[column])
        quantity, unit_price, amount = values[QUANTITY], values[UNIT_PRICE], values[AMOUNT]
        if None not in (quantity, unit_price, amount):
            expected = line_amount(quantity, unit_price)
            if amount != expected:
                message = _(
                    "Line {line}: the amount {amount} is not the quantity times the unit price "
                    "({quantity} × {unit_price} = {expected})."
                )
                self.error(
                    line,
                    message,
                    amount=cells[AMOUNT],
                    quantity=cells[QUANTITY],
                    unit_price=cells[UNIT_PRICE],
                    expected=french_decimal(expected),
                )
        return values if len(self.errors) == errors_before else None

    def payer(self, line: int, household: Household, email: str) -> Guardian | None:
        """The guardian with that e-mail, or without an e-mail the first by name."""
        guardians = list(household.guardians.all())
        if email:
            for guardian in guardians:
                if guardian.email.strip().casefold() == email.casefold():
                    return guardian
            message = _(
                "Line {line}: the household « {code} » has no guardian with the e-mail address "
                "« {email} »."
            )
            self.error(line, message, code=household.external_code, email=email)
            return None
        if not guardians:
            message = _("Line {line}: the household « {code} » has no guardian to pay.")
            self.error(line, message, code=household.external_code)
            return None
        return min(guardians, key=lambda g: (g.last_name.casefold(), g.first_name.casefold(), g.pk))

    def child(self, line: int, household: Household, first_name: str):
        if not first_name:
            return None
        children = [
            child
            for child in household.children.all()
            if child.first_name.strip().casefold() == first_name.casefold()
        ]
        if len(children) == 1:
            return children[0]
        if children:
            message = _(
                "Line {line}: the household « {code} » has several children named « {name} »."
            )
        else:
            message = _("Line {line}: the household « {code} » has no child named « {name} ».")
        self.error(line, message, code=household.external_code, name=first_name)
        return None

    def period(self, line: int, value: str) -> date | None:
        if not value:
            return None
        match = PERIOD_PATTERN.match(value)
        if match and 1 <= int(match[2]) <= 12:
            return date(int(match[1]), int(match[2]), 1)
        message = _(
            "Line {line}: the period « {value} » is not a month written YYYY-MM (e.g. 2024-02)."
        )
        self.error(line, message, value=value)
        return None

    def date(self, line: int, column: str, value: str) -> date | None:
        if not value:
            return None
        match = DATE_PATTERN.match(value)
        if match:
            try:
                return date(int(match[3]), int(match[2]), int(match[1]))
            except ValueError:
                if column == ISSUED_ON:
                    message = _("Line {line}: the issue date « {value} » does not exist.")
                else:
                    message = _("Line {line}: the due date « {value} » does not exist.")
        elif column == ISSUED_ON:
            message = _("Line {line}: the issue date « {value} » is not written DD/MM/YYYY.")
        else:
            message = _("Line {line}: the due date « {value} » is not written DD/MM/YYYY.")
        self.error(line, message, value=value)
        return None

    def decimal(self, line: int, column: str, value: str) -> Decimal | None:
        if not value:
            return None
        number = parse_decimal(value)
        places, largest = DECIMAL_LIMITS[column]
        if number is None:
            message = _(
                "Line {line}: « {value} » in the column « {column} » is not a number (write it "
                "like 12,5)."
            )
        elif -number.as_tuple().exponent > places:
            message = _(
                "Line {line}: « {value} » in the column « {column} » has more than {places} "
                "decimals."
            )
        elif abs(number) > largest:
            message = _("Line {line}: « {value} » in the column « {column} » is too large.")
        else:
            return number
        self.error(line, message, value=value, column=column, places=places)
        return None

    def plan_invoice(self, number: str, rows: list[Row], parsed: dict) -> PlannedInvoice | None:
        """The invoice of these rows, or None when they disagree or one is wrong."""
        first = rows[0]
        errors_before = len(self.errors)
        for row in rows[1:]:
            different = [
                column
                for column in INVOICE_COLUMNS
                if row.cells[column].casefold() != first.cells[column].casefold()
            ]
            if different:
                message = _(
                    "Line {line}: the invoice {number} has other details than on line "
                    "{first_line} ({columns}); every line of an invoice repeats the same family "
                    "code, payer, kind, period and dates."
                )
                columns = ", ".join(different)
                self.error(row.line, message, number=number, first_line=first.line, columns=columns)
        if any(row.line not in parsed for row in rows):
            return None
        total = sum((parsed[row.line][AMOUNT] for row in rows), Decimal("0.00"))
        if total < 0:
            message = _(
                "Line {line}: negative amount for an invoice whose total would be negative "
                "(invoice {number}: {total})."
            )
            for row in rows:
                if parsed[row.line][AMOUNT] < 0:
                    self.error(row.line, message, number=number, total=french_decimal(total))
        if len(self.errors) > errors_before:
            return None
        head = parsed[first.line]
        return PlannedInvoice(
            number=number,
            first_line=first.line,
            household=head["household"],
            payer=head["payer"],
            kind=head["kind"],
            period_on=head["period_on"],
            issued_on=head["issued_on"],
            due_on=head["due_on"],
            lines=[
                PlannedLine(
                    child=parsed[row.line]["child"],
                    label=parsed[row.line]["label"],
                    quantity=parsed[row.line][QUANTITY],
                    unit=parsed[row.line]["unit"],
                    unit_price=parsed[row.line][UNIT_PRICE],
                    amount=parsed[row.line][AMOUNT],
                )
                for row in rows
            ],
        )

    def compare_with_existing(self, planned: list[PlannedInvoice]):
        """Split into (to create, numbers imported already); a number already used with
        another content is an error."""
        by_reference, by_number = {}, {}
        for chunk in chunks([invoice.number for invoice in planned]):
            for invoice in (
                Invoice.objects.filter(regie=self.regie)
                .filter(Q(external_reference__in=chunk) | Q(number__in=chunk))
                .prefetch_related("lines")
            ):
                if invoice.external_reference:
                    by_reference[invoice.external_reference] = invoice
                if invoice.number:
                    by_number[invoice.number] = invoice
        to_create, already_imported = [], []
        for invoice in planned:
            existing = by_reference.get(invoice.number) or by_number.get(invoice.number)
            if existing is None:
                to_create.append(invoice)
            elif (
                existing.external_reference == invoice.number
                and signature_of(existing) == invoice.signature()
            ):
                already_imported.append(invoice.number)
            else:
                message = _(
                    "Line {line}: the invoice {number} already exists in this régie with a "
                    "different content."
                )
                self.error(invoice.first_line, message, number=invoice.number)
        return to_create, already_imported


def chunks(values: list, size: int = 500):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def households_by_code(codes: set[str], user) -> dict[str, Household]:
    """The households the importer may bill, by family code: nursery staff reach only their
    nurseries' (another nursery's code reads as unknown)."""
    households = Household.objects.all() if user is None else Household.objects.for_staff(user)
    found = {}
    for chunk in chunks(sorted(code for code in codes if code)):
        for household in households.filter(external_code__in=chunk).prefetch_related(
            "guardians", "children"
        ):
            found[household.external_code] = household
    return found
