"""Monthly KPIs a billing team and its controller watch, and the revenue tabs."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from .models import Book, InvoiceLineRow
from .money import ZERO, round_to
from .periods import add_months, month_end
from .receivables import Receivables, open_ar_at
from .revenue import DeferredMonth, Recognition, month_label, month_of
from .tabs import INT, MONEY, NUMBER, PCT, TEXT, Column, Tab


TENTH = Decimal("0.1")


def _mean(values: list[int]) -> Decimal | None:
    return round_to(Decimal(sum(values)) / len(values), TENTH) if values else None


def kpi_tab(book: Book, ar: Receivables, lines: dict[str, list[InvoiceLineRow]]) -> Tab:
    headers = [i.header for i in ar.invoices.values()]
    if not headers:
        return Tab("KPIs", _KPI_COLUMNS, [])
    credited = {m.adjustment.invoice_number for m in ar.credit_memos}
    by_month: dict[date, list] = defaultdict(list)
    for h in headers:
        by_month[month_of(h.invoice_date)].append(h)
    adjustments: dict[date, list] = defaultdict(list)
    for a in book.adjustments:
        if a.date <= ar.as_of:
            adjustments[month_of(a.date)].append(a)
    cash: dict[date, Decimal] = defaultdict(lambda: ZERO)
    for p in ar.payments:
        cash[month_of(p.date)] += p.amount
    discounts: dict[date, Decimal] = defaultdict(lambda: ZERO)
    for item, day in ar.discounts:
        discounts[month_of(day)] += item.discount
    months, last = [min(by_month)], month_of(ar.as_of)
    while months[-1] < last:
        months.append(add_months(months[-1], 1))
    ends = [min(month_end(m), ar.as_of) for m in months]
    rows = []
    for month, end, ar_end in zip(months, ends, open_ar_at(book, ends)):
        invoices = by_month.get(month, [])
        billed = sum((h.total for h in invoices), ZERO)
        accurate = [h for h in invoices if h.invoice_number not in credited]
        lag = [(h.invoice_date - ln.service_end).days for h in invoices for ln in lines.get(h.invoice_number, ())
               if ln.service_end <= h.invoice_date]
        cycle = [(h.posted_on - h.invoice_date).days for h in invoices if h.posted_on]
        to_send = [(date.fromisoformat(h.sent_at[:10]) - h.invoice_date).days for h in invoices if h.sent_at]
        dso = round_to(ar_end / billed * ((end - month).days + 1), TENTH) if billed else None
        adj = adjustments.get(month, [])
        rows.append((month_label(month), len(invoices), billed,
                     round_to(Decimal(len(accurate)) / len(invoices), Decimal("0.0001")) if invoices else None,
                     _mean(lag), _mean(cycle), _mean(to_send), len(adj), sum((a.amount for a in adj), ZERO), ar_end,
                     dso, cash[month],
                     discounts[month]))
    return Tab("KPIs", _KPI_COLUMNS, rows, tab_color="FF305496")


_KPI_COLUMNS = (
    Column("Month", TEXT, 9), Column("Invoices Posted", INT, 10), Column("Amount Billed", MONEY, 14),
    Column("Billing Accuracy", PCT, 10), Column("Days Service End To Invoice", NUMBER, 12),
    Column("Days Draft To Post", NUMBER, 10), Column("Days To Send", NUMBER, 10), Column("Adjustments", INT, 10),
    Column("Adjustment Amount", MONEY, 13),
    Column("Open AR At Month End", MONEY, 15), Column("DSO", NUMBER, 8), Column("Cash Collected", MONEY, 14),
    Column("Discounts Taken", MONEY, 13),
)


def revenue_schedule_tab(schedule: list[Recognition]) -> Tab:
    columns = (Column("Invoice Number", TEXT, 15), Column("Line No", INT, 8), Column("Month", TEXT, 9),
               Column("Amount", MONEY, 12), Column("Revenue Account", TEXT, 12))
    rows = [(r.invoice_number, r.line_no, month_label(r.month), r.amount, r.account) for r in schedule]
    return Tab("RevenueSchedule", columns, rows)


def deferred_tab(months: list[DeferredMonth]) -> Tab:
    columns = (Column("Month", TEXT, 9), Column("Opening", MONEY, 14), Column("Deferred", MONEY, 14),
               Column("Recognized", MONEY, 14), Column("Closing", MONEY, 14))
    rows = [(month_label(m.month), m.opening, m.deferred, m.recognized, m.closing) for m in months]
    return Tab("DeferredRevenue", columns, rows)
