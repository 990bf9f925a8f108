"""Output tabs as plain values: a name, typed columns and rows. Writers render them; the core builds them."""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import repeat
from operator import is_, itemgetter
from types import NoneType
from typing import NamedTuple

# Column kinds a writer knows how to format.
TEXT, MONEY, DATE, DATETIME, INT, NUMBER, PCT = "text", "money", "date", "datetime", "int", "number", "pct"


class Column(NamedTuple):
    title: str
    kind: str = TEXT
    width: float | None = None
    right: bool = False  # text that shows figures (the manager report's KPI values): aligned as numbers are


@dataclass(frozen=True)
class Tab:
    name: str
    columns: tuple[Column, ...]
    rows: list[tuple] = field(default_factory=list)  # a row may go on past the last column (a record's own
    # trailing fields, such as its source row): what is past it is not written
    row_fills: list[str | None] | None = None  # per data row: "error", "warning", "info" or None
    links: dict[tuple[int, int], str] = field(default_factory=dict)  # (data row, column) -> "Sheet!A1"
    tab_color: str | None = "FF1F4E78"
    hidden: bool = False  # a very hidden sheet (the posted ledger): Excel's menus cannot show it
    seal: str | None = None  # a digest its builder vouches the rows by, kept with the sheet while its part
    # stays as written (see io/seals.py). What it covers is the builder's: InvoiceLines' covers its draft
    # lines only; BillingSchedule's and Discrepancies' all they show (a sheet with the seal holds the tab)


@dataclass(frozen=True)
class Later:
    """Tabs made only as they are written, by `make` (in their order, `names`): a writer may make and
    render them in a second process while it renders the rest (io/forked.py), or make them in place.
    `hidden`: the names of those that are very hidden (a new sheet is placed before it is made)."""

    names: tuple[str, ...]
    make: Callable[[], list[Tab]]
    hidden: frozenset[str] = frozenset()


def made(tabs: Iterable[Tab | Later]) -> list[Tab]:
    """The tabs, those made later made now."""
    return [t for x in tabs for t in (_checked(x) if isinstance(x, Later) else [x])]


def _checked(later: Later) -> list[Tab]:
    tabs = later.make()
    if tuple(t.name for t in tabs) != later.names:
        raise ValueError(f"tabs made later as {later.names} came as {tuple(t.name for t in tabs)}")
    return tabs


def _text(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value.normalize()) if value else "0"  # equal numbers, one text (-0 and 1.00 too)
    return f"{type(value).__name__}:{value!r}"


def _texts(values: list) -> bytes:
    """Distinct values as text: plain text (and blanks) as it is, with each one's length and whether it
    is a blank; others as _text writes them."""
    kinds = set(map(type, values))
    if kinds <= {str, NoneType}:
        texts = [v if v is not None else "" for v in values] if NoneType in kinds else values
        return (b"\x00s" + bytes(map(is_, values, repeat(None))) + array("I", map(len, texts)).tobytes()
                + "".join(texts).encode("utf-8", "surrogatepass"))
    return "\x1f".join(map(_text, values)).encode()


def values_digest(columns: Iterable[Sequence], head: bytes = b"", kinds: bool = False) -> str:
    """A digest of columns of values (each as long as the others), made a column at a time: a column's
    distinct values as text, and which of them each row has. Columns equal value for value (as `==`
    compares them: 1.0 and 1.00, 0 and -0, 1 and True) give the same digest; `kinds`: and of the same
    kind (1 and True are equal, but not the same cell), told apart in a column of several."""
    digest = hashlib.blake2b(head, digest_size=16)
    for column in columns:
        distinct = dict.fromkeys(column)
        digest.update(len(column).to_bytes(8, "little") + _texts(list(distinct)) + b"\x1e")
        if len(distinct) < len(column):  # else each row has its own, in order: the texts say it all
            code = dict(zip(distinct, range(len(distinct))))
            digest.update(array("I", map(code.__getitem__, column)).tobytes())
        if kinds and len(of := dict.fromkeys(map(type, column))) > 1:
            kind = dict(zip(of, range(len(of))))
            digest.update(repr(list(of)).encode() + bytes(map(kind.__getitem__, map(type, column))))
    return digest.hexdigest()


def content_digest(tab: Tab) -> str:
    """A digest of all a tab shows: its name, columns, cells (past the last column nothing), fills,
    links, colour and visibility. The same digest, the same sheet written."""
    head = repr((tab.name, tab.columns, sorted(tab.links.items()), tab.tab_color, tab.hidden)).encode()
    fills = tab.row_fills or [None] * len(tab.rows)
    return values_digest([*(list(map(itemgetter(i), tab.rows)) for i in range(len(tab.columns))), fills], head,
                         kinds=True)
