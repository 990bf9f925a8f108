"""Output tabs as plain values: a name, typed columns and rows. Writers render them; the core builds them."""

from __future__ import annotations

from dataclasses import dataclass, field
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
    seal: str | None = None  # a digest its builder vouches the rows by: kept with the sheet while its
    # part stays as written (a later run can then trust the sheet without reading it; see io/seals.py)
