"""The monthly jobs on a workbook: validate, close, post and refresh. Each reads the book, runs the
core (audited close, posting, receivables) and writes its tabs back once.

The command line and the Excel ribbon are thin wrappers over these. Each job holds the workbook
lock for its whole run, writes nothing when the input has errors, and returns plain-words lines
a billing specialist understands.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from pathlib import Path

from .audit import INVOICE_RULES, MONEY_CODES, money_findings
from .audit.resolve import audited_close, code_counts, discrepancies_tab
from .audit.wip import unbilled_wip_tab
from .core.accounts import (Accounts, accounts, drafts_on_sheet, ledger, ledger_view_tabs, line_tabs, new_ledger,
                            receivable_tabs)
from .core.receivables import open_ar
from .core.close import CloseResult
from .core.findings import Finding, not_posted
from .core.items import Billed, Item
from .core.ledger import LEDGER_LINES, changed_invoices, ledger_invoices_tab, ledger_lines_tab, sealed
from .core.models import Book, InvoiceLineRow, RegisterRow, number
from .core.register import draft_lines_digest
from .core.posting import billed_by, draft_rows, edited_drafts, post
from .core.rules import On
from .core.seats import Seat, reconcile, reconciliation_tab, totals
from .core.recurring import Periods
from .core.schedule import SCHEDULE, contract_status_tab, recurring_outlook, schedule_seal, schedule_tab
from .core.tabs import Later, Tab
from .io.package import CellEdit, EditValue
from .io.workbook import as_workbook
from .schema import INVOICE_LINES
from .runner import JobResult, Progress, Read, alongside, refused, stage, with_book, write_run


@dataclass
class _Ahead:
    """What a close or post works out before the Timesheets are needed (while they still load): the
    posted ledger, what it bills, and the BillingSchedule (what is billed or due now is not scheduled)."""

    headers: list[RegisterRow]
    lines: list[InvoiceLineRow]
    billed: Billed
    recurring: list[Item]  # the recurring items due now
    schedule: Periods  # due after the invoice date, through the months ahead
    invoice_date: date

    def schedule_tabs(self, seals: Mapping[str, str]) -> list[Tab]:
        """BillingSchedule, unless the sheet is sealed with this very schedule's digest: it is then left
        as it is (the tab it holds is the one this would make)."""
        if seals.get(SCHEDULE) == schedule_seal(self.schedule, self.invoice_date):
            return []
        return [schedule_tab(self.schedule, self.invoice_date)]

    def due(self) -> list[Item]:
        """The recurring items due now, handed over once: from then on the drafts hold what they bill (a
        first close's hundreds of thousands of items are freed with its drafts, not kept to the end)."""
        due, self.recurring = self.recurring, []
        return due

    @classmethod
    def of(cls, book: Book, invoice_date: date, through: date | None, progress: Progress | None) -> _Ahead:
        stage(progress, "Scheduling recurring billing")
        headers, lines = ledger(book)
        billed = billed_by(lines)
        outlook = recurring_outlook(book, invoice_date, billed, through)
        return cls(headers, lines, billed, outlook.due, outlook.schedule, invoice_date)

def _unless_held(tab: Tab, seals: Mapping[str, str]) -> list[Tab]:
    """The tab, or none when its sheet holds it already (sealed with this tab's very content digest):
    the sheet is then left as it is."""
    return [] if tab.seal is not None and seals.get(tab.name) == tab.seal else [tab]


def _audit_tabs(book: Book, result: CloseResult, billed: Billed, findings: list[Finding],
                seats: list[Seat], seals: Mapping[str, str]) -> list[Tab]:
    return [*_unless_held(discrepancies_tab(findings, book, date.today()), seals),
            unbilled_wip_tab(book, result.invoice_date, billed), reconciliation_tab(book, seats, result.invoice_date)]


def seat_summary(seats: list[Seat]) -> list[str]:
    """The seat reconciliation in a line, when vendors' counts hold on the day (lines with a vendor SKU
    and no count yet have nothing to say)."""
    if not any(s.vendor_row is not None for s in seats):
        return []
    return [f"  {totals(seats).summary()} See the Reconciliation tab."]

def audit_summary(findings: list[Finding]) -> list[str]:
    if not findings:
        return ["  No discrepancies."]
    counts = code_counts(findings)
    by_severity = {s: sum(n for sev, _, n in counts if sev == s) for s in ("error", "warning", "info")}
    lines = [f"  Discrepancies: {by_severity['error']} error(s), {by_severity['warning']} warning(s), "
             f"{by_severity['info']} note(s); see the Discrepancies tab."]
    lines += [f"    {code:<24} {severity:<8} {n:>5}" for severity, code, n in counts]
    return lines


def refresh_workbook(path: Path, as_of: date | None = None, progress: Progress | None = None) -> JobResult:
    """Payments, credits, AR, collections, journals, revenue and KPIs as of a date, without billing."""
    as_of = as_of or date.today()

    def work(read: Read) -> JobResult:
        book = read.book
        stage(progress, "Applying payments and credits; journal and revenue")
        headers, lines = ledger(book)
        acc = accounts(book, as_of, headers, lines)
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
        stage(progress, "Auditing payments and posted invoices")
        findings = money_findings(book)
        summary += audit_summary(findings)
        stage(progress, "Building the receivables and accounting tabs")
        tabs = [*ledger_view_tabs(book, as_of, headers, lines, drafts_on_sheet(book), acc),
                *_unless_held(discrepancies_tab(findings, book, date.today(), MONEY_CODES), read.seals),
                *new_ledger(book, headers, lines)]
        write_run(path, book, "refresh", f"--as-of {as_of}", tabs, summary, f"open invoices {len(ar.open_items())}",
               progress=progress)
        return JobResult(True, summary=summary, data={"open_ar": str(open_ar(ar)),
                                                      "discrepancies": [f.as_dict() for f in findings]})

    return with_book(path, progress, work)

def validate(path: Path, progress: Progress | None = None) -> JobResult:
    """Read and check the whole workbook (read-only: it never writes the workbook)."""
    def work(read: Read) -> JobResult:
        c = read.row_counts
        summary = [f"{path.name} is valid: {c.get('Customers', 0):,} customers, {c.get('Contracts', 0):,} contracts, "
                   f"{c.get('Timesheets', 0):,} time entries, {c.get('Charges', 0):,} charges, "
                   f"{c.get('Payments', 0):,} payments."]
        unposted = _unpostable_drafts(read.book, progress)
        if unposted:
            summary.append("  post would refuse the drafts as they are (below): close again, or undo the edits.")
        warnings = changed_invoices(On(read.book)) + unposted
        return JobResult(True, summary=summary, warnings=warnings, data={"rows": read.row_counts})

    return with_book(path, progress, work, writes=False)

def _unpostable_drafts(book: Book, progress: Progress | None) -> list[Finding]:
    """Why post would refuse the drafts of the last close, as post finds it (it issues what a close makes
    from the inputs): an input changed since the close, or draft lines edited by hand on InvoiceLines."""
    drafted = _closes(book)
    if len(drafted) != 1:
        return []  # no drafts, or drafts of several closes (which post names itself)
    invoice_date, through = drafted.pop()
    a = _Ahead.of(book, invoice_date, through, progress)
    stage(progress, "Checking the drafts against a fresh close")
    fresh, _ = audited_close(book, invoice_date, through, a.billed, a.due(), INVOICE_RULES)
    if changed := _changed_since(book, fresh, invoice_date):
        return [changed]
    return edited_drafts(book, [ln for d in fresh.drafts for ln in draft_rows(d, through)[1]])

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
        return _Ahead.of(book, invoice_date, through, progress)

    def work(read: Read) -> JobResult:
        book = read.book
        a = read.early or ahead(book)
        headers, lines, billed = a.headers, a.lines, a.billed
        stage(progress, "Billing recurring fees, time, milestones and charges; auditing")
        result, findings = audited_close(book, invoice_date, through, billed, a.due())
        drafts = [draft_rows(d, result.through) for d in result.drafts]
        summary = close_summary(result, {c.customer_id: c.name for c in book.customers}) + audit_summary(findings)
        seats = reconcile(book, invoice_date)
        summary += seat_summary(seats)
        stage(progress, "Building the invoice, receivables, accounting and status tabs")
        tabs = [*ledger_view_tabs(book, invoice_date, headers, lines, drafts), *a.schedule_tabs(read.seals),
                contract_status_tab(book, invoice_date, headers, lines, a.schedule),
                *_audit_tabs(book, result, billed, findings, seats, read.seals), *new_ledger(book, headers, lines)]
        write_run(path, book, "close", f"--date {invoice_date} --through {result.through}", tabs, summary,
               f"drafts {len(result.drafts)}, total {result.total}", progress=progress)
        return JobResult(True, summary=summary, data={"drafts": len(result.drafts), "total": str(result.total),
                                                      "discrepancies": [f.as_dict() for f in findings]})

    return with_book(path, progress, work, ahead)

def _closes(book: Book) -> set[tuple[date, date]]:
    """The invoice date and usage cutoff of each close whose drafts are on InvoiceRegister."""
    return {(r.invoice_date, r.usage_through) for r in book.register if not r.invoice_number}

def _changed_since(book: Book, fresh: CloseResult, invoice_date: date) -> Finding | None:
    """The drafts on InvoiceRegister are not the ones a close makes from the inputs now (an input changed)."""
    reviewed = {r.draft_id or "": (r.total, r.lines) for r in book.register if not r.invoice_number}
    now = {d.draft_id: (d.total, len(d.lines)) for d in fresh.drafts}
    if reviewed == now:
        return None
    changed = sorted(k for k in reviewed.keys() | now.keys() if reviewed.get(k) != now.get(k))
    return not_posted("InvoiceRegister", f"the workbook changed since the close for {invoice_date}",
                      "different drafts: " + ", ".join(changed[:5]) + (" …" if len(changed) > 5 else ""),
                      "the drafts as reviewed: run close again and review them before posting")

def _refusal(where: str, message: str, found: str = "", expected: str = "") -> JobResult:
    return JobResult(False, [not_posted(where, message, found, expected)],
                     ["Nothing was posted:"])

def post_workbook(path: Path, posted_on: date | None = None, progress: Progress | None = None) -> JobResult:
    """Post every draft not on hold: gapless numbers, invoice numbers into the billed time and charges."""
    def ahead(book: Book) -> _Ahead | None:
        drafted = _closes(book)
        return _Ahead.of(book, *drafted.pop(), progress) if len(drafted) == 1 else None

    def work(read: Read) -> JobResult:
        book = read.book
        on_sheet = [r for r in book.register if not r.invoice_number]
        if not on_sheet:
            return JobResult(True, summary=["Nothing to post: there are no drafts. Run close first."])
        drafted = _closes(book)
        if len(drafted) > 1:
            return _refusal("InvoiceRegister", "the drafts come from different closes", f"{len(drafted)} invoice dates",
                            "one close: run close again")
        invoice_date, through = drafted.pop()
        a = read.early or _Ahead.of(book, invoice_date, through, progress)
        headers, lines, billed = a.headers, a.lines, a.billed
        stage(progress, "Checking the drafts against a fresh close")
        # the money already invoiced is checked once the new invoices are in the ledger (below)
        fresh, findings = audited_close(book, invoice_date, through, billed, a.due(), INVOICE_RULES)
        if changed := _changed_since(book, fresh, invoice_date):
            return JobResult(False, [changed], ["Nothing was posted:"])
        stage(progress, "Numbering and posting the invoices")
        result = post(book, fresh.drafts, through, posted_on or date.today())
        new_headers = [h for h, _ in result.invoices]
        new_lines = [ln for _, ls in result.invoices for ln in ls]
        held = [draft_rows(d, through) for d in result.held]
        all_headers, all_lines = sealed([*headers, *new_headers]), [*lines, *new_lines]
        made = {h.draft_id: ls for h, ls in result.invoices} | {h.draft_id: ls for h, ls in held}
        made_lines = [ln for d in fresh.drafts for ln in made[d.draft_id]]
        # InvoiceLines as the close wrote these very lines (sealed, and the seal's digest theirs): its drafts
        # are what post issues, and the sheet is not read; otherwise it is read (loaded meanwhile, or now
        # if it was sealed with other lines) and checked
        if read.seals.get(INVOICE_LINES.name) != draft_lines_digest(made_lines):
            whole = read.whole()
            if whole.book is None or whole.errors:
                return refused(whole, as_workbook(path))
            book = whole.book
            if edited := edited_drafts(book, made_lines):
                return JobResult(False, edited, [
                    f"Nothing was posted: {len(edited)} cell(s) of drafts on InvoiceLines differ from the close, "
                    "and post issues what the close made from the inputs. Undo the edits, or change the contract, "
                    "time entry or charge they come from and run close again:"])
        acc = accounts(book, invoice_date, all_headers, all_lines)
        # the lines, revenue and contract status tabs: made and written by a second process, where it pays
        with alongside(path, _posted_lines_tabs(book, invoice_date, all_headers, all_lines, held, acc, a.schedule),
                       len(all_lines)) as later:
            money = money_findings(acc.book, (h.invoice_number or "" for h in new_headers))  # the ledger as it is now
            findings += money
            seats = reconcile(book, invoice_date)
            tabs = [*receivable_tabs(all_headers, held, acc), *a.schedule_tabs(read.seals),
                    *_audit_tabs(book, fresh, billed_by(all_lines), findings, seats, read.seals),
                    ledger_invoices_tab(all_headers), later]
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
            del fresh, findings, result, acc, held, money  # the tabs hold what the write needs: the rest goes first
            write_run(path, book, "post", f"--date {invoice_date}", tabs, summary,
                      f"posted {len(new_headers)}, total {total}", edits, progress)
            return JobResult(True, summary=summary, data={"posted": [h.invoice_number for h in new_headers],
                                                          "total": str(total)})

    return with_book(path, progress, work, ahead, later=("InvoiceLines",))

def _posted_lines_tabs(book: Book, as_of: date, headers: list[RegisterRow], lines: list[InvoiceLineRow],
                       held: list[tuple[RegisterRow, list[InvoiceLineRow]]], acc: Accounts, schedule: Periods
                       ) -> Later:
    """InvoiceLines, GLJournal, RevenueSchedule, DeferredRevenue, ContractStatus and the ledger's lines of
    a book just posted, made as they are written."""
    def make() -> list[Tab]:
        # on a copy of the accounts: the revenue schedule and journal it works out go once their tabs are made
        return [*line_tabs(lines, held, replace(acc), as_of),
                contract_status_tab(book, as_of, headers, lines, schedule), ledger_lines_tab(lines)]

    return Later((INVOICE_LINES.name, "GLJournal", "RevenueSchedule", "DeferredRevenue", "ContractStatus",
                  LEDGER_LINES), make, frozenset({LEDGER_LINES}))

def _billed_cells(book: Book, lines: list[InvoiceLineRow]) -> list[CellEdit]:
    """The invoice number into each billed time entry and charge (the only input cells the tool writes)."""
    charges = {ln.source_id: number(ln) for ln in lines if ln.source_type == "charge"}
    table = book.time_entries
    at = table.positions.get
    where: list[int] = []  # each billed entry's position in the Timesheets, with its line's invoice number
    numbers: list[str] = []
    for ln in lines:
        if ln.entry_ids:
            n = number(ln)
            for e in ln.entry_ids.split():
                if (k := at(e)) is not None:
                    where.append(k)
                    numbers.append(n)
    rows: dict[str, dict[int, EditValue]] = {  # each entry's Excel row, looked up at once
        "Timesheets": dict(zip(table.rows[where].tolist(), numbers)),
        "Charges": {r.row: charges[r.charge_id] for r in book.charges if r.charge_id in charges}}
    return [CellEdit(sheet, book.columns.get(sheet, {}).get("invoice_number"), "Invoice Number", values)
            for sheet, values in rows.items() if values]
