"""Revenue recognition (spec section 3, Accounting): when each posted line's revenue is earned.

Recurring lines are recognised evenly by day over their covered period, month by month, the last
month taking the rounding remainder so a line's schedule sums exactly to its amount. Time and
overage follow the dates of their entries; charges and milestones fall in the month of their date.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from functools import lru_cache, partial
from typing import NamedTuple
from collections.abc import Iterable

import numpy as np

from .models import Book, InvoiceLineRow, RegisterRow, number
from .money import ZERO, round_cents
from .periods import add_months, month_end


class Recognition(NamedTuple):
    invoice_number: str
    line_no: int
    month: date  # the first day of the month
    amount: Decimal
    account: str | None  # the line's revenue account (None: the default)


@lru_cache(maxsize=1 << 12)  # hundreds of thousands of lines fall on a few hundred days
def month_of(d: date) -> date:
    return d.replace(day=1)


@lru_cache(maxsize=1 << 10)
def month_label(month: date) -> str:
    """A month as the tabs name it: 2026-11."""
    return f"{month:%Y-%m}"


def _spread(total: Decimal, weights: list[tuple[date, Decimal]]) -> list[tuple[date, Decimal]]:
    """Split an amount by weights (one month at least), rounding each month but the last, which takes the
    remainder."""
    whole = sum((w for _, w in weights), ZERO)
    if not whole:
        return [(weights[0][0], total)]
    out: list[tuple[date, Decimal]] = []
    given = ZERO
    for month, weight in weights[:-1]:
        part = round_cents(total * weight / whole)
        out.append((month, part))
        given += part
    out.append((weights[-1][0], total - given))
    return out


@lru_cache(maxsize=1 << 14)  # lines share their periods: each span is laid out once
def _by_day(start: date, end: date) -> tuple[tuple[date, Decimal], ...]:
    weights, month = [], month_of(start)
    while month <= end:
        first, last = max(start, month), min(end, month_end(month))
        weights.append((month, Decimal((last - first).days + 1)))
        month = add_months(month, 1)
    return tuple(weights)


@lru_cache(maxsize=1 << 16)  # lines of one price and period grid (a contract's lines, like contracts) repeat
def _by_day_spread(amount: Decimal, start: date, end: date) -> tuple[tuple[date, Decimal], ...]:
    """A recurring amount over the months of [start, end], by the days in each."""
    return tuple(_spread(amount, list(_by_day(start, end)) or [(month_of(start), Decimal(1))]))


def line_schedule(line: InvoiceLineRow, hours_by_month: list[tuple[date, Decimal]]) -> tuple[tuple[date, Decimal], ...]:
    """A line's revenue by month. `hours_by_month`: for time and overage, its entries' hours per month."""
    start, end = line.service_start, line.service_end
    if line.source_type == "recurring":
        if start.month == end.month and start.year == end.year:  # a period within a month: that month
            return ((month_of(start), line.amount),)
        return _by_day_spread(line.amount, start, end)
    if line.source_type in ("time", "overage") and hours_by_month:
        return tuple(_spread(line.amount, hours_by_month))
    return ((month_of(start), line.amount),)


def _entry_hours_by_month(book: Book, lines: list[InvoiceLineRow]) -> dict[int, list[tuple[date, Decimal]]]:
    """For each time or overage line (by position in `lines`), its entries' hours per month, in month
    order, summed exactly from the Timesheets columns."""
    timed = [(k, ln.entry_ids) for k, ln in enumerate(lines) if ln.source_type in ("time", "overage") and ln.entry_ids]
    if not timed:
        return {}
    table = book.time_entries
    at = table.positions
    ids = [e.split() for _, e in timed]
    found = np.array([at.get(e, -1) for each in ids for e in each], dtype=np.int64)  # -1: not in the Timesheets
    owners = np.repeat(np.array([k for k, _ in timed], dtype=np.int64), [len(each) for each in ids])
    known = found >= 0
    where_np, owner = found[known], owners[known]
    if not len(where_np):
        return {}
    month = table.month[where_np]
    first = int(month.min())
    span = int(month.max()) - first + 1
    groups, compact = np.unique(owner * span + (month - first), return_inverse=True)
    hours = table.hours_by(compact.reshape(-1), where_np, len(groups))
    out: dict[int, list[tuple[date, Decimal]]] = defaultdict(list)
    for key, h in zip(groups.tolist(), hours):  # keys ascend: by line, then by month
        k, m = divmod(key, span)
        out[k].append((date((first + m) // 12, (first + m) % 12 + 1, 1), h))
    return out


def recognitions(book: Book, lines: Iterable[InvoiceLineRow]) -> list[Recognition]:
    lines = list(lines)
    by_month = _entry_hours_by_month(book, lines).get
    out: list[Recognition] = []
    add = out.append
    for k, ln in enumerate(lines):
        for month, amount in line_schedule(ln, by_month(k, [])):
            if amount:
                add(_recognition((number(ln), ln.line_no, month, amount, ln.revenue_account)))
    return out


_recognition = partial(tuple.__new__, Recognition)  # from its fields in order, made in C


class DeferredMonth(NamedTuple):
    month: date
    opening: Decimal
    deferred: Decimal
    recognized: Decimal
    closing: Decimal


def deferred_rollforward(headers: Iterable[RegisterRow], schedule: list[Recognition],
                         through: date) -> list[DeferredMonth]:
    """Per month: what invoices of the month deferred to later months, and what earlier deferrals earned."""
    invoice_month = {h.invoice_number: month_of(h.invoice_date) for h in headers}
    deferred: dict[date, Decimal] = defaultdict(lambda: ZERO)
    recognized: dict[date, Decimal] = defaultdict(lambda: ZERO)
    for r in schedule:
        billed_in = invoice_month[r.invoice_number]
        if r.month > billed_in:
            deferred[billed_in] += r.amount
            recognized[r.month] += r.amount
    if not invoice_month:
        return []
    month, last, opening, out = min(invoice_month.values()), month_of(through), ZERO, []
    while month <= last:
        closing = opening + deferred[month] - recognized[month]
        out.append(DeferredMonth(month, opening, deferred[month], recognized[month], closing))
        opening, month = closing, add_months(month, 1)
    return out


