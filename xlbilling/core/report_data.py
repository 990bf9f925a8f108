"""The manager report's content: which sheets, tables and charts, and their figures as tabs (io/report lays
them out and draws the charts)."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

from .accounts import Accounts
from .aging import aging_tab
from .kpis import deferred_tab, kpi_tab
from .models import Book, InvoiceLineRow
from .money import ZERO
from .periods import add_months
from .receivables import Receivables
from .rules import REGISTRY
from .revenue import Recognition, deferred_rollforward, month_label, month_of
from .seats import mismatches_tab, reconcile, seats_summary_tab
from .tabs import DATE, INT, MONEY, PCT, TEXT, Column, Tab



class Chart(NamedTuple):
    kind: str  # column, bar, line, pie
    title: str
    values: tuple[int, ...]  # the table columns that are series
    category: int = 0
    subtype: str | None = None  # "stacked"
    y_title: str | None = None
    rows: int | None = None  # only the table's first rows (a summing "others" row would dwarf the rest)


class Block(NamedTuple):
    heading: str
    tab: Tab
    chart: Chart | None = None
    totals: bool = False  # a Total row under the table (sums of its money and count columns)


class Sheet(NamedTuple):
    name: str
    title: str
    blocks: tuple[Block, ...]

def billed_vs_recognised(ar: Receivables, schedule: list[Recognition], months: int = 12) -> Tab:
    last = month_of(ar.as_of)
    first = add_months(last, -(months - 1))
    billed: dict[date, Decimal] = defaultdict(lambda: ZERO)
    for item in ar.invoices.values():
        billed[month_of(item.header.invoice_date)] += item.header.subtotal
    recognised: dict[date, Decimal] = defaultdict(lambda: ZERO)
    for r in schedule:
        recognised[r.month] += r.amount
    rows, month = [], first
    while month <= last:
        rows.append((month_label(month), billed[month], recognised[month]))
        month = add_months(month, 1)
    return Tab("Revenue", (Column("Month", TEXT, 10), Column("Billed (before tax)", MONEY, 18),
                           Column("Recognised", MONEY, 16)), rows)


def billings_by_type(book: Book, lines: list[InvoiceLineRow], since: date) -> Tab:
    kinds = {c.contract_id: (c.type or "other") for c in book.contracts}
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for ln in lines:
        if ln.invoice_number and ln.service_start >= since:
            totals[kinds.get(ln.contract_id, "resale and other") if ln.contract_id else "resale and other"] += ln.amount
    rows = sorted(((k.replace("_", " ").capitalize(), v) for k, v in totals.items()), key=lambda r: -r[1])
    return Tab("Billings by type", (Column("Contract Type", TEXT, 22), Column("Billed (before tax)", MONEY, 18)), rows)


def top_customers(book: Book, ar: Receivables, since: date, top: int = 10) -> Tab:
    names = {c.customer_id: c.name for c in book.customers}
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for item in ar.invoices.values():
        if item.header.invoice_date >= since:
            totals[item.header.customer_id] += item.header.total
    rows = sorted(((names.get(c, c), v) for c, v in totals.items()), key=lambda r: (-r[1], r[0]))[:top]
    return Tab("Top customers", (Column("Customer", TEXT, 30), Column("Billed", MONEY, 16)), rows)


def discrepancy_summary(book: Book) -> Tab:
    counts: dict[tuple[str, str], list] = defaultdict(lambda: [0, ZERO])
    for d in book.discrepancies:
        if d.status == "open":
            row = counts[(d.severity, d.code)]
            row[0] += 1
            row[1] += d.amount or ZERO
    rank = {"error": 0, "warning": 1, "info": 2}
    rows = [(sev, code, n, amount) for (sev, code), (n, amount) in
            sorted(counts.items(), key=lambda kv: (rank.get(kv[0][0], 3), -kv[1][0], kv[0][1]))]
    return Tab("Discrepancies", (Column("Severity", TEXT, 10), Column("What", TEXT, 60), Column("Open", INT, 8),
                                 Column("Amount At Stake", MONEY, 16), Column("Code", TEXT, 24)),
               [(sev, plain_words(code), n, amount, code) for sev, code, n, amount in rows])


def plain_words(code: str) -> str:
    """What a finding code means, in the words of its rule (the first clause), for managers."""
    rule = REGISTRY.get(code)
    if rule is None:
        return code.replace("_", " ").capitalize()
    text = re.split(r";| \(", rule.what, maxsplit=1)[0]
    text = re.sub(r"\bD\b", "the invoice date", re.sub(r"\bT\b", "the usage cutoff", text))
    return text[:1].upper() + text[1:]


def with_customer_names(book: Book, tab: Tab) -> Tab:
    """A tab whose first column is the customer ID, with the customer's name beside it."""
    names = {c.customer_id: c.name for c in book.customers}
    return Tab(tab.name, (tab.columns[0], Column("Customer", TEXT, 30), *tab.columns[1:]),
               [(r[0], names.get(r[0]), *r[1:]) for r in tab.rows])


def largest_balances(aging: Tab, top: int = 12) -> Tab:
    """The customers with the largest open balances, the rest as one row (for a chart every label of which
    can be read): name, the aging buckets and the total."""
    titles = [c.title for c in aging.columns]
    total_at = titles.index("Total")
    buckets = range(2, titles.index("Unapplied"))
    rows = sorted((r for r in aging.rows if r[total_at] and r[total_at] > 0), key=lambda r: (-r[total_at], r[0]))
    shown = [(r[1] or r[0], *(r[k] for k in buckets), r[total_at]) for r in rows[:top]]
    rest = rows[top:]
    if rest:
        shown.append((f"All {len(rest)} others", *(sum((r[k] for r in rest), ZERO) for k in buckets),
                      sum((r[total_at] for r in rest), ZERO)))
    return Tab("Largest balances", (Column("Customer", TEXT, 30), *(aging.columns[k] for k in buckets),
                                    Column("Total", MONEY, 13)), shown)


def renewals(book: Book, as_of: date, days: int = 90) -> Tab:
    names = {c.customer_id: c.name for c in book.customers}
    rows = sorted((c.end_date, c.contract_id, names.get(c.customer_id, c.customer_id), c.name,
                   (c.end_date - as_of).days)
                   for c in book.contracts if c.end_date and as_of <= c.end_date <= as_of + timedelta(days=days))
    return Tab("Renewals", (Column("Ends On", DATE, 12), Column("Contract ID", TEXT, 12), Column("Customer", TEXT, 30),
                            Column("Contract", TEXT, 30), Column("Days Left", INT, 10)), rows)


TREND = ("Month", "Invoices Posted", "Amount Billed", "Cash Collected", "Open AR At Month End", "DSO",
         "Billing Accuracy")  # the KPIs a manager follows month by month (the KPIs tab has them all)


def measures(kpis: Tab, month: str) -> Tab:
    """A month's KPIs one per row, as their cells show them."""
    row = next((r for r in kpis.rows if r[0] == month), None)
    shown = []
    for k, column in enumerate(kpis.columns[1:], start=1):
        v = row[k] if row else None
        text = ("" if v is None else f"{v * 100:.1f}%" if column.kind == PCT else f"{v:,}" if column.kind == INT
                else f"{v:,.2f}")
        shown.append((column.title, text))
    return Tab("This month", (Column("Measure", TEXT, 30), Column("Value", TEXT, 16, right=True)), shown)


def manager_report(acc: Accounts, lines: list[InvoiceLineRow], as_of: date, wip: Tab) -> list[Sheet]:
    """The report's sheets: KPIs, AR aging, revenue, billings, deferred revenue, discrepancies, unbilled
    work (`wip`, worked out by the audit), renewals, and the seat reconciliation when vendors' counts or
    vendor SKUs are kept."""
    book = acc.book
    since = add_months(month_of(as_of), -11)
    kpis = kpi_tab(acc.book, acc.ar, acc.by_invoice)
    titles = [c.title for c in kpis.columns]
    keep = [titles.index(t) for t in TREND]
    trend = Tab("Trend", tuple(kpis.columns[k] for k in keep),
                [tuple(r[k] for k in keep) for r in kpis.rows if r[0] >= month_label(since)])
    this_month = measures(kpis, month_label(month_of(as_of)))
    titles = list(TREND)
    aging = aging_tab(acc.book, acc.ar)
    largest = largest_balances(aging)
    invoices = [i.header for i in acc.ar.invoices.values()]
    sheets = [
        Sheet("Summary", "Billing summary", (
            Block(f"{as_of:%B %Y}", this_month),
            Block("Last 12 months", trend, Chart("line", "Billed and collected", (
                titles.index("Amount Billed"), titles.index("Cash Collected")), y_title=book.settings.currency)))),
        Sheet("AR Aging", "Receivables aging by customer", (
            Block("Largest open balances by days past due", largest, Chart(
                "bar", "AR aging, largest balances", tuple(range(1, len(largest.columns) - 1)), subtype="stacked",
                rows=len(largest.rows) - 1 if largest.rows and largest.rows[-1][0].startswith("All ") else None)),
            Block("Open balance by customer and days past due", aging, totals=True))),
        Sheet("Revenue", "Revenue billed and recognised", (
            Block("By month", billed_vs_recognised(acc.ar, acc.schedule),
                  Chart("column", "Billed vs recognised", (1, 2), y_title=book.settings.currency)),)),
        Sheet("Billings", "Billings in the last 12 months", (
            Block("By contract type", billings_by_type(book, lines, since), Chart("pie", "By contract type", (1,)),
                  totals=True),
            Block("Top 10 customers", top_customers(book, acc.ar, since),
                  Chart("bar", "Top 10 customers", (1,))))),
        Sheet("Deferred Revenue", "Deferred revenue rollforward", (
            Block("By month", deferred_tab(deferred_rollforward(invoices, acc.schedule, as_of))),)),
        Sheet("Discrepancies", "Open discrepancies", (Block("By kind", discrepancy_summary(book), totals=True),)),
        Sheet("Unbilled WIP", "Unbilled work in progress", (
            Block("Approved time not yet invoiced, by age", with_customer_names(book, wip), totals=True),)),
        Sheet("Renewals", "Renewals due", (Block("Contracts ending in the next 90 days", renewals(book, as_of)),)),
    ]
    seats = reconcile(book, as_of)
    if seats:
        mismatches = mismatches_tab(book, seats)
        sheets.append(Sheet("Seats", f"Seat reconciliation on {as_of}: what vendors count against what we bill", (
            Block("Summary", seats_summary_tab(seats)),
            Block("Mismatches, the most at stake first", mismatches,
                  Chart("bar", "Monthly amount at stake", (6,)) if mismatches.rows else None, totals=True))))
    return sheets
