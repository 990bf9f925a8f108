"""The hand-off to accounting: journals, invoices and payments for a date range, in the import files
of QuickBooks Online, Business Central and Dynamics GP (docs/accounting.md).

Each export only reads the workbook, writes its file whole or not at all, and remembers what it
exported beside the workbook (io/export_log.py): a range that takes in something exported before
stops with a warning naming it, unless `again` is given.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from collections.abc import Callable, Sequence

from .core.findings import WARNING, Finding
from .core.journal import Entry, deferrals, in_order
from .core.models import Book, RegisterRow
from .io.ar_export import Table, bc_receipts, bc_sales, qbo_invoices, qbo_payments, show_ids
from .io.export_log import Exported, earlier, log_path, read_log, remember
from .io.gl_export import LAYOUTS, ExportContext, bc_pattern, export_rows, gp_numbers, to_csv
from .io.safe_write import replace_file
from .core.accounts import accounts, ledger, lines_by_invoice
from .core.models import number
from .runner import JobResult, Progress, Read, stage, with_book

DOCUMENT_FORMATS = ("bc", "qbo")  # the systems that take invoices and payments as documents
_SHEETS = {("bc", "journal"): "General Journal", ("bc", "invoice"): "Sales Journal",
           ("bc", "payment"): "Cash Receipt Journal"}


def export_context(book: Book, end: date, headers: list[RegisterRow],
                   log: Sequence[Exported] = ()) -> ExportContext:
    """What the export layouts need from the book, with the cell each value comes from."""
    s = book.settings
    cells: dict[tuple[str, str], str] = {}
    for name, row in s.rows.items():
        value = str(getattr(s, name, "") or "")
        where = book.cell_at("Settings", row, "value") if "Settings" in book.columns else f"Settings!{row}:{row}"
        cells[("setting:" + name, value)] = where
        if name.startswith("gl_"):
            cells[("account", value)] = where
    for line in book.lines:
        if line.revenue_account:
            cells.setdefault(("account", line.revenue_account), book.cell(line, "revenue_account"))
    for c in book.customers:
        cells[("customer", c.customer_id)] = book.cell(c, "customer_id")
        cells[("customer-name", c.accounting_name or c.name)] = book.cell(
            c, "accounting_name" if c.accounting_name else "name")
    for p in book.payments:
        cells[("journal", f"PAY-{p.payment_id}")] = cells[("payment", p.payment_id)] = book.cell(p, "payment_id")
        if p.reference:
            cells[("reference", p.reference)] = book.cell(p, "reference")
    for a in book.adjustments:
        cells[("journal", f"WO-{a.adjustment_id}")] = book.cell(a, "adjustment_id")
    prefix_cell = cells.get(("setting:invoice_prefix", s.invoice_prefix), "Settings (invoice_prefix)")
    for h in headers:  # the posted invoices: their numbers are the prefix and a number
        for journal in (number(h), f"DISC-{h.invoice_number}", f"DEF-{h.invoice_number}"):
            cells[("journal", journal)] = prefix_cell
    taken = {r.id: r.number for r in log if r.system == "gp" and r.number is not None}
    return ExportContext(s.gl_accounts_receivable, (s.invoice_prefix, s.credit_memo_prefix),
                         {c.customer_id: c.accounting_name or c.name for c in book.customers}, cells,
                         s.bc_journal_template, s.bc_journal_batch, s.gp_batch or f"XLB{end:%Y%m%d}",
                         s.gp_first_journal_entry,
                         {a.account: (a.name, a.bc_number, a.gp_account, a.qbo_item) for a in book.gl_accounts},
                         taken, s.gl_cash, s.bc_date_format, (s.bc_sales_template, s.bc_sales_batch),
                         (s.bc_receipts_template, s.bc_receipts_batch))


SYSTEMS = {"qbo": "QuickBooks Online", "bc": "Business Central", "gp": "Dynamics GP", "generic": "the generic layout"}


def _exported_before(path: Path, system: str, what: str, before: list[Exported]) -> JobResult:
    ids = [r.id for r in before]
    first = min(r.at for r in before)
    name = SYSTEMS[system]
    warning = Finding("EXPORTED_BEFORE", WARNING, log_path(path).name,
                      f"exported to {name} before: {show_ids(ids)}", action="export a range after them, or add "
                      "--again to export them once more (the accounting system may then hold them twice)")
    return JobResult(False, [warning], [f"Nothing was exported: {len(ids)} {what}(s) of this range were exported to "
                                        f"{name} before (first on {first[:10]}). Export a range after them, or add "
                                        "--again to export them once more:"])


def _export(path: Path, system: str, kind: str, out: Path, again: bool, progress: Progress | None,
            build: Callable[[Book, list[Exported]], tuple[Table, list[Finding], str, dict[str, int]]]) -> JobResult:
    """The shared run of every export: read, build the file, refuse on errors or on a repeat, write, remember."""
    log, log_errors = read_log(path)
    if log_errors:
        return JobResult(False, log_errors, [f"Nothing was exported: the export log {log_path(path).name} is damaged."])

    def work(read: Read) -> JobResult:
        stage(progress, f"Working out the {kind}s")
        table, errors, summary, numbers = build(read.book, log)
        if errors:
            return JobResult(False, errors, [f"Nothing was exported: {len(errors)} value(s) would not import into "
                                             "the accounting system as they stand; fix these cells:"])
        if not table.ids:
            return JobResult(True, summary=[f"No {kind}s are dated in that range; no file was written."],
                             data={"file": None, "rows": 0, "ids": []})
        before = earlier(log, system, kind, table.ids)
        if before and not again:
            return _exported_before(path, system, kind, before)
        if out.suffix.lower() == ".xlsx":
            from .io.export_book import table_workbook  # xlsxwriter: imported by the exports that write one only
            replace_file(out, table_workbook(table, _SHEETS.get((system, kind), kind.title() + "s")))
        else:
            replace_file(out, to_csv(table.columns, table.rows).encode("utf-8-sig"), check_zip=False)
        remember(path, log, system, kind, table.ids, out, numbers)
        again_note = [f"  {len(before)} of them had been exported before (--again)."] if before else []
        return JobResult(True, summary=[summary, *again_note],
                         data={"file": str(out), "rows": len(table.rows), "ids": table.ids})

    return with_book(path, progress, work, writes=False)


def _debits(entries: list[Entry]) -> Decimal:
    return sum((e.debit for e in entries), Decimal(0))


def _leave_out_documents(entries: list[Entry], layout: str, book: Book, acc) -> list[Entry]:
    """The journals that export-invoices and export-payments do not carry for the system: QuickBooks
    takes invoices and payments (its invoices book revenue themselves: DEF- journals move the part not
    yet earned to deferred revenue); Business Central takes invoices, credit memos and payments."""
    s = book.settings
    memos = (s.credit_memo_prefix,) if layout == "bc" and s.credit_memo_prefix else ()
    invoices = set(acc.ar.invoices)
    kept = [e for e in entries if e.journal_id not in invoices and not e.journal_id.startswith(("PAY-", *memos))]
    if layout == "qbo":
        kept += deferrals(s, acc.ar, acc.by_invoice, acc.schedule)
    return in_order(kept)


def export_gl(path: Path, start: date, end: date, layout: str, out: Path, progress: Progress | None = None,
              again: bool = False, without_documents: bool = False) -> JobResult:
    """Journal entries dated from start to end, in an accounting system's import layout."""
    def build(book: Book, log: list[Exported]):
        headers, lines = ledger(book)
        acc = accounts(book, end, headers, lines)
        entries = acc.entries
        if without_documents:
            entries = _leave_out_documents(entries, layout, book, acc)
        entries = [e for e in entries if start <= e.date <= end]
        ctx = export_context(book, end, headers, log)
        rows, errors = export_rows(entries, layout, ctx)
        spec = LAYOUTS[layout]
        pattern = {"bc": bc_pattern(ctx), "generic": "%Y-%m-%d"}.get(layout, "%m/%d/%Y")
        table = Table(spec.columns, rows, list(dict.fromkeys(e.journal_id for e in entries)), spec.dates, spec.amounts,
                      pattern)
        journals = len(table.ids)
        summary = (f"Exported {len(entries)} journal line(s) in {journals} journal(s) dated {start} to {end}, "
                   f"{layout} layout, to {out}. Debits and credits both total {_debits(entries):,.2f}.")
        return table, errors, summary, gp_numbers(entries, ctx) if layout == "gp" else {}

    return _export(path, layout, "journal", out, again, progress, build)


def export_invoices(path: Path, start: date, end: date, layout: str, out: Path, progress: Progress | None = None,
                    again: bool = False) -> JobResult:
    """Posted invoices dated from start to end (Business Central: and credit memos) as the system imports them."""
    def build(book: Book, log: list[Exported]):
        headers, lines = ledger(book)
        ctx = export_context(book, end, headers, log)
        if layout == "qbo":
            chosen = [h for h in headers if start <= h.invoice_date <= end]
            by_invoice = lines_by_invoice(lines)
            table, errors = qbo_invoices([(h, by_invoice.get(h.invoice_number or "", [])) for h in chosen], ctx,
                                         book.settings.gl_revenue, book.settings.gl_sales_tax_payable)
            total = sum((h.total for h in chosen), Decimal(0))
            summary = (f"Exported {len(chosen)} invoice(s) dated {start} to {end}, {len(table.rows)} item line(s), "
                       f"totalling {total:,.2f} with tax, for {SYSTEMS[layout]}, to {out}.")
            return table, errors, summary, {}
        acc = accounts(book, end, headers, lines)
        memos = book.settings.credit_memo_prefix
        entries = [e for e in acc.entries if start <= e.date <= end and (
            e.journal_id in acc.ar.invoices or (memos and e.journal_id.startswith(memos)))]
        table, errors = bc_sales(entries, {number(h): h for h in headers}, ctx)
        summary = (f"Exported {len(table.ids)} invoice(s) and credit memo(s) dated {start} to {end}, "
                   f"{len(table.rows)} sales journal line(s), for {SYSTEMS[layout]}, to {out}. Every document "
                   f"balances; debits total {_debits(entries):,.2f}.")
        return table, errors, summary, {}

    return _export(path, layout, "invoice", out, again, progress, build)


def export_payments(path: Path, start: date, end: date, layout: str, out: Path, progress: Progress | None = None,
                    again: bool = False) -> JobResult:
    """Payments dated from start to end, each applied to the invoices it pays, as the system imports them."""
    def build(book: Book, log: list[Exported]):
        headers, lines = ledger(book)
        acc = accounts(book, end, headers, lines)
        ctx = export_context(book, end, headers, log)
        payments = [p for p in acc.ar.payments if start <= p.date <= end]
        table, errors = (qbo_payments if layout == "qbo" else bc_receipts)(acc.ar, payments, ctx)
        total = sum((p.amount for p in payments), Decimal(0))
        summary = (f"Exported {len(payments)} payment(s) dated {start} to {end}, totalling {total:,.2f}, in "
                   f"{len(table.rows)} line(s) applied to their invoices, for {SYSTEMS[layout]}, to {out}.")
        return table, errors, summary, {}

    return _export(path, layout, "payment", out, again, progress, build)
