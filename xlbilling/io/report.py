"""The manager report: a separate workbook (xlsxwriter) of formatted tables and charts.

Each sheet is a title and blocks; a block is one table (an Excel table with number formats) and an
optional chart under it drawn from that table's own cells, so a chart always shows the figures above it.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from io import BytesIO

import xlsxwriter

from ..core.tabs import DATE, DATETIME, INT, MONEY, NUMBER, PCT, TEXT, Tab
from ..core.report_data import Chart, Sheet
from .convert import cell_value
from .local_format import Formats

FORMATS = {MONEY: "#,##0.00", DATE: "yyyy-mm-dd", DATETIME: "yyyy-mm-dd hh:mm", INT: "0", NUMBER: "#,##0.00",
           PCT: "0.0%"}
NUMERIC = (MONEY, INT, NUMBER, PCT)
SUMMED = (MONEY, INT, NUMBER)  # what a Total row adds up
ROWS_PER_CATEGORY = 22  # pixels of a bar chart per category, so every label has room


def _shown(value: object) -> str:
    """A value as its cell shows it, for fitting the column's width."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _total(tab: Tab, k: int) -> Decimal | int | None:
    if tab.columns[k].kind not in SUMMED:
        return None
    values = [r[k] for r in tab.rows if isinstance(r[k], (int, Decimal)) and not isinstance(r[k], bool)]
    return sum(values, Decimal(0)) if values else None


def write_report(sheets: list[Sheet], subtitle: str, created: datetime, locale: str = "") -> bytes:
    """The report workbook; `locale`: the workbook's, for how its dates show (blank: YYYY-MM-DD)."""
    out = BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                   "strings_to_numbers": False})
    wb.set_properties({"title": "Billing manager report", "comments": subtitle, "created": created})
    title_fmt = wb.add_format({"bold": True, "font_size": 16, "font_color": "#1F4E78"})
    sub_fmt = wb.add_format({"italic": True, "font_color": "#595959"})
    head_fmt = wb.add_format({"bold": True, "font_size": 12, "font_color": "#1F4E78"})
    codes = {**FORMATS, DATE: Formats(locale).excel_date_format()}
    formats = {kind: wb.add_format({"num_format": code}) for kind, code in codes.items()}
    formats[TEXT] = wb.add_format({"indent": 1})  # text keeps clear of a number right-aligned before it
    figures = wb.add_format({"align": "right"})
    right = wb.add_format({"bold": True, "align": "right"})
    bold = wb.add_format({"bold": True, "top": 1})
    totals = {kind: wb.add_format({"bold": True, "top": 1, "num_format": code}) for kind, code in codes.items()}
    for sheet in sheets:
        ws = wb.add_worksheet(sheet.name)
        ws.write_string(0, 0, sheet.title, title_fmt)
        ws.write_string(1, 0, subtitle, sub_fmt)
        row, first_header, breaks = 3, None, []
        widths: dict[int, float] = {}
        for n, block in enumerate(sheet.blocks):
            if n:
                breaks.append(row)  # each table starts a page, so none is split from its heading
            ws.write_string(row, 0, block.heading, head_fmt)
            top = row + 1
            first_header = top if first_header is None else first_header
            tab = block.tab
            data = [[cell_value(v) for v in r[:len(tab.columns)]] for r in tab.rows] or [[None] * len(tab.columns)]
            columns = [{"header": c.title,
                        **({"format": figures if c.right else formats[c.kind]} if c.kind in formats else {}),
                        **({"header_format": right} if c.kind in NUMERIC or c.right else {})} for c in tab.columns]
            ws.add_table(top, 0, top + len(data), len(tab.columns) - 1,
                         {"data": data, "columns": columns, "style": "Table Style Medium 2", "autofilter": False})
            last_row = top + len(data)
            if block.totals and tab.rows:  # the sums as values: every reader shows them, none recalculates
                last_row += 1
                ws.write_string(last_row, 0, "Total", bold)
                for k in range(1, len(tab.columns)):
                    total = _total(tab, k)
                    if total is not None:
                        ws.write_number(last_row, k, float(total), totals[tab.columns[k].kind])
            for i, c in enumerate(tab.columns):
                longest = max((len(_shown(r[i])) for r in tab.rows), default=0)
                widths[i] = max(widths.get(i, 8), len(c.title) + 3, longest + 2)
            row = last_row + 2
            if block.chart and tab.rows:
                breaks.append(row)  # a chart on a page of its own: never cut in two
                height = _chart(wb, ws, sheet.name, block.chart, tab, top, row)
                row += height // 20 + 2
        for i, w in widths.items():
            ws.set_column(i, i, min(w, 64))
        ws.freeze_panes((first_header or 3) + 1, 0)
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
        if len(sheet.blocks) == 1:
            ws.repeat_rows(0, first_header or 3)  # a long table's header row on every page
        else:
            ws.repeat_rows(0, 1)
        ws.set_h_pagebreaks(breaks)
        ws.set_paper(1)
    wb.close()
    return out.getvalue()


def _chart(wb, ws, sheet_name: str, spec: Chart, tab: Tab, top: int, at_row: int) -> int:
    """A chart under its table, its series the table's own columns; its height in pixels. A bar chart
    lists its categories top down in the table's order, each with room for its label."""
    options = {"type": spec.kind}
    if spec.subtype:
        options["subtype"] = spec.subtype
    chart = wb.add_chart(options)
    shown = spec.rows if spec.rows is not None else len(tab.rows)
    last = top + shown
    for col in spec.values:
        chart.add_series({"name": [sheet_name, top, col], "categories": [sheet_name, top + 1, spec.category, last,
                                                                          spec.category],
                          "values": [sheet_name, top + 1, col, last, col]})
    chart.set_title({"name": spec.title})
    if spec.y_title and spec.kind != "pie":
        chart.set_y_axis({"name": spec.y_title, "num_format": "#,##0"})
    height = 320
    if spec.kind == "bar":
        chart.set_y_axis({"reverse": True})  # the first row on top
        chart.set_x_axis({"num_format": "#,##0"})
        height = max(240, 90 + ROWS_PER_CATEGORY * shown)
    if len(spec.values) == 1:
        chart.set_legend({"none": True})
    chart.set_size({"width": 720, "height": height})
    ws.insert_chart(at_row, 0, chart)
    return height
