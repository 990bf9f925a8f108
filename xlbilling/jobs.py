"""The monthly jobs on a workbook file: read it, compute with the pure core, write back once.

The command line and the Excel ribbon are thin wrappers over these. Each job holds the workbook
lock for its whole run, writes nothing when the input has errors, and returns plain-words lines
a billing specialist understands.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
import smtplib
from contextlib import nullcontext
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple
from collections.abc import Callable, Mapping

from .audit import MONEY_CODES, money_findings
from .audit.resolve import audited_close, code_counts, discrepancies_tab
from .audit.wip import unbilled_wip_tab
from .core.aging import aging_tab, collections_tab, detail_tab, next_step, open_ar, open_disputes
from .core.close import CloseResult
from .core.journal import journal, journal_tab
from .core.kpis import deferred_tab, kpi_tab, revenue_schedule_tab
from .core.receivables import Receivables, apply_receivables
from .core.revenue import deferred_rollforward, recognitions
from .core.items import Billed, Item
from .core.findings import ERROR, Finding
from .core.models import Book, InvoiceLineRow, RegisterRow
from .core.ledger import changed_invoices, has_ledger, ledger_tabs, sealed, with_posted
from .core.rules import On
from .core.posting import billed_by, draft_rows, post, posted
from .core.register import lines_tab, register_tab
from .core.runlog import run_log_tab
from .core.schedule import contract_status_tab, recurring_outlook, schedule_tab
from .core.tabs import Tab
from .io.package import CellEdit
from .core.documents import invoice_documents, statement_documents
from .core.periods import add_months
from .core.report_data import billed_vs_recognised, billings_by_type, discrepancy_summary, renewals, top_customers
from .core.revenue import month_of
from .io.report import Block, Chart, Sheet, write_report
from .io.mail import LEVELS, Mailer, MailSetupError, invoice_message, reminder_message, smtp_config, write_eml
from .io.pdf import invoice_pdf, safe_filename, statement_pdf
from .io.reader import Loaded, ReadResult, complete, gc_paused
from .io.safe_write import replace_file
from .io.workbook import as_workbook


Progress = Callable[[str], None]


@dataclass
class JobResult:
    ok: bool
    errors: list[Finding] = field(default_factory=list)  # input errors or a refusal: nothing was written
    summary: list[str] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    data: dict = field(default_factory=dict)  # for --json


class Read(NamedTuple):
    """What a job's work gets: the book read whole and valid, the rows read per sheet, and what the
    job's `ahead` worked out while the Timesheets loaded (None when it did not run)."""

    book: Book
    row_counts: Mapping[str, int]
    early: Any = None


def _read(path, progress: Progress | None) -> ReadResult:
    if progress:
        progress(f"Reading {path.name}")
    return path.read((lambda sheet: progress(f"Reading {sheet}")) if progress else None)


def _with_book(path, progress: Progress | None, work: Callable[[Read], JobResult],
               ahead: Callable[[Book], object] | None = None, pause_gc: bool = True, writes: bool = True) -> JobResult:
    """Hold the workbook, read it, and run the work, or refuse with the input errors (nothing written).

    `path`: a workbook file, or an adapter of the open Excel book (the same jobs run in both).
    `ahead`, if given, runs on the book while its Timesheets still load (it must not need them);
    its result is passed to the work. `pause_gc`: the cyclic collector rests for the run, as suits
    jobs that build millions of plain values; jobs that build documents keep it (their objects
    hold cycles). `writes`: False for the read-only commands, which take no lock and work while Excel
    has the book open (every write replaces the file whole, so a read always sees one version)."""
    path = as_workbook(path)
    with path.lock() if writes else nullcontext(), gc_paused() if pause_gc else nullcontext():
        loaded = complete(_read(path, progress), ahead)
        if loaded.book is None or loaded.errors:
            return _refused(loaded, path)
        read = Read(loaded.book, loaded.row_counts, loaded.early)
        del loaded
        result = work(read)
        del read  # freed while the collector rests: it would walk every object of the run once more
        return result


def _refused(read: Loaded, path: Path) -> JobResult:
    return JobResult(False, read.errors, [f"{path.name}: {len(read.errors)} input error(s); fix these cells and run "
                                          "again (nothing was written):"])


def _write(path, book: Book, command: str, arguments: str, tabs: list[Tab], summary: list[str], counts: str,
           edits: list[CellEdit] = (), progress: Progress | None = None) -> None:
    path = as_workbook(path)
    log = run_log_tab(path.previous_run_log(), datetime.now(), command, arguments, counts,
                      summary[0] if summary else "")
    path.write([*tabs, log], edits, book.settings.backups_kept, progress)


def _stage(progress: Progress | None, what: str) -> None:
    if progress:
        progress(what)




@dataclass
class _Ahead:
    """What a close or post works out before the Timesheets are needed (while they still load): the
    posted ledger, what it bills, and the BillingSchedule (what is billed or due now is not scheduled)."""

    headers: list[RegisterRow]
    lines: list[InvoiceLineRow]
    billed: Billed
    recurring: list[Item]  # the recurring items due now
    schedule: list
    schedule_tab: Tab

    @classmethod
    def of(cls, book: Book, invoice_date: date, through: date | None) -> _Ahead:
        headers, lines = _ledger(book)
        billed = billed_by(lines)
        outlook = recurring_outlook(book, invoice_date, billed, through)
        return cls(headers, lines, billed, outlook.due, outlook.schedule, schedule_tab(outlook.schedule, invoice_date))


def _audit_tabs(book: Book, result: CloseResult, billed: Billed, findings: list[Finding]) -> list[Tab]:
    return [discrepancies_tab(findings, book, date.today()), unbilled_wip_tab(book, result.invoice_date, billed)]


def audit_summary(findings: list[Finding]) -> list[str]:
    if not findings:
        return ["  No discrepancies."]
    counts = code_counts(findings)
    by_severity = {s: sum(n for sev, _, n in counts if sev == s) for s in ("error", "warning", "info")}
    lines = [f"  Discrepancies: {by_severity['error']} error(s), {by_severity['warning']} warning(s), "
             f"{by_severity['info']} note(s); see the Discrepancies tab."]
    lines += [f"    {code:<24} {severity:<8} {n:>5}" for severity, code, n in counts]
    return lines


def _settled(header: RegisterRow, ar: Receivables) -> RegisterRow:
    item = ar.invoices.get(header.invoice_number)
    if item is None:
        return header
    return header._replace(paid=item.paid, credited=item.credited, written_off=item.written_off,
                           discount=item.discount,
                           balance=item.balance, status=item.status)


@dataclass
class _Accounts:
    """Receivables, revenue schedule and journal of a book's posted invoices as of a date."""

    book: Book
    ar: Receivables
    by_invoice: dict[str, list[InvoiceLineRow]]
    schedule: list
    entries: list


def _accounts(book: Book, as_of: date, headers: list[RegisterRow], lines: list[InvoiceLineRow]) -> _Accounts:
    current = with_posted(book, headers, lines)
    ar = apply_receivables(current, as_of)
    by_invoice = lines_by_invoice(lines)
    schedule = recognitions(current, [ln for ln in lines if ln.invoice_number in ar.invoices])
    return _Accounts(current, ar, by_invoice, schedule, journal(book.settings, ar, by_invoice, schedule))


def lines_by_invoice(lines: list[InvoiceLineRow]) -> dict[str, list[InvoiceLineRow]]:
    """Posted lines grouped by their invoice, in the order given."""
    by_invoice: dict[str, list[InvoiceLineRow]] = {}
    for ln in lines:
        by_invoice.setdefault(ln.invoice_number or "", []).append(ln)
    return by_invoice


def _receivables(book: Book, as_of: date) -> tuple[Book, Receivables]:
    """The book with only its posted invoices in InvoiceRegister, and their receivables as of a date."""
    current = with_posted(book, *_ledger(book))
    return current, apply_receivables(current, as_of)


def _new_ledger(book: Book, headers: list[RegisterRow], lines: list[InvoiceLineRow]) -> list[Tab]:
    """The ledger's sheets for a book posted before the ledger existed (its first write takes them in)."""
    return [] if has_ledger(book) else ledger_tabs(headers, lines)


def _ledger_tabs(book: Book, as_of: date, headers: list[RegisterRow], lines: list[InvoiceLineRow],
                 drafts: list[tuple[RegisterRow, list[InvoiceLineRow]]], acc: _Accounts | None = None) -> list[Tab]:
    """InvoiceRegister and InvoiceLines, and everything receivables and accounting derive from them
    (`acc`: those accounts, when the caller has worked them out already)."""
    acc = acc or _accounts(book, as_of, headers, lines)
    current, ar, by_invoice, schedule = acc.book, acc.ar, acc.by_invoice, acc.schedule
    invoices = [i.header for i in ar.invoices.values()]
    return [register_tab([*(_settled(h, ar) for h in headers), *(h for h, _ in drafts)]),
            lines_tab([*lines, *(ln for _, dl in drafts for ln in dl)]),
            aging_tab(current, ar), detail_tab(current, ar), collections_tab(current, ar),
            journal_tab(acc.entries), revenue_schedule_tab(schedule),
            deferred_tab(deferred_rollforward(invoices, schedule, as_of)), kpi_tab(current, ar, by_invoice)]


def _drafts_on_sheet(book: Book) -> list[tuple[RegisterRow, list[InvoiceLineRow]]]:
    lines: dict[str, list[InvoiceLineRow]] = {}
    for ln in book.invoice_lines:
        if not ln.invoice_number:
            lines.setdefault(ln.draft_id, []).append(ln)
    return [(r, lines.get(r.draft_id, [])) for r in book.register if not r.invoice_number]


def refresh_workbook(path: Path, as_of: date | None = None, progress: Progress | None = None) -> JobResult:
    """Payments, credits, AR, collections, journals, revenue and KPIs as of a date, without billing."""
    as_of = as_of or date.today()
    def work(read: Read) -> JobResult:
        book = read.book
        _stage(progress, "Applying payments and credits; journal and revenue")
        headers, lines = _ledger(book)
        acc = _accounts(book, as_of, headers, lines)
        ar = acc.ar
        past_due = [i for i in ar.open_items() if i.header.due_date < as_of]
        summary = [f"Receivables as of {as_of}: {open_ar(ar):,.2f} open on {len(ar.open_items())} invoice(s); "
                   f"{sum((i.balance for i in past_due), Decimal(0)):,.2f} past due on {len(past_due)}.",
                   f"  {len(ar.applications)} payment application(s), {len(ar.credit_memos)} credit memo(s), "
                   f"{len(ar.write_offs)} write-off(s); "
                   f"unapplied credit {sum(ar.unapplied.values(), Decimal(0)):,.2f}."]
        if ar.discounts:
            summary.append(f"  {len(ar.discounts)} early-payment discount(s) taken, "
                           f"{sum((i.discount for i, _ in ar.discounts), Decimal(0)):,.2f} in total.")
        if ar.unmatched:
            unmatched = sum((p.amount for p in ar.unmatched), Decimal(0))
            summary.append(f"  {len(ar.unmatched)} payment(s), {unmatched:,.2f}, "
                           "from customers not on the Customers sheet: applied to nothing (PAYMENT_UNMATCHED).")
        _stage(progress, "Auditing payments and posted invoices")
        findings = money_findings(book)
        summary += audit_summary(findings)
        _stage(progress, "Building the receivables and accounting tabs")
        tabs = [*_ledger_tabs(book, as_of, headers, lines, _drafts_on_sheet(book), acc),
                discrepancies_tab(findings, book, date.today(), MONEY_CODES), *_new_ledger(book, headers, lines)]
        _write(path, book, "refresh", f"--as-of {as_of}", tabs, summary, f"open invoices {len(ar.open_items())}",
               progress=progress)
        return JobResult(True, summary=summary, data={"open_ar": str(open_ar(ar)),
                                                      "discrepancies": [f.as_dict() for f in findings]})

    return _with_book(path, progress, work)


def write_documents(path: Path, out: Path, only: str | None = None, statements: bool = False,
                    as_of: date | None = None, progress: Progress | None = None) -> JobResult:
    """Invoice PDFs (posted invoices, and DRAFT previews of drafts), and customer statements when asked."""
    as_of = as_of or date.today()

    def work(read: Read) -> JobResult:
        book = read.book
        _, ar = _receivables(book, as_of)
        _stage(progress, "Assembling invoices")
        docs = invoice_documents(book, ar, only)
        if only and not docs:
            return JobResult(False, [Finding("NOT_FOUND", ERROR, "InvoiceRegister", f"no invoice or draft {only}",
                                             only, "an invoice number or draft ID from InvoiceRegister")],
                             ["No documents written:"])
        out.mkdir(parents=True, exist_ok=True)
        names = {c.customer_id: c.name for c in book.customers}
        _stage(progress, f"Rendering {len(docs):,} invoice PDF(s)")
        for doc in docs:
            stem = safe_filename(("DRAFT " if doc.is_draft else "") + doc.number, names.get(doc.customer_id, ""))
            (out / f"{stem}.pdf").write_bytes(invoice_pdf(doc))
        written = [f"Wrote {sum(not d.is_draft for d in docs)} invoice PDF(s) and {sum(d.is_draft for d in docs)} "
                   f"draft preview(s) to {out}."]
        if statements:
            folder = out / "statements"
            folder.mkdir(exist_ok=True)
            _stage(progress, "Rendering customer statements")
            stmts = statement_documents(book, ar)
            for st in stmts:
                (folder / f"{safe_filename('Statement', st.bill_to.name, as_of.isoformat())}.pdf").write_bytes(
                    statement_pdf(st))
            written.append(f"  and {len(stmts)} customer statement(s) as of {as_of} to {folder}.")
        return JobResult(True, summary=written, data={"folder": str(out), "documents": len(docs)})

    return _with_book(path, progress, work, pause_gc=False, writes=False)


def send_invoices(path: Path, dry_run: bool = False, outbox: Path | None = None, only: str | None = None,
                  resend: bool = False, reminders: bool = False, as_of: date | None = None,
                  progress: Progress | None = None) -> JobResult:
    """E-mail each posted, unsent invoice (and, when asked, the next collection reminder) with its PDF."""
    as_of = as_of or date.today()

    def work(read: Read) -> JobResult:
        book = read.book
        _stage(progress, "Working out what to send")
        current, ar = _receivables(book, as_of)
        headers, current_lines = posted(current)  # the posted invoices, in number order
        docs = {d.number: d for d in invoice_documents(current, ar) if not d.is_draft}
        customers = {c.customer_id: c for c in book.customers}
        disputed = open_disputes(book, as_of)
        jobs_: list[tuple[RegisterRow, str | None, int]] = []  # (invoice, reminder level or None, days past due)
        for h in headers:
            if only and h.invoice_number != only:
                continue
            if resend or not h.sent_at:
                jobs_.append((h, None, 0))
            elif reminders:
                item = ar.invoices.get(h.invoice_number)
                days = (as_of - h.due_date).days
                level = next_step(days, book.settings) if item and item.balance > 0 else None
                done = LEVELS.index(h.last_reminder) if h.last_reminder in LEVELS else -1
                if level and h.invoice_number not in disputed and LEVELS.index(level) > done:
                    jobs_.append((h, level, days))
        try:
            config = None if dry_run else smtp_config(book.settings)
        except MailSetupError as exc:
            return JobResult(False, [Finding("NOT_SENT", ERROR, "Settings", str(exc))], ["Nothing was sent:"])
        sender = (book.settings.email_from or book.settings.company_email or "billing@example.com")
        _stage(progress, f"Rendering {len(jobs_):,} message(s) with their PDFs")
        messages, skipped = [], []
        for h, level, days in jobs_:
            c = customers.get(h.customer_id)
            doc = docs[h.invoice_number]
            recipient = sender if level == "Escalate" else (c.billing_email if c else None)
            if not recipient:
                skipped.append(f"{h.invoice_number}: customer {h.customer_id} has no billing email")
                continue
            filename = f"{safe_filename(h.invoice_number, c.name if c else '')}.pdf"
            pdf = invoice_pdf(doc)
            msg = (reminder_message(doc, level, days, pdf, sender, recipient, filename) if level
                   else invoice_message(doc, pdf, sender, recipient, filename))
            messages.append((h, level, recipient, msg))
        if dry_run:
            folder = outbox or path.with_name("Outbox")
            for h, level, _, msg in messages:
                write_eml(folder, safe_filename(h.invoice_number, level or "invoice"), msg)
            summary = [f"Dry run: wrote {len(messages)} message(s) to {folder}; nothing was sent."]
            summary += [f"  Not sent: {x}" for x in skipped]
            return JobResult(True, summary=summary, data={"outbox": str(folder), "messages": len(messages),
                                                          "not_sent": skipped})
        _stage(progress, f"Sending {len(messages):,} message(s) through {config.host}")
        sent: dict[str, RegisterRow] = {}
        failed: list[str] = []
        stamp = datetime.now().replace(microsecond=0).isoformat(sep=" ")
        try:
            with Mailer(config) as mailer:
                for h, level, recipient, msg in messages:
                    try:
                        mailer.send(msg)
                    except (smtplib.SMTPException, OSError) as exc:
                        failed.append(f"{h.invoice_number}: {exc}")
                        continue
                    base = sent.get(h.invoice_number, h)
                    sent[h.invoice_number] = (base._replace(last_reminder=level, reminder_sent_at=stamp) if level else
                                              base._replace(sent_at=stamp, sent_to=recipient,
                                                            message_id=msg["Message-ID"]))
        except (smtplib.SMTPException, OSError) as exc:
            failed += [f"{h.invoice_number}: could not reach {config.host}:{config.port} ({exc})"
                       for h, _, _, _ in messages if h.invoice_number not in sent]
        reminders_sent = sum(1 for h in sent.values() if h.reminder_sent_at == stamp)
        summary = [f"Sent {len(sent)} of {len(messages)} message(s) by e-mail"
                   + (f", {reminders_sent} of them collection reminders" if reminders else "") + "."]
        summary += [f"  Not sent, will retry next run: {x}" for x in failed]
        summary += [f"  Not sent: {x}" for x in skipped]
        updated = [sent.get(h.invoice_number, h) for h in headers]
        drafts = [r for r in book.register if not r.invoice_number]
        posted_lines = [ln for h in headers for ln in sorted(current_lines.get(h.invoice_number, ()),
                                                                 key=lambda ln: ln.line_no)]
        tabs = [register_tab([*(_settled(h, ar) for h in updated), *drafts]), *ledger_tabs(updated, posted_lines)]
        _write(path, book, "send", "", tabs, summary,
               f"sent {len(sent)}, failed {len(failed)}", progress=progress)
        return JobResult(not failed, summary=summary,
                         errors=[Finding("NOT_SENT", ERROR, "InvoiceRegister", x) for x in failed],
                         data={"sent": sorted(sent), "failed": failed, "not_sent": skipped})

    return _with_book(path, progress, work, pause_gc=False, writes=not dry_run)


def write_manager_report(path: Path, out: Path, as_of: date | None = None,
                         progress: Progress | None = None) -> JobResult:
    """The manager report workbook: KPIs, AR aging, revenue, billings, deferred revenue, discrepancies,
    unbilled work and renewals, with charts."""
    as_of = as_of or date.today()

    def work(read: Read) -> JobResult:
        book = read.book
        _stage(progress, "Working out receivables, revenue and KPIs")
        headers, lines = _ledger(book)
        acc = _accounts(book, as_of, headers, lines)
        since = add_months(month_of(as_of), -11)
        kpis = kpi_tab(acc.book, acc.ar, acc.by_invoice)
        trend = replace(kpis, rows=[r for r in kpis.rows if r[0] >= f"{since:%Y-%m}"])
        this_month = replace(kpis, rows=[r for r in kpis.rows if r[0] == f"{as_of:%Y-%m}"])
        titles = [c.title for c in kpis.columns]
        aging = aging_tab(acc.book, acc.ar)
        buckets = tuple(range(2, 2 + len(book.settings.aging_buckets) + 1))
        invoices = [i.header for i in acc.ar.invoices.values()]
        sheets = [
            Sheet("Summary", "Billing summary", (
                Block(f"{as_of:%B %Y}", this_month),
                Block("Last 12 months", trend, Chart("line", "Billed and collected", (
                    titles.index("Amount Billed"), titles.index("Cash Collected")), y_title=book.settings.currency)))),
            Sheet("AR Aging", "Receivables aging by customer", (
                Block("Open balance by days past due", aging, Chart("bar", "AR aging", buckets, category=1,
                                                                   subtype="stacked")),)),
            Sheet("Revenue", "Revenue billed and recognised", (
                Block("By month", billed_vs_recognised(acc.ar, acc.schedule),
                      Chart("column", "Billed vs recognised", (1, 2), y_title=book.settings.currency)),)),
            Sheet("Billings", "Billings in the last 12 months", (
                Block("By contract type", billings_by_type(book, lines, since), Chart("pie", "By contract type", (1,))),
                Block("Top 10 customers", top_customers(book, acc.ar, since),
                      Chart("bar", "Top 10 customers", (1,))))),
            Sheet("Deferred Revenue", "Deferred revenue rollforward", (
                Block("By month", deferred_tab(deferred_rollforward(invoices, acc.schedule, as_of))),)),
            Sheet("Discrepancies", "Open discrepancies", (Block("By code", discrepancy_summary(book)),)),
            Sheet("Unbilled WIP", "Unbilled work in progress", (
                Block("Approved time not yet invoiced, by age", unbilled_wip_tab(book, as_of, billed_by(lines))),)),
            Sheet("Renewals", "Renewals due", (Block("Contracts ending in the next 90 days", renewals(book, as_of)),)),
        ]
        company = book.settings.company_name or path.stem
        _stage(progress, f"Writing the report workbook {out.name}")
        data = write_report(sheets, f"{company}, as of {as_of}", datetime.combine(as_of, datetime.min.time()))
        replace_file(out, data)
        summary = [f"Manager report as of {as_of} written to {out} ({len(sheets)} sheets with charts)."]
        return JobResult(True, summary=summary, data={"report": str(out)})

    return _with_book(path, progress, work, pause_gc=False, writes=False)


def _ledger(book: Book) -> tuple[list[RegisterRow], list[InvoiceLineRow]]:
    """Posted invoices (number order) and their lines (invoice, then line order)."""
    headers, lines = posted(book)
    return headers, [ln for h in headers for ln in sorted(lines.get(h.invoice_number, ()), key=lambda ln: ln.line_no)]


def validate(path: Path, progress: Progress | None = None) -> JobResult:
    """Read and check the whole workbook (read-only: it never writes the workbook)."""
    def work(read: Read) -> JobResult:
        c = read.row_counts
        summary = [f"{path.name} is valid: {c.get('Customers', 0):,} customers, {c.get('Contracts', 0):,} contracts, "
                   f"{c.get('Timesheets', 0):,} time entries, {c.get('Charges', 0):,} charges, "
                   f"{c.get('Payments', 0):,} payments."]
        warnings = changed_invoices(On(read.book))
        return JobResult(True, summary=summary, warnings=warnings, data={"rows": read.row_counts})

    return _with_book(path, progress, work, writes=False)


def _counts(read: Read) -> str:
    return ", ".join(f"{k} {v}" for k, v in read.row_counts.items() if v)


def close_summary(result: CloseResult, customers: dict[str, str]) -> list[str]:
    lines = [f"Closed for invoice date {result.invoice_date} (usage through {result.through}): "
             f"{len(result.drafts)} draft invoice(s), {result.total:,.2f} in total."]
    held = [d for d in result.drafts if d.holds]
    if held:
        lines.append(f"  {len(held)} draft(s) on hold; see Hold Reasons in InvoiceRegister.")
    by_customer: dict[str, Decimal] = {}
    for d in result.drafts:
        by_customer[d.customer_id] = by_customer.get(d.customer_id, Decimal(0)) + d.total
    for cid, total in sorted(by_customer.items(), key=lambda kv: -kv[1])[:10]:
        lines.append(f"  {customers.get(cid, cid)[:34]:<34} {total:>14,.2f}")
    if len(by_customer) > 10:
        lines.append(f"  … and {len(by_customer) - 10} more customers")
    for cid, amount in result.capped.items():
        lines.append(f"  Contract {cid} reached its not-to-exceed cap: {amount:,.2f} of time left unbilled.")
    return lines


def close_workbook(path: Path, invoice_date: date, through: date | None = None,
                   progress: Progress | None = None) -> JobResult:
    """Replace the drafts with a fresh set for the invoice date; posted invoices stay as they are."""
    def ahead(book: Book) -> _Ahead:
        _stage(progress, "Scheduling recurring billing")
        return _Ahead.of(book, invoice_date, through)

    def work(read: Read) -> JobResult:
        book = read.book
        a = read.early or ahead(book)
        headers, lines, billed = a.headers, a.lines, a.billed
        _stage(progress, "Billing recurring fees, time, milestones and charges; auditing")
        result, findings = audited_close(book, invoice_date, through, billed, a.recurring)
        drafts = [draft_rows(d, result.through) for d in result.drafts]
        summary = close_summary(result, {c.customer_id: c.name for c in book.customers}) + audit_summary(findings)
        _stage(progress, "Building the invoice, receivables, accounting and status tabs")
        tabs = [*_ledger_tabs(book, invoice_date, headers, lines, drafts), a.schedule_tab,
                contract_status_tab(book, invoice_date, headers, lines, a.schedule),
                *_audit_tabs(book, result, billed, findings), *_new_ledger(book, headers, lines)]
        _write(path, book, "close", f"--date {invoice_date} --through {result.through}", tabs, summary,
               f"drafts {len(result.drafts)}, total {result.total}", progress=progress)
        return JobResult(True, summary=summary, data={"drafts": len(result.drafts), "total": str(result.total),
                                                      "discrepancies": [f.as_dict() for f in findings]})

    return _with_book(path, progress, work, ahead)


def _refusal(where: str, message: str, found: str = "", expected: str = "") -> JobResult:
    return JobResult(False, [Finding("NOT_POSTED", ERROR, where, message, found, expected)],
                     ["Nothing was posted:"])


def post_workbook(path: Path, posted_on: date | None = None, progress: Progress | None = None) -> JobResult:
    """Post every draft not on hold: gapless numbers, invoice numbers into the billed time and charges."""
    def closes(book: Book) -> set[tuple[date, date]]:
        return {(r.invoice_date, r.usage_through) for r in book.register if not r.invoice_number}

    def ahead(book: Book) -> _Ahead | None:
        drafted = closes(book)
        _stage(progress, "Scheduling recurring billing")
        return _Ahead.of(book, *drafted.pop()) if len(drafted) == 1 else None

    def work(read: Read) -> JobResult:
        book = read.book
        on_sheet = [r for r in book.register if not r.invoice_number]
        if not on_sheet:
            return JobResult(True, summary=["Nothing to post: there are no drafts. Run close first."])
        drafted = closes(book)
        if len(drafted) > 1:
            return _refusal("InvoiceRegister", "the drafts come from different closes", f"{len(drafted)} invoice dates",
                            "one close: run close again")
        invoice_date, through = drafted.pop()
        a = read.early or _Ahead.of(book, invoice_date, through)
        headers, lines, billed = a.headers, a.lines, a.billed
        _stage(progress, "Checking the drafts against a fresh close")
        fresh, findings = audited_close(book, invoice_date, through, billed, a.recurring)
        reviewed = {r.draft_id: (r.total, r.lines) for r in on_sheet}
        now = {d.draft_id: (d.total, len(d.lines)) for d in fresh.drafts}
        if reviewed != now:
            changed = sorted(k for k in reviewed.keys() | now.keys() if reviewed.get(k) != now.get(k))
            return _refusal("InvoiceRegister", f"the workbook changed since the close for {invoice_date}",
                            "different drafts: " + ", ".join(changed[:5]) + (" …" if len(changed) > 5 else ""),
                            "the drafts as reviewed: run close again and review them before posting")
        _stage(progress, "Numbering and posting the invoices")
        result = post(book, fresh.drafts, through, posted_on or date.today())
        new_headers = [h for h, _ in result.invoices]
        new_lines = [ln for _, ls in result.invoices for ln in ls]
        held = [draft_rows(d, through) for d in result.held]
        all_headers, all_lines = sealed([*headers, *new_headers]), [*lines, *new_lines]
        acc = _accounts(book, invoice_date, all_headers, all_lines)
        money = money_findings(acc.book)  # against the ledger as it is now, with the new invoices
        findings = [f for f in findings if f.code not in MONEY_CODES] + money
        tabs = [*_ledger_tabs(book, invoice_date, all_headers, all_lines, held, acc),
                a.schedule_tab,
                contract_status_tab(book, invoice_date, all_headers, all_lines, a.schedule),
                *_audit_tabs(book, fresh, billed_by(all_lines), findings), *ledger_tabs(all_headers, all_lines)]
        edits = _billed_cells(book, new_lines)
        total = sum((h.total for h in new_headers), Decimal("0.00"))
        if new_headers:
            first, last = new_headers[0].invoice_number, new_headers[-1].invoice_number
            summary = [f"Posted {len(new_headers)} invoice(s), {first} to {last}, {total:,.2f} in total."]
        else:
            summary = ["Nothing was posted: every draft is on hold."]
        if result.held:
            summary.append(f"  {len(result.held)} draft(s) on hold stay as drafts; "
                           "see Hold Reasons in InvoiceRegister.")
        if money:
            summary += audit_summary(money)
        _write(path, book, "post", f"--date {invoice_date}", tabs, summary, f"posted {len(new_headers)}, total {total}",
               edits, progress)
        return JobResult(True, summary=summary, data={"posted": [h.invoice_number for h in new_headers],
                                                      "total": str(total)})

    return _with_book(path, progress, work, ahead)


def _billed_cells(book: Book, lines: list[InvoiceLineRow]) -> list[CellEdit]:
    """The invoice number into each billed time entry and charge (the only input cells the tool writes)."""
    entries = {e: ln.invoice_number for ln in lines if ln.entry_ids for e in ln.entry_ids.split()}
    charges = {ln.source_id: ln.invoice_number for ln in lines if ln.source_type == "charge"}
    table = book.time_entries
    at = table.positions
    rows = {"Timesheets": {int(table.rows[at[e]]): number for e, number in entries.items() if e in at},
            "Charges": {r.row: charges[r.charge_id] for r in book.charges if r.charge_id in charges}}
    return [CellEdit(sheet, book.columns.get(sheet, {}).get("invoice_number"), "Invoice Number", values)
            for sheet, values in rows.items() if values]

