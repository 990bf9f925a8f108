"""A book's accounts as of a date: its posted ledger, receivables, revenue schedule and journal, and
the tabs that show them (InvoiceRegister, InvoiceLines, aging, collections, journal, revenue, KPIs)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property

from .memos import credit_memo_rows, credit_memos_tab
from .aging import aging_tab, collections_tab, detail_tab
from .journal import journal, journal_tab
from .kpis import deferred_tab, kpi_tab, revenue_schedule_tab
from .ledger import has_ledger, ledger_tabs, with_posted
from .models import Book, InvoiceLineRow, RegisterRow, number
from .posting import posted
from .receivables import Receivables, apply_receivables
from .register import lines_tab, register_tab
from .revenue import deferred_rollforward, recognitions
from .tabs import Tab


def ledger(book: Book) -> tuple[list[RegisterRow], list[InvoiceLineRow]]:
    """Posted invoices (number order) and their lines (invoice, then line order)."""
    headers, lines = posted(book)
    return headers, [ln for h in headers for ln in sorted(lines.get(number(h), ()), key=lambda ln: ln.line_no)]

def settled(header: RegisterRow, ar: Receivables) -> RegisterRow:
    item = ar.invoices.get(number(header))
    if item is None:
        return header
    return header._replace(paid=item.paid, credited=item.credited, written_off=item.written_off,
                           discount=item.discount,
                           balance=item.balance, status=item.status)

@dataclass
class Accounts:
    """Receivables, revenue schedule and journal of a book's posted invoices as of a date (the schedule and
    the journal worked out when first asked for)."""

    book: Book
    ar: Receivables
    by_invoice: dict[str, list[InvoiceLineRow]]
    lines: list[InvoiceLineRow]

    @cached_property
    def schedule(self) -> list:
        return recognitions(self.book, [ln for ln in self.lines if ln.invoice_number in self.ar.invoices])

    @cached_property
    def entries(self) -> list:
        return journal(self.book.settings, self.ar, self.by_invoice, self.schedule)

def accounts(book: Book, as_of: date, headers: list[RegisterRow], lines: list[InvoiceLineRow]) -> Accounts:
    current = with_posted(book, headers, lines)
    return Accounts(current, apply_receivables(current, as_of), lines_by_invoice(lines), lines)

def lines_by_invoice(lines: list[InvoiceLineRow]) -> dict[str, list[InvoiceLineRow]]:
    """Posted lines grouped by their invoice, in the order given."""
    by_invoice: dict[str, list[InvoiceLineRow]] = {}
    for ln in lines:
        by_invoice.setdefault(ln.invoice_number or "", []).append(ln)
    return by_invoice

def receivables(book: Book, as_of: date) -> tuple[Book, Receivables]:
    """The book with only its posted invoices in InvoiceRegister, and their receivables as of a date."""
    current = with_posted(book, *ledger(book))
    return current, apply_receivables(current, as_of)

def new_ledger(book: Book, headers: list[RegisterRow], lines: list[InvoiceLineRow]) -> list[Tab]:
    """The ledger's sheets for a book posted before the ledger existed (its first write takes them in)."""
    return [] if has_ledger(book) else ledger_tabs(headers, lines)

def ledger_view_tabs(book: Book, as_of: date, headers: list[RegisterRow], lines: list[InvoiceLineRow],
                 drafts: list[tuple[RegisterRow, list[InvoiceLineRow]]], acc: Accounts | None = None) -> list[Tab]:
    """InvoiceRegister and InvoiceLines, and everything receivables and accounting derive from them
    (`acc`: those accounts, when the caller has worked them out already)."""
    acc = acc or accounts(book, as_of, headers, lines)
    register, aging, detail, collections, kpis, memos = receivable_tabs(headers, drafts, acc)
    view, journal_, revenue, deferred = line_tabs(lines, drafts, acc, as_of)
    return [register, view, aging, detail, collections, journal_, revenue, deferred, kpis, memos]

def receivable_tabs(headers: list[RegisterRow], drafts: list[tuple[RegisterRow, list[InvoiceLineRow]]],
                    acc: Accounts) -> list[Tab]:
    """InvoiceRegister (posted invoices as settled, then the drafts), ARAging, ARDetail, Collections, KPIs
    and CreditMemos."""
    current, ar = acc.book, acc.ar
    return [register_tab([*(settled(h, ar) for h in headers), *(h for h, _ in drafts)]),
            aging_tab(current, ar), detail_tab(current, ar), collections_tab(current, ar),
            kpi_tab(current, ar, acc.by_invoice), credit_memos_tab(credit_memo_rows(current, ar))]

def line_tabs(lines: list[InvoiceLineRow], drafts: list[tuple[RegisterRow, list[InvoiceLineRow]]], acc: Accounts,
              as_of: date) -> list[Tab]:
    """InvoiceLines (posted lines, then the drafts'), GLJournal, RevenueSchedule and DeferredRevenue."""
    invoices = [i.header for i in acc.ar.invoices.values()]
    return [lines_tab([*lines, *(ln for _, dl in drafts for ln in dl)]), journal_tab(acc.entries),
            revenue_schedule_tab(acc.schedule), deferred_tab(deferred_rollforward(invoices, acc.schedule, as_of))]

def drafts_on_sheet(book: Book) -> list[tuple[RegisterRow, list[InvoiceLineRow]]]:
    lines: dict[str, list[InvoiceLineRow]] = {}
    for ln in book.invoice_lines:
        if not ln.invoice_number:
            lines.setdefault(ln.draft_id or "", []).append(ln)
    return [(r, lines.get(r.draft_id or "", [])) for r in book.register if not r.invoice_number]
