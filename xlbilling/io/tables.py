"""A table file as rows of text: the CSV or XLSX exports other systems hand us (ConnectWise list views,
vendors' licence counts). The first sheet of a workbook; numbers as a CSV export would hold them (9300,
not 9300.0), dates as YYYY-MM-DD."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from .convert import cell_text

TABLE_SUFFIXES = (".csv", ".xlsx", ".xlsm")


def read_table(path: Path) -> list[list[str]]:
    """Every row of the file, as text (a byte-order mark and blank trailing rows dropped)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    elif suffix in (".xlsx", ".xlsm"):
        import python_calamine

        sheet = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        rows = [[cell_text(v) or "" for v in r] for r in sheet.to_python()]
    else:
        raise ValueError(f"{path.name}: a .csv or .xlsx file is expected")
    while rows and not any(v.strip() for v in rows[-1]):
        rows.pop()
    return rows
