"""The GL journal (spec section 3, Accounting): posted invoices, monthly revenue recognition out of
deferred revenue, credit memos, write-offs and payments. Every journal balances to the cent."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from .models import InvoiceLineRow, Settings
from .money import ZERO, round_cents
from .periods import month_end
from .receivables import Receivables
from .revenue import Recognition, month_of
from .tabs import DATE, MONEY, TEXT, Column, Tab


class Entry(NamedTuple):
    """One journal line. Journal IDs: an invoice's or credit memo's own number, REV-<month> for a month's
    revenue recognition, WO-<adjustment ID> for a write-off, PAY-<payment ID> for a payment,
    DISC-<invoice number> for an early-payment discount taken (and DEF-<invoice number>, see deferrals)."""
    journal_id: str
    date: date
    account: str
    debit: Decimal
    credit: Decimal
    customer_id: str | None
    invoice_number: str | None
    memo: str


def in_order(entries: list[Entry]) -> list[Entry]:
    """Journal lines as the GLJournal tab lists them: by date and journal, debits before credits."""
    return sorted(entries, key=lambda e: (e.date, e.journal_id, e.credit > 0, e.account))


def _pair(journal_id: str, day: date, debits: dict[str, Decimal], credits: dict[str, Decimal],
          customer: str | None, invoice: str | None, memo: str) -> list[Entry]:
    out = [Entry(journal_id, day, a, v, ZERO, customer, invoice, memo) for a, v in debits.items() if v]
    out += [Entry(journal_id, day, a, ZERO, v, customer, invoice, memo) for a, v in credits.items() if v]
    return out


def _earned(ar: Receivables, schedule: list[Recognition], revenue_of) -> tuple[
        dict[tuple[str, int], Decimal], dict[date, dict[str, Decimal]]]:
    """Revenue recognised by each invoice line's own month, and what later months recognise per account."""
    earned: dict[tuple[str, int], Decimal] = defaultdict(lambda: ZERO)
    later: dict[date, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    billed_in = {n: month_of(inv.header.invoice_date) for n, inv in ar.invoices.items()}
    last = month_of(ar.as_of)
    for r in schedule:
        month = billed_in.get(r.invoice_number)
        if month is None:
            continue
        if r.month <= month:
            earned[(r.invoice_number, r.line_no)] += r.amount
        elif r.month <= last:
            later[r.month][revenue_of(r.account)] += r.amount
    return earned, later


def deferrals(settings: Settings, ar: Receivables, lines: dict[str, list[InvoiceLineRow]],
              schedule: list[Recognition]) -> list[Entry]:
    """For an accounting system that books each invoice line to its revenue account itself (QuickBooks
    invoices): DEF-<invoice> moves the part not yet earned in the invoice's month to deferred revenue, so
    that its books end as the invoice journal here would leave them."""
    s = settings
    revenue_of = lambda account: account or s.gl_revenue  # noqa: E731 - a line's account, else the default
    earned, _ = _earned(ar, schedule, revenue_of)
    out: list[Entry] = []
    for number, item in ar.invoices.items():
        debits: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for ln in lines.get(number, ()):
            debits[revenue_of(ln.revenue_account)] += ln.amount - earned[(number, ln.line_no)]
        total = sum(debits.values(), ZERO)
        if total:
            h = item.header
            out += _pair(f"DEF-{number}", h.invoice_date, dict(debits), {s.gl_deferred_revenue: total},
                         h.customer_id, number, f"Deferred revenue on invoice {number}")
    return in_order(out)


def journal(settings: Settings, ar: Receivables, lines: dict[str, list[InvoiceLineRow]],
            schedule: list[Recognition]) -> list[Entry]:
    s = settings
    revenue_of = lambda account: account or s.gl_revenue  # noqa: E731 - a line's account, else the default
    earned, later = _earned(ar, schedule, revenue_of)
    out: list[Entry] = []
    for number, item in ar.invoices.items():
        h = item.header
        credits: dict[str, Decimal] = defaultdict(lambda: ZERO)
        credits[s.gl_sales_tax_payable] += h.tax
        for ln in lines.get(number, ()):
            now = earned[(number, ln.line_no)]
            credits[revenue_of(ln.revenue_account)] += now
            credits[s.gl_deferred_revenue] += ln.amount - now
        out += _pair(number, h.invoice_date, {s.gl_accounts_receivable: h.total}, credits, h.customer_id,
                     number, f"Invoice {number}")
    for month in sorted(later):
        by_account = later[month]
        total = sum(by_account.values(), ZERO)
        out += _pair(f"REV-{month:%Y-%m}", month_end(month), {s.gl_deferred_revenue: total}, dict(by_account), None,
                     None, f"Revenue recognised in {month:%B %Y} out of deferred revenue")
    for memo in ar.credit_memos:
        a = memo.adjustment
        h = ar.invoices[a.invoice_number].header
        tax = round_cents(a.amount * h.tax / h.total) if h.total else ZERO
        out += _pair(memo.number, a.date, {s.gl_revenue: a.amount - tax, s.gl_sales_tax_payable: tax},
                     {s.gl_accounts_receivable: a.amount}, h.customer_id, a.invoice_number,
                     f"Credit memo {memo.number}: {a.reason}")
    for a, amount in ar.write_offs:
        h = ar.invoices[a.invoice_number].header
        out += _pair(f"WO-{a.adjustment_id}", a.date, {s.gl_bad_debt: amount}, {s.gl_accounts_receivable: amount},
                     h.customer_id, a.invoice_number, f"Write-off: {a.reason}")
    for item, day in ar.discounts:
        h = item.header
        out += _pair(f"DISC-{h.invoice_number}", day, {s.gl_sales_discounts: item.discount},
                     {s.gl_accounts_receivable: item.discount}, h.customer_id, h.invoice_number,
                     f"Early-payment discount taken on {h.invoice_number}")
    applied: dict[str, str] = {}
    for app in ar.applications:
        applied.setdefault(app.payment.payment_id, app.invoice_number)
    for p in ar.payments:
        out += _pair(f"PAY-{p.payment_id}", p.date, {s.gl_cash: p.amount}, {s.gl_accounts_receivable: p.amount},
                     p.customer_id, applied.get(p.payment_id),
                     f"Payment {p.payment_id}" + (f" ({p.reference})" if p.reference else ""))
    return in_order(out)


def journal_tab(entries: list[Entry]) -> Tab:
    columns = (Column("Journal ID", TEXT, 18), Column("Date", DATE, 11), Column("Account", TEXT, 10),
               Column("Debit", MONEY, 13), Column("Credit", MONEY, 13), Column("Customer ID", TEXT, 12),
               Column("Invoice Number", TEXT, 15), Column("Memo", TEXT, 50))
    rows = [(e.journal_id, e.date, e.account, e.debit or None, e.credit or None, e.customer_id, e.invoice_number,
             e.memo)
            for e in entries]
    return Tab("GLJournal", columns, rows, tab_color="FF375623")
