"""A new master workbook: every input sheet as an Excel table, with formats, dropdowns and a guide.

Built with xlsxwriter from the schema, optionally filled with rows (the sample book).
"""

from __future__ import annotations

from datetime import datetime
from io import BytesIO
from pathlib import Path

import xlsxwriter

from ..audit import rule_table
from ..schema import SETTINGS_DEFAULTS, SHEETS, Kind, SheetSpec
from .convert import cell_value
from .package import rewrite_parts

MACRO_MAIN_CT = b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"
PLAIN_MAIN_CT = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
SPARE_ROWS = 1000  # rows below the data that keep dropdowns and formats for typing

GUIDE = [
    ("xlbilling master billing workbook", "title"),
    ("This workbook holds your contracts, time, charges and payments. xlbilling reads the input sheets, "
     "checks them, and writes its results into the output tabs at the end (InvoiceRegister, InvoiceLines, "
     "Discrepancies, ARAging, GLJournal and more). Output tabs are rewritten on every run: type only in the "
     "input sheets.", "text"),
    ("Every month", "heading"),
    ("1. Bring in the month: paste approved timesheets into Timesheets, resale and expenses into Charges, "
     "payments received into Payments. Add new customers, contracts and contract lines as they are signed.", "text"),
    ("2. Validate (Billing ribbon > Validate, or `xlbilling validate`). Fix every cell it names; nothing is "
     "written until the workbook is clean. Validate only reads: it never changes the workbook.", "text"),
    ("3. Close the month (Billing > Close month…, or `xlbilling close`). It builds draft invoices for everything "
     "due on the invoice date and lists every discrepancy. Drafts with errors are put on hold.", "text"),
    ("4. Review the Discrepancies tab. Fix the source data, or set Resolution to 'approve' (bill anyway) or "
     "'exclude' (leave the item out), then close again.", "text"),
    ("5. Post invoices (Billing > Post invoices, or `xlbilling post`). Invoice numbers are assigned; posted "
     "invoices never change. Corrections are credit memos on the Adjustments sheet.", "text"),
    ("6. Send invoices, refresh receivables, and hand the manager report over. Refresh (Billing > Refresh AR, "
     "or `xlbilling refresh`) applies payments, credits and write-offs, ages what is open, writes the journal, "
     "and audits the money already invoiced: payments from unknown customers or naming the wrong invoice "
     "(PAYMENT_UNMATCHED), short payments (PAYMENT_SHORT) and hand-edited posted invoices "
     "(POSTED_INVOICE_CHANGED). Close and post do the same; the other findings of the last close stay as they "
     "were, with your resolutions.", "text"),
    ("Early-payment discounts: on terms such as 2/10 NET 30, a customer who pays the total less the discount "
     "within the discount days has paid in full. The rest shows in InvoiceRegister's Discount column, the "
     "invoice is paid, and the journal debits gl_sales_discounts.", "text"),
    ("Commands that only read (validate, invoice PDFs, the manager report, export-gl, send --dry-run) never "
     "change this workbook and work while it is open in Excel. Commands that write keep a backup of the "
     "previous version in the .xlbilling-backups folder beside the workbook (the last backups_kept, 5 by "
     "default): to restore one, close the workbook and copy the backup over it.", "text"),
    ("Rules of the sheets", "heading"),
    ("Dates are Excel dates or text YYYY-MM-DD. Money is a number. Percentages are 0.05 or 5%. Yes/no columns "
     "take Y/N. Column order is free and you may add your own columns; xlbilling keeps them as they are.", "text"),
    ("Required columns carry a note on their header cell and are listed below.", "text"),
]


class _Formats:
    def __init__(self, wb: xlsxwriter.Workbook):
        self.by_kind = {
            Kind.DATE: wb.add_format({"num_format": "yyyy-mm-dd"}),
            Kind.MONEY: wb.add_format({"num_format": "#,##0.00"}),
            Kind.NUMBER: wb.add_format({"num_format": "0.00"}),
            Kind.PCT: wb.add_format({"num_format": "0.00%"}),
        }
        self.text = wb.add_format({"num_format": "@"})
        self.title = wb.add_format({"bold": True, "font_size": 16, "font_color": "#1F4E78"})
        self.heading = wb.add_format({"bold": True, "font_size": 12, "font_color": "#1F4E78"})
        self.wrap = wb.add_format({"text_wrap": True, "valign": "top"})

    def column(self, kind: Kind):
        return self.by_kind.get(kind, self.text if kind in (Kind.ID, Kind.TEXT, Kind.EMAIL) else None)


def _write_input_sheet(wb, fmt: _Formats, spec: SheetSpec, rows: list[dict]) -> None:
    ws = wb.add_worksheet(spec.name)
    ncols = len(spec.columns)
    data = [[cell_value(r.get(c.name)) for c in spec.columns] for r in rows]
    last = max(len(data), 1)
    columns = []
    for c in spec.columns:
        header = {"header": c.title}
        f = fmt.column(c.kind)
        if f is not None:
            header["format"] = f
        columns.append(header)
    table: dict[str, object] = {"name": f"tbl{spec.name}", "columns": columns, "style": "Table Style Medium 2"}
    if data:
        table["data"] = data
    ws.add_table(0, 0, last, ncols - 1, table)
    for i, c in enumerate(spec.columns):
        f = fmt.column(c.kind)
        ws.set_column(i, i, c.width, f)
        if c.required:
            ws.write_comment(0, i, f"{c.title}: required ({c.kind.value})")
        choices = None
        if c.kind is Kind.ENUM:
            choices = list(c.choices)
        elif c.kind is Kind.BOOL:
            choices = ["Y", "N"]
        if choices:
            ws.data_validation(1, i, last + SPARE_ROWS, i, {
                "validate": "list", "source": choices, "error_type": "warning",
                "error_title": c.title, "error_message": "Choose one of: " + ", ".join(choices),
            })
        elif c.kind is Kind.DATE:
            ws.data_validation(1, i, last + SPARE_ROWS, i, {
                "validate": "date", "criteria": ">", "value": datetime(1990, 1, 1), "error_type": "warning",
                "error_title": c.title, "error_message": "Enter a date (YYYY-MM-DD).",
            })
    ws.freeze_panes(1, 0)
    _print_setup(ws)


def _print_setup(ws) -> None:
    """Landscape, one page wide, the header row on every page (as the output tabs print)."""
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)


def _write_settings(wb, fmt: _Formats, settings: dict[str, str]) -> None:
    ws = wb.add_worksheet("Settings")
    rows = [[k, settings.get(k, v)] for k, v in SETTINGS_DEFAULTS.items()]
    ws.add_table(0, 0, len(rows), 1, {
        "name": "tblSettings", "style": "Table Style Medium 2",
        "columns": [{"header": "Setting", "format": fmt.text}, {"header": "Value", "format": fmt.text}],
        "data": rows,
    })
    ws.set_column(0, 0, 28, fmt.text)
    ws.set_column(1, 1, 44, fmt.text)
    ws.freeze_panes(1, 0)


def _write_guide(wb, fmt: _Formats) -> None:
    ws = wb.add_worksheet("Start here")
    ws.set_column(0, 0, 110)
    ws.hide_gridlines(2)
    row = 0
    for text, style in GUIDE:
        ws.write_string(row, 0, text, {"title": fmt.title, "heading": fmt.heading}.get(style, fmt.wrap))
        row += 2 if style == "title" else 1
    row += 1
    ws.write_string(row, 0, "The input sheets", fmt.heading)
    for spec in SHEETS:
        row += 1
        required = ", ".join(c.title for c in spec.columns if c.required)
        ws.write_string(row, 0, f"{spec.name}: required columns {required}.", fmt.wrap)
    row += 2
    ws.write_string(row, 0, "The checks (an error holds its invoice until fixed, approved or excluded)", fmt.heading)
    for code, severity, what, action in rule_table():
        row += 1
        ws.write_string(row, 0, f"{code} ({severity}): {what}. What to do: {action}.", fmt.wrap)
    ws.activate()


def build_workbook(path: str | Path, rows: dict[str, list[dict]] | None = None,
                   settings: dict[str, str] | None = None, vba: bytes | None = None,
                   conf: dict[str, str] | None = None) -> bytes:
    """The bytes of a new master workbook (.xlsx, or .xlsm when the path says so).

    `vba`: a vbaProject.bin whose document modules are ThisWorkbook and Sheet1, Sheet2, ... in sheet
    order (see sheet_names); `conf`: the key-value rows of an xlwings.conf sheet, placed last."""
    rows = rows or {}
    out = BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
                                   "strings_to_urls": False})
    # A fixed creation time keeps the bytes reproducible (the bundled books are rebuilt and compared).
    wb.set_properties({"title": "Master billing workbook", "comments": "Created by xlbilling",
                       "created": datetime(2026, 1, 1)})
    wb.set_calc_mode("auto")
    fmt = _Formats(wb)
    _write_guide(wb, fmt)
    _write_settings(wb, fmt, settings or {})
    for spec in SHEETS:
        _write_input_sheet(wb, fmt, spec, rows.get(spec.name, []))
    if conf is not None:
        ws = wb.add_worksheet("xlwings.conf")
        for r, (key, value) in enumerate(conf.items()):
            ws.write_string(r, 0, key)
            ws.write_string(r, 1, value)
        ws.set_column(0, 1, 24)
    if vba is not None:
        wb.set_vba_name("ThisWorkbook")
        for n, ws in enumerate(wb.worksheets(), start=1):
            ws.set_vba_name(f"Sheet{n}")
        wb.add_vba_project(BytesIO(vba), is_stream=True)
    wb.close()
    data = out.getvalue()
    if Path(path).suffix.lower() == ".xlsm" and vba is None:
        data = _macro_enabled(data)
    return data


def sheet_names(with_conf: bool = False) -> list[str]:
    """The sheets of a new workbook, in order (document module n is Sheet<n>)."""
    return ["Start here", "Settings", *(s.name for s in SHEETS)] + (["xlwings.conf"] if with_conf else [])


def _macro_enabled(data: bytes) -> bytes:
    """Mark the workbook part macro-enabled so Excel opens a .xlsm without complaint."""
    return rewrite_parts(data, {"[Content_Types].xml": lambda body: body.replace(PLAIN_MAIN_CT, MACRO_MAIN_CT)})
