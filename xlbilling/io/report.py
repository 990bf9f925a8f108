"""The manager report: a separate workbook (xlsxwriter) of formatted tables and charts.

Each sheet is a title and blocks; a block is one table (an Excel table with number formats) and an
optional chart under it drawn from that table's own cells, so a chart always shows the figures above it.
"""

from __future__ import annotations

from datetime import datetime
from io import BytesIO

import xlsxwriter

from ..core.tabs import DATE, DATETIME, INT, MONEY, NUMBER, PCT, Tab
from ..core.report_data import Chart, Sheet
from .convert import cell_value

FORMATS = {MONEY: "#,##0.00", DATE: "yyyy-mm-dd", DATETIME: "yyyy-mm-dd hh:mm", INT: "0", NUMBER: "#,##0.0",
           PCT: "0.0%"}


def write_report(sheets: list[Sheet], subtitle: str, created: datetime) -> bytes:
    out = BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                   "strings_to_numbers": False})
    wb.set_properties({"title": "Billing manager report", "comments": subtitle, "created": created})
    title_fmt = wb.add_format({"bold": True, "font_size": 16, "font_color": "#1F4E78"})
    sub_fmt = wb.add_format({"italic": True, "font_color": "#595959"})
    head_fmt = wb.add_format({"bold": True, "font_size": 12, "font_color": "#1F4E78"})
    formats = {kind: wb.add_format({"num_format": code}) for kind, code in FORMATS.items()}
    for sheet in sheets:
        ws = wb.add_worksheet(sheet.name)
        ws.write_string(0, 0, sheet.title, title_fmt)
        ws.write_string(1, 0, subtitle, sub_fmt)
        row, first_header = 3, None
        widths: dict[int, float] = {}
        for block in sheet.blocks:
            ws.write_string(row, 0, block.heading, head_fmt)
            top = row + 1
            first_header = top if first_header is None else first_header
            tab = block.tab
            data = [[cell_value(v) for v in r] for r in tab.rows] or [[None] * len(tab.columns)]
            columns = [{"header": c.title, **({"format": formats[c.kind]} if c.kind in formats else {})}
                       for c in tab.columns]
            ws.add_table(top, 0, top + len(data), len(tab.columns) - 1,
                         {"data": data, "columns": columns, "style": "Table Style Medium 2", "autofilter": False})
            for i, c in enumerate(tab.columns):
                widths[i] = max(widths.get(i, 8), c.width or 12, len(c.title) + 2)
            row = top + len(data) + 2
            if block.chart and tab.rows:
                _chart(wb, ws, sheet.name, block.chart, tab, top, row)
                row += 18
        for i, w in widths.items():
            ws.set_column(i, i, min(w, 40))
        ws.freeze_panes((first_header or 3) + 1, 0)
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(0, 1)
        ws.set_paper(1)
    wb.close()
    return out.getvalue()


def _chart(wb, ws, sheet_name: str, spec: Chart, tab: Tab, top: int, at_row: int) -> None:
    """A chart under its table, its series the table's own columns."""
    options = {"type": spec.kind}
    if spec.subtype:
        options["subtype"] = spec.subtype
    chart = wb.add_chart(options)
    last = top + len(tab.rows)
    for col in spec.values:
        chart.add_series({"name": [sheet_name, top, col], "categories": [sheet_name, top + 1, spec.category, last,
                                                                          spec.category],
                          "values": [sheet_name, top + 1, col, last, col]})
    chart.set_title({"name": spec.title})
    if spec.y_title and spec.kind != "pie":
        chart.set_y_axis({"name": spec.y_title, "num_format": "#,##0"})
    chart.set_size({"width": 620, "height": 320})
    ws.insert_chart(at_row, 0, chart)
