"""The manager report job: the book's receivables, revenue and KPIs laid out as a workbook with charts.

Apart from the document jobs, so that making the report never loads the PDF library.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from .audit.wip import unbilled_wip_tab
from .core.accounts import accounts, ledger
from .core.posting import billed_by
from .core.report_data import manager_report
from .io.report import write_report
from .io.safe_write import replace_file
from .runner import JobResult, Progress, Read, stage, with_book


def write_manager_report(path: Path, out: Path, as_of: date | None = None,
                         progress: Progress | None = None) -> JobResult:
    """The manager report workbook: KPIs, AR aging, revenue, billings, deferred revenue, discrepancies,
    unbilled work and renewals, with charts."""
    as_of = as_of or date.today()

    def work(read: Read) -> JobResult:
        book = read.book
        stage(progress, "Working out receivables, revenue and KPIs")
        headers, lines = ledger(book)
        acc = accounts(book, as_of, headers, lines)
        sheets = manager_report(acc, lines, as_of, unbilled_wip_tab(book, as_of, billed_by(lines)))
        company = book.settings.company_name or path.stem
        stage(progress, f"Writing the report workbook {out.name}")
        data = write_report(sheets, f"{company}, as of {as_of}", datetime.combine(as_of, datetime.min.time()),
                            book.settings.locale)
        replace_file(out, data)
        summary = [f"Manager report as of {as_of} written to {out} ({len(sheets)} sheets with charts)."]
        return JobResult(True, summary=summary, data={"report": str(out)})

    return with_book(path, progress, work, pause_gc=False, writes=False)
