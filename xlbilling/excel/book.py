"""The open Excel book as a workbook for the jobs: read through xlwings into the shared reader,
written through xlwings into the open book (never the file on disk while Excel has it open)."""

from __future__ import annotations

from collections.abc import Sequence

from contextlib import nullcontext
from datetime import date
from decimal import Decimal
from pathlib import Path

from ..core.cells import column_letter
from ..core.tabs import DATE, DATETIME, INT, MONEY, NUMBER, PCT, Later, Tab, made
from ..io.convert import cell_value
from ..io.package import CellEdit
from ..io.reader import ReadResult, read_values

FORMATS = {MONEY: "#,##0.00", DATE: "yyyy-mm-dd", DATETIME: "yyyy-mm-dd hh:mm", INT: "0", NUMBER: "#,##0.00",
           PCT: "0.00%"}
RISKY = ("=", "+", "-", "@", "\t", "\r")
HEADER_FILL, HEADER_FONT = (31, 78, 120), (255, 255, 255)


def excel_value(value: object) -> object:
    """A tab value as xlwings writes it; text Excel would take for a formula gets an apostrophe (stays text)."""
    if isinstance(value, str) and value.startswith(RISKY):
        return "'" + value
    return cell_value(value)


class ExcelWorkbook:
    def __init__(self, book):
        self.book = book

    @property
    def name(self) -> str:
        return self.book.name

    @property
    def stem(self) -> str:
        return Path(self.book.name).stem

    def with_name(self, name: str) -> Path:
        return Path(self.book.fullname).with_name(name)

    def lock(self):
        return nullcontext()  # Excel holds the book; one macro runs at a time

    def _sheet_values(self, sheet) -> tuple[list[list], int, int]:
        used = sheet.used_range
        values = used.options(ndim=2, err_to_str=True).value
        return values, used.row, used.column - 1

    def read(self, progress=None, on_demand=()) -> ReadResult:
        """Every sheet's values from Excel (nothing here is sealed: see io/seals.py)."""
        sheets = {s.name: self._sheet_values(s) for s in self.book.sheets}
        return read_values(sheets, progress)

    def previous_run_log(self) -> list[tuple]:
        if "RunLog" not in [s.name for s in self.book.sheets]:
            return []
        values, _, _ = self._sheet_values(self.book.sheets["RunLog"])
        return [tuple(r[:5]) for r in values[1:] if any(v is not None for v in r)]

    def write(self, tabs: list[Tab | Later], edits: Sequence[CellEdit] = (), backups_kept: int = 0,
              progress=None) -> None:
        """Into the open book; Excel saves it (and keeps its own versions), so `backups_kept` is not used."""
        for tab in made(tabs):
            if progress:
                progress(f"Writing {tab.name}")
            write_tab(self.book, tab)
        for edit in edits:
            apply_edit(self.book, edit)


def _sheet(book, name: str):
    names = [s.name for s in book.sheets]
    if name in names:
        return book.sheets[name]
    return book.sheets.add(name, after=book.sheets[len(names) - 1])


def write_tab(book, tab: Tab) -> None:
    sheet = _sheet(book, tab.name)
    sheet.clear()
    n = len(tab.columns)
    sheet.range((1, 1)).value = [[c.title for c in tab.columns], *[[excel_value(v) for v in r[:n]] for r in tab.rows]]
    header = sheet.range((1, 1), (1, n))
    header.font.bold = True
    header.font.color = HEADER_FONT
    header.color = HEADER_FILL
    for i, column in enumerate(tab.columns, start=1):
        if tab.rows and column.kind in FORMATS:
            sheet.range((2, i), (len(tab.rows) + 1, i)).number_format = FORMATS[column.kind]
        sheet.range((1, i)).column_width = column.width or 14
    if tab.hidden:  # the posted ledger: very hidden (xlSheetVeryHidden), so Excel's menus cannot show it
        try:
            sheet.api.Visible = 2
        except Exception:  # another platform's object model
            sheet.visible = False
        return
    try:  # the filter and the frozen header go through Excel's object model (as on Windows)
        sheet.api.Range(f"A1:{column_letter(n - 1)}{len(tab.rows) + 1}").AutoFilter(1)
        sheet.activate()
        window = book.app.api.ActiveWindow
        window.SplitRow, window.SplitColumn, window.FreezePanes = 1, 0, True
    except Exception:  # another platform's object model: the values and formats are written all the same
        pass


def apply_edit(book, edit: CellEdit) -> None:
    sheet = book.sheets[edit.sheet]
    column = edit.column
    if column is None:
        column = sheet.used_range.last_cell.column  # 1-based: the column after the last, 0-based
        sheet.range((1, column + 1)).value = edit.header
    for row, value in edit.values.items():
        cell = sheet.range((row, column + 1))
        if isinstance(value, Decimal):
            cell.value = float(value)
        elif isinstance(value, date):  # a date: Excel gives a General cell its date format
            cell.value = value
        else:
            cell.number_format = "@"  # text stays text, whatever it looks like
            cell.value = value
