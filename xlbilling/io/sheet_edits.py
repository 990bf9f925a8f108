"""What an import changes in one input sheet: cells set in place, rows added below its last row, a
column the sheet lacks added at its right once an edit fills it, or the whole sheet, new, when the
workbook has none. The result is what the package writer takes: cell edits, or a new tab."""

from __future__ import annotations

from collections.abc import Sequence

from ..core.models import Book
from ..core.register import spec_columns
from ..core.tabs import Tab
from ..schema import SHEET_BY_NAME
from .convert import edit_value, new_cell
from .package import CellEdit, EditValue


class SheetEdits:
    def __init__(self, book: Book, name: str, records: Sequence | None = None):
        """`records`: the sheet's records, when they are not book.rows(name) (the Timesheets' entries)."""
        self.book, self.name, self.spec = book, name, SHEET_BY_NAME[name]
        rows = book.rows(name) if records is None else records
        self.next_row = max((r.row for r in rows), default=1) + 1  # the Excel row of the first added row
        self.cells: dict[str, dict[int, EditValue]] = {}  # field -> Excel row -> value
        self.added: list[dict] = []  # rows to add, field -> value, in order

    def set(self, record, field: str, value: object) -> None:
        self.cells.setdefault(field, {})[record.row] = edit_value(value)

    def add(self, values: dict) -> None:
        self.added.append(values)

    def written(self) -> tuple[list[CellEdit], list[Tab]]:
        if not self.added and not self.cells:
            return [], []
        if self.name not in self.book.columns:
            return [], [Tab(self.name, spec_columns(self.spec),
                            [tuple(new_cell(r.get(c.name)) for c in self.spec.columns) for r in self.added])]
        columns = dict(self.book.columns[self.name])
        filled = {f for f, values in self.cells.items() if any(v != "" for v in values.values())}
        filled |= {f for row in self.added for f, v in row.items() if v not in (None, "")}
        by_column: dict[int, dict[int, EditValue]] = {}
        next_column = max(columns.values(), default=-1) + 1
        for c in self.spec.columns:  # a missing column an edit fills: its header, at the right
            if c.name not in columns and c.name in filled:
                columns[c.name], by_column[next_column] = next_column, {1: c.title}
                next_column += 1
        for field, values in self.cells.items():
            if field in columns:
                by_column.setdefault(columns[field], {}).update(values)
        for k, row in enumerate(self.added):
            for field, value in row.items():
                if value not in (None, "") and field in columns:
                    by_column.setdefault(columns[field], {})[self.next_row + k] = edit_value(value)
        return [CellEdit(self.name, col, "", cells) for col, cells in sorted(by_column.items())], []
