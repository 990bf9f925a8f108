"""An export as a workbook: one Excel table under the journal page's own column captions, for
Business Central's "Edit in Excel" (copy the rows into the table it opens, then Publish).

Text goes in as text, never as a formula; dates as dates; amounts and line numbers as numbers.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from io import BytesIO

import xlsxwriter

from .ar_export import Table


def _parse_date(text: str, pattern: str) -> datetime | str:
    try:
        return datetime.strptime(text, pattern)
    except ValueError:
        return text


def table_workbook(table: Table, sheet: str) -> bytes:
    out = BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                   "strings_to_numbers": False})
    wb.set_properties({"title": sheet, "created": datetime.combine(date.today(), datetime.min.time())})
    ws = wb.add_worksheet(sheet[:31])
    dates = wb.add_format({"num_format": "yyyy-mm-dd"})
    money = wb.add_format({"num_format": "#,##0.00"})
    whole = wb.add_format({"num_format": "0"})
    kinds = []
    for name in table.columns:
        if name in table.dates:
            kinds.append(("date", dates))
        elif name == "Line No.":
            kinds.append(("number", whole))
        elif name in table.amounts:
            kinds.append(("number", money))
        else:
            kinds.append(("text", None))
    widths = [len(c) + 2 for c in table.columns]
    for r, row in enumerate(table.rows, start=1):
        for c, text in enumerate(row):
            kind, fmt = kinds[c]
            widths[c] = max(widths[c], min(len(text) + 2, 60))
            if not text:
                continue
            if kind == "date":
                value = _parse_date(text, table.date_pattern)
                if isinstance(value, datetime):
                    ws.write_datetime(r, c, value, fmt)
                    continue
            if kind == "number":
                ws.write_number(r, c, float(Decimal(text)), fmt)  # the two-decimal text, exact in a double
            else:
                ws.write_string(r, c, text)
    ws.add_table(0, 0, max(len(table.rows), 1), len(table.columns) - 1,
                 {"columns": [{"header": c} for c in table.columns], "style": "Table Style Light 9",
                  "name": "JournalLines"})
    for c, width in enumerate(widths):
        ws.set_column(c, c, width)
    ws.freeze_panes(1, 0)
    wb.close()
    return out.getvalue()
