"""What the Billing ribbon runs (through xlwings' RunPython): each takes the calling book, runs the
same job the command line runs, shows progress in the status bar and ends with a plain message."""

from __future__ import annotations

from datetime import date

import xlwings as xw

from .. import document_jobs, jobs
from ..report_job import write_manager_report
from ..runner import JobResult
from .book import ExcelWorkbook

MAX_LINES = 25


def _run(title: str, job) -> JobResult:
    book = xw.Book.caller()
    app = book.app
    workbook = ExcelWorkbook(book)

    def progress(step: str) -> None:
        app.status_bar = f"xlbilling: {step}"

    try:
        result = job(workbook, progress)
    finally:
        app.status_bar = False
    lines = result.summary + [f"  {e}" for e in result.errors] + [f"  Warning: {w}" for w in result.warnings]
    if len(lines) > MAX_LINES:
        lines = lines[:MAX_LINES] + [f"… and {len(lines) - MAX_LINES} more"]
    app.alert("\n".join(lines), title=f"xlbilling: {title}")
    return result


def validate():
    return _run("Validate", lambda wb, p: jobs.validate(wb, p))


def close_month(invoice_date: str | None = None):
    try:
        day = date.fromisoformat(invoice_date.strip()) if invoice_date else date.today()
    except ValueError:
        xw.Book.caller().app.alert(f"The invoice date must be YYYY-MM-DD, such as {date.today()}; "
                                   f"got {invoice_date!r}. "
                                   "Nothing was changed.", title="xlbilling: Close month")
        return None
    return _run("Close month", lambda wb, p: jobs.close_workbook(wb, day, None, p))


def post():
    return _run("Post invoices", lambda wb, p: jobs.post_workbook(wb, None, p))


def refresh():
    return _run("Refresh AR", lambda wb, p: jobs.refresh_workbook(wb, None, p))


def invoices():
    return _run("Invoice PDFs", lambda wb, p: document_jobs.write_documents(wb, wb.with_name("Invoices"), progress=p))


def send():
    return _run("Send invoices", lambda wb, p: document_jobs.send_invoices(wb, progress=p))


def report():
    today = date.today()
    return _run("Manager report", lambda wb, p: write_manager_report(
        wb, wb.with_name(f"ManagerReport-{today}.xlsx"), today, p))


def import_connectwise(folder: str):
    """The ConnectWise files in a folder, each by its name: agreements, additions, worktypes, time and
    companies (.json, .csv or .xlsx), imported as `xlbilling import connectwise` does."""
    from pathlib import Path

    from ..connectwise.job import KINDS, import_connectwise as run

    found = {kind: p for p in sorted(Path(folder).iterdir()) for kind in KINDS
             if p.stem.lower().startswith(kind) and p.suffix.lower() in (".json", ".csv", ".xlsx")}
    return _run("Import from ConnectWise", lambda wb, p: run(wb, found, progress=p))



def import_counts(file: str, vendor: str = ""):
    """A vendor's licence-count export into VendorCounts, as `xlbilling import counts` does (a blank vendor:
    told by the file's headers; columns and aliases as VendorMappings remembers them)."""
    from pathlib import Path

    from ..import_counts import import_counts as run

    return _run("Import seat counts", lambda wb, p: run(wb, Path(file), vendor.strip() or None, progress=p))
