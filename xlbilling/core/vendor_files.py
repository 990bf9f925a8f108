"""A vendor's licence-count file read into counts: which column holds what (a shape we ship, or the
columns a workbook remembers for the vendor, or the ones given on the command line), customer names
to customer IDs (the ID itself, the customer's exact name, then a remembered alias; anything else is
reported, never guessed), and every row checked, with a bad row named by its row in the file.

Rows of one customer, SKU and date are added together (a customer may hold the same offer in two
subscriptions). A row whose status is not active counts as no seats: a cancelled subscription is a
count of zero, which is what finds a line still billing it.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from .columns import normalize
from .findings import ERROR, Finding, show
from .models import Customer, VendorMapping

FIELDS = ("customer", "sku", "quantity", "date", "status")
REQUIRED = ("customer", "sku", "quantity")
ACTIVE = ("active", "enabled", "")
BAD_ROW = "BAD_COUNT_ROW"


class Shape(NamedTuple):
    """The columns of one kind of export: per field, the headers it goes by (the export's own first)."""

    key: str
    vendor: str
    headers: dict[str, tuple[str, ...]]
    note: str


SHAPES = (
    Shape("microsoft365", "Microsoft 365",
          {"customer": ("Customer Name", "Customer", "Company Name"), "sku": ("Offer Id", "Offer ID", "Product Id"),
           "quantity": ("Quantity", "Licenses", "Seats"), "status": ("Status", "Subscription Status"), "date": ()},
          "Partner Center, Customers > Subscriptions export (one row per subscription)"),
    Shape("pax8", "Pax8",
          {"customer": ("Company Name", "Company"), "sku": ("SKU", "Product SKU"), "quantity": ("Quantity",),
           "status": ("Status", "Subscription Status"), "date": ()},
          "Pax8 subscriptions export (one row per subscription)"),
    Shape("generic", "",
          {"customer": ("Customer ID", "Customer", "Customer Name", "Company", "Company Name", "Client"),
           "sku": ("Vendor SKU", "SKU", "Product Code", "Product"),
           "quantity": ("Quantity", "Qty", "Seats", "Licenses", "Licences", "Devices", "Count"),
           "date": ("As Of", "Date", "Count Date", "Report Date"), "status": ("Status",)},
          "any CSV or XLSX with a customer, a SKU and a quantity column (and a date column, or --as-of)"),
)


def shapes_help() -> str:
    return "; ".join(f"{s.key} ({s.note})" for s in SHAPES)


def fold(text: str) -> str:
    """A name as compared: any case, spaces collapsed."""
    return " ".join(text.split()).casefold()


def shape_for(vendor: str | None, headers: list[str]) -> Shape:
    """The shape a vendor's name calls for (`microsoft365`, `Microsoft 365`, `pax8`), else the first whose
    own headers the file has, else the generic one."""
    if vendor:
        for s in SHAPES:
            if normalize(vendor) in (normalize(s.key), normalize(s.vendor)):
                return s
    have = {normalize(h) for h in headers}
    for s in SHAPES[:-1]:
        if all(normalize(s.headers[f][0]) in have for f in REQUIRED):
            return s
    return SHAPES[-1]


def remembered(mappings: tuple[VendorMapping, ...], vendor: str) -> tuple[dict[str, str], dict[str, str]]:
    """A vendor's remembered columns (field -> header) and aliases (folded name -> customer ID); aliases of
    no vendor hold for every vendor, the vendor's own win."""
    columns: dict[str, str] = {}
    aliases: dict[str, str] = {}
    for own in (False, True):
        for m in mappings:
            if bool(m.vendor) != own or (own and fold(m.vendor or "") != fold(vendor)):
                continue
            if m.kind == "column" and own:
                columns[m.name.strip().lower()] = m.value.strip()
            elif m.kind == "alias":
                aliases[fold(m.name)] = m.value.strip()
    return columns, aliases


def file_columns(headers: list[str], shape: Shape, kept: dict[str, str],
               given: dict[str, str]) -> tuple[dict[str, int], list[str]]:
    """Field -> column index: given on the command line, else remembered, else the shape's headers; and what
    is wrong (a named column the file lacks, a required field with no column)."""
    index = {normalize(h): k for k, h in reversed(list(enumerate(headers)))}
    found: dict[str, int] = {}
    problems: list[str] = []
    for f in FIELDS:
        if f in given:
            if normalize(given[f]) not in index:
                problems.append(f"--columns {f}={given[f]}: the file has no column '{given[f]}'")
                continue
            found[f] = index[normalize(given[f])]
            continue
        names = ((kept[f],) if f in kept else ()) + shape.headers.get(f, ())
        hit = next((index[normalize(n)] for n in names if normalize(n) in index), None)
        if hit is not None:
            found[f] = hit
    for f in REQUIRED:
        if f not in found and f not in given:
            problems.append(f"no column for the {f} (the file's columns: {', '.join(h for h in headers if h)}); "
                            f"name it with --columns {f}=HEADER")
    return found, problems


class FileCount(NamedTuple):
    """One count from the file: a customer's seats of a SKU on a day (rows of the file added together)."""

    customer_id: str
    vendor_sku: str
    quantity: Decimal
    as_of: date
    file_rows: tuple[int, ...]


class Parsed(NamedTuple):
    counts: list[FileCount]
    bad: list[Finding]  # rows that cannot be read: nothing is imported while there are any
    unknown: dict[str, list[int]]  # customer names matching no customer (or several) -> file rows
    ambiguous: dict[str, list[str]]  # a name matching several customers -> their IDs
    inactive: Counter  # status -> rows counted as no seats


_SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$")


def parse_day(text: str) -> date:
    """YYYY-MM-DD (a time after it is ignored), or M/D/YYYY and D/M/YYYY where only one reading is a date."""
    text = text.strip()
    m = _ISO.match(text)
    if m:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _SLASHED.match(text)
    if not m:
        raise ValueError("a date as YYYY-MM-DD")
    a, b, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
    readings = {(a, b), (b, a)} if a != b else {(a, b)}
    days = []
    for month, day in readings:
        try:
            days.append(date(year, month, day))
        except ValueError:
            pass
    if len(days) != 1:
        raise ValueError(f"a date as YYYY-MM-DD ({text} reads as {'two dates' if days else 'no date'})")
    return days[0]


def parse_quantity(text: str) -> Decimal:
    try:
        n = Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        raise ValueError("a number of seats") from None
    if not n.is_finite() or n < 0:
        raise ValueError("a number of seats, 0 or more")
    return n


def customer_ids(customers: tuple[Customer, ...], aliases: dict[str, str]):
    """A function from a name in the file to (customer ID, or None, and the IDs when the name is ambiguous)."""
    ids = {fold(c.customer_id): c.customer_id for c in customers}
    by_name: dict[str, list[str]] = defaultdict(list)
    for c in customers:
        by_name[fold(c.name)].append(c.customer_id)

    def find(name: str) -> tuple[str | None, list[str]]:
        key = fold(name)
        if key in ids:
            return ids[key], []
        if len(by_name.get(key, ())) == 1:
            return by_name[key][0], []
        if key in aliases and fold(aliases[key]) in ids:
            return ids[fold(aliases[key])], []
        return None, by_name.get(key, [])

    return find


def parse(rows: list[list[str]], columns: dict[str, int], file: str, as_of: date,
          customers: tuple[Customer, ...], aliases: dict[str, str]) -> Parsed:
    """The file's data rows (after the header row) as counts; file rows are numbered as a spreadsheet shows them."""
    find = customer_ids(customers, aliases)
    headers = rows[0] if rows else []
    totals: dict[tuple[str, str, date], list] = {}
    bad: list[Finding] = []
    unknown: dict[str, list[int]] = defaultdict(list)
    ambiguous: dict[str, list[str]] = {}
    inactive: Counter = Counter()

    def cell(row: list[str], f: str) -> str:
        k = columns.get(f)
        return row[k].strip() if k is not None and k < len(row) else ""

    for n, row in enumerate(rows[1:], start=2):
        if not any(v.strip() for v in row):
            continue
        where = f"{file} row {n}"
        problems = []
        for f in REQUIRED:
            if not cell(row, f):
                problems.append(Finding(BAD_ROW, ERROR, where, f"the {f} is blank",
                                        "blank", f"a value in column '{headers[columns[f]]}'"))
        quantity = day = None
        if cell(row, "quantity"):
            try:
                quantity = parse_quantity(cell(row, "quantity"))
            except ValueError as exc:
                problems.append(Finding(BAD_ROW, ERROR, where, "the quantity cannot be read",
                                        show(cell(row, "quantity")), str(exc)))
        if "date" in columns:
            try:
                day = parse_day(cell(row, "date"))
            except ValueError as exc:
                problems.append(Finding(BAD_ROW, ERROR, where, "the date cannot be read",
                                        show(cell(row, "date")), str(exc)))
        else:
            day = as_of
        if problems:
            bad += problems
            continue
        assert quantity is not None and day is not None
        status = cell(row, "status")
        if fold(status) not in ACTIVE:
            inactive[status] += 1
            quantity = Decimal(0)
        name = cell(row, "customer")
        customer_id, several = find(name)
        if customer_id is None:
            unknown[name].append(n)
            if several:
                ambiguous[name] = several
            continue
        sku = cell(row, "sku")
        key = (customer_id, sku.lower(), day)
        if key in totals:
            totals[key][2] += quantity
            totals[key][4] += (n,)
        else:
            totals[key] = [customer_id, sku, quantity, day, (n,)]
    counts = [FileCount(*v) for v in totals.values()]
    return Parsed(counts, bad, dict(unknown), ambiguous, inactive)
