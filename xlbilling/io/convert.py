"""The one conversion in each direction between cells and domain values.

Cells to values: values arrive as text (the columnar file reader reads every cell as its text)
or as Python values (xlwings gives floats, datetimes, booleans, None and error strings);
`cell_text` makes the second the first. Each converter returns the typed value, or raises
`Bad` with what was expected; the reader turns that into an input error naming the cell.

Values to cells: `cell_value` is what every writer puts in a cell (tabs, the report, the
template and the Excel adapter): numbers for money, Excel dates for dates, Y/N for yes/no;
`edit_value` is the same value as an in-place edit of an input cell carries it.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from ..core.terms import parse_terms
from ..schema import BOOL_TEXT, Col, Kind

EXCEL_ERRORS = ("#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!",
                "#GETTING_DATA")
_DATE_TEXT = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_EXPECT_DATE = "a date: an Excel date or text YYYY-MM-DD"


class Bad(ValueError):
    """A cell value that does not fit its column; the message says what was expected."""

    def __init__(self, expected: str):
        super().__init__(expected)
        self.expected = expected


def cell_text(value: object) -> str | None:
    """A cell value as the file reader reads it (fastexcel's text of the cell): the Excel path
    turns what xlwings gives into this, so both paths convert the same text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def to_text(value: object) -> str:
    return (cell_text(value) or "").strip()


def edit_value(value: object) -> str | Decimal | date:
    """A domain value as an edit of an input cell carries it (the package writer sets text, a number or a
    date in place): numbers as numbers, dates as dates, yes/no as Y/N, blank as empty text."""
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, date):
        return value
    return "" if value is None else str(value)


def new_cell(value: object) -> str | Decimal | date | None:
    """A domain value in a cell of an input sheet an import adds whole: as an edit carries it; blank, no cell."""
    return None if value is None or value == "" else edit_value(value)


def cell_value(value: object) -> object:
    """A domain value as a writer puts it in a cell."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)
    return value


def to_date(value: object) -> date:
    if isinstance(value, datetime):
        d = value.date()
    elif isinstance(value, date):
        d = value
    elif isinstance(value, str):
        m = _DATE_TEXT.match(value.strip())
        if not m:
            raise Bad(_EXPECT_DATE)
        try:
            d = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            raise Bad(f"a real calendar date ({value.strip()[:10]} does not exist)") from None
    else:
        raise Bad(_EXPECT_DATE)
    if d.year < 1990 or d.year > 2199:
        raise Bad(f"{_EXPECT_DATE} between 1990 and 2199 (a number typed into a date cell?)")
    return d


MAX_NUMBER = Decimal(10) ** 12  # a trillion: no amount, price, quantity or rate of a billing book is larger


def to_number(value: object) -> Decimal:
    """A finite number of at most a trillion either way (-0 is 0)."""
    if isinstance(value, bool):
        raise Bad("a number")
    if isinstance(value, int):
        d = Decimal(value)
    elif isinstance(value, float):
        d = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            d = Decimal(value.strip())
        except InvalidOperation:
            raise Bad("a number") from None
    else:
        raise Bad("a number")
    if not d.is_finite() or abs(d) > MAX_NUMBER:
        raise Bad("a number of at most 1,000,000,000,000")
    return d if d else abs(d)


def to_whole(value: object) -> int:
    number = to_number(value)
    if number != number.to_integral_value():
        raise Bad("a whole number")
    return int(number)


def to_percentage(value: object) -> Decimal:
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            d = Decimal(value.strip()[:-1].strip()) / 100
        except InvalidOperation:
            raise Bad("a percentage such as 0.05 or 5%") from None
    else:
        try:
            d = to_number(value)
        except Bad:
            raise Bad("a percentage such as 0.05 or 5%") from None
    if not (-1 <= d <= 1):
        raise Bad("a percentage such as 0.05 or 5% (a value above 1 means more than 100%)")
    return d


def to_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    key = to_text(value).lower()
    if key in BOOL_TEXT:
        return BOOL_TEXT[key]
    raise Bad("Y/N, Yes/No, True/False or 1/0")


def to_choice(value: object, choices: tuple[str, ...]) -> str:
    key = re.sub(r"[\s\-]+", "_", to_text(value).lower())
    if key in choices:
        return key
    raise Bad("one of " + ", ".join(choices))


def to_terms(value: object):
    try:
        return parse_terms(to_text(value))
    except ValueError as exc:
        raise Bad(str(exc)) from None


_ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")


def to_email(value: object) -> str:
    """One or more e-mail addresses (separated by ; or ,), each plain: no line breaks, which would let
    a cell add headers to a message."""
    text = to_text(value)
    addresses = [a.strip() for a in re.split(r"[;,]", text) if a.strip()]
    if not addresses or not all(_ADDRESS.match(a) for a in addresses):
        raise Bad("an e-mail address such as ap@customer.com (several separated by ;)")
    return "; ".join(addresses)


def no_line_breaks(text: str) -> str:
    if "\r" in text or "\n" in text:
        raise Bad("text on one line (a line break here would end up in an e-mail header)")
    return text


def _not_negative(col: Col, number: Decimal) -> Decimal:
    if number < 0 and not col.signed:
        raise Bad("a number of 0 or more (a credit or refund is an Adjustments row, not a negative amount)")
    return number


def convert(col: Col, value: object) -> object:
    """Convert one non-blank cell value for a column of the schema."""
    if isinstance(value, str) and value.strip() in EXCEL_ERRORS:
        raise Bad("a value, not an Excel error")
    kind = col.kind
    if kind is Kind.TEXT or kind is Kind.ID:
        return to_text(value)
    if kind is Kind.DATE:
        return to_date(value)
    if kind is Kind.MONEY or kind is Kind.NUMBER:
        return _not_negative(col, to_number(value))
    if kind is Kind.INT:
        return to_whole(value)
    if kind is Kind.PCT:
        return _not_negative(col, to_percentage(value))
    if kind is Kind.BOOL:
        return to_bool(value)
    if kind is Kind.ENUM:
        return to_choice(value, col.choices)
    if kind is Kind.TERMS:
        return to_terms(value)
    if kind is Kind.EMAIL:
        return to_email(value)
    raise AssertionError(kind)
