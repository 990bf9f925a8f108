"""A small in-memory stand-in for the part of the xlwings API our Excel edge uses.

Values come back as xlwings gives them: numbers as floats, dates as datetimes, blanks as None, and
error values as their text when read with err_to_str. Text written with a leading apostrophe is
stored as the text itself, as Excel does."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import openpyxl


class Font:
    def __init__(self):
        self.bold, self.color = False, None


class Range:
    def __init__(self, sheet: "Sheet", top: int, left: int, bottom: int, right: int):
        self.sheet, self.row, self.column, self.bottom, self.right = sheet, top, left, bottom, right
        self.font, self.color, self.number_format, self.column_width = Font(), None, None, None

    def options(self, **_):
        return self

    @property
    def last_cell(self) -> "Range":
        return Range(self.sheet, self.bottom, self.right, self.bottom, self.right)

    @property
    def value(self):
        return [[self.sheet.cells.get((r, c)) for c in range(self.column, self.right + 1)]
                for r in range(self.row, self.bottom + 1)]

    @value.setter
    def value(self, data):
        rows = data if isinstance(data, list) and data and isinstance(data[0], list) else [[data]]
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                if isinstance(v, str) and v.startswith("'"):
                    v = v[1:]
                if isinstance(v, int) and not isinstance(v, bool):
                    v = float(v)
                self.sheet.cells[(self.row + i, self.column + j)] = None if v == "" else v


class Sheet:
    def __init__(self, name: str):
        self.name, self.cells = name, {}

    @property
    def api(self):
        raise AttributeError("no Excel object model in the stand-in")

    @property
    def used_range(self) -> Range:
        used = [k for k, v in self.cells.items() if v is not None]
        if not used:
            return Range(self, 1, 1, 1, 1)
        return Range(self, 1, 1, max(r for r, _ in used), max(c for _, c in used))

    def range(self, a, b=None) -> Range:
        b = b or a
        return Range(self, a[0], a[1], b[0], b[1])

    def clear(self) -> None:
        self.cells.clear()


class Sheets:
    def __init__(self):
        self._sheets: list[Sheet] = []

    def __iter__(self):
        return iter(self._sheets)

    def __len__(self):
        return len(self._sheets)

    def __getitem__(self, key):
        if isinstance(key, int):
            return self._sheets[key]
        return next(s for s in self._sheets if s.name == key)

    def add(self, name: str, after: Sheet | None = None) -> Sheet:
        sheet = Sheet(name)
        at = self._sheets.index(after) + 1 if after is not None else 0
        self._sheets.insert(at, sheet)
        return sheet


class App:
    def __init__(self):
        self.status_bar, self.alerts, self.statuses = False, [], []

    def alert(self, prompt: str, title: str = "") -> None:
        self.alerts.append((title, prompt))

    def __setattr__(self, name, value):
        if name == "status_bar" and value:
            self.__dict__.setdefault("statuses", []).append(value)
        object.__setattr__(self, name, value)


class Book:
    def __init__(self, fullname: Path):
        self.fullname, self.name = str(fullname), Path(fullname).name
        self.sheets, self.app = Sheets(), App()

    @classmethod
    def from_file(cls, path: Path) -> "Book":
        """The workbook's cell values as Excel would hold them once opened."""
        book = cls(path)
        wb = openpyxl.load_workbook(path, data_only=True)
        for ws in wb.worksheets:
            sheet = book.sheets.add(ws.title, after=book.sheets[len(book.sheets) - 1] if len(book.sheets) else None)
            for row in ws.iter_rows():
                for cell in row:
                    v = cell.value
                    if isinstance(v, bool) or v is None or isinstance(v, (str, datetime)):
                        pass
                    elif isinstance(v, date):
                        v = datetime(v.year, v.month, v.day)
                    elif isinstance(v, (int, float)):
                        v = float(v)
                    sheet.cells[(cell.row, cell.column)] = None if v == "" else v
        return book
