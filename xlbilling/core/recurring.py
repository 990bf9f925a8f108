"""Recurring billing as arrays: every active contract line's periods through a horizon, expanded at once.

The same rules as the per-line code in due.recurring_items (which stays the readable reference and the
test oracle): calendar-month periods on the contract's grid, the line's window within the contract's,
Billed Through, what posted invoices hold, escalation by whole contract years, daily proration of a
partly covered period. Amounts are integer cents; a price is worked out once per line and contract
year, a prorated amount once per partly covered period, both with the spec's rounding (periods.py).
Only what a close bills becomes an Item; the months ahead stay arrays for the BillingSchedule.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import lru_cache, partial
from itertools import repeat
from typing import NamedTuple

import numpy as np

from .due import RECURRING_KEY, line_window, recurring_key_parts
from .items import Billed, Item
from .models import Book, Contract, ContractLine
from .money import round_cents
from .periods import MONTHS, escalated, prorate

_EPOCH = date(1970, 1, 1).toordinal()
_NO_END = date.max.toordinal()


class Periods(NamedTuple):
    """Periods of contract lines, one per element: which line (index into `lines`), the covered days
    [start, end] as ordinals, the contract year that prices it (0 for a line without escalation), the
    amount in cents, and the first day it can be billed."""

    lines: list[tuple[Contract, ContractLine]]
    line: np.ndarray
    start: np.ndarray
    end: np.ndarray
    year: np.ndarray
    cents: np.ndarray
    bill_on: np.ndarray

    def take(self, mask: np.ndarray) -> Periods:
        return Periods(self.lines, *(a[mask] for a in self[1:]))

    def __len__(self) -> int:
        return len(self.line)


def _month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


def _firsts_of(months: np.ndarray) -> np.ndarray:
    """Ordinals of the first day of each month (a month index: year × 12 + month − 1)."""
    return (months - 1970 * 12).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) + _EPOCH


def month_indexes(ordinals: np.ndarray) -> np.ndarray:
    """The month index (year × 12 + month − 1) of each day (an ordinal)."""
    return (ordinals - _EPOCH).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) + 1970 * 12


def _year_month_day(ordinals: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    month = month_indexes(ordinals)
    return month // 12, month % 12 + 1, ordinals - _firsts_of(month) + 1


def _whole_years(since: np.ndarray, day: np.ndarray) -> np.ndarray:
    """periods.whole_years over arrays of ordinals: whole years from `since` to `day`."""
    since_year, since_month, since_day = _year_month_day(since)
    year, month, dom = _year_month_day(day)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    feb29 = (since_month == 2) & (since_day == 29) & ~leap  # its anniversary falls on 28 February
    before = (month < since_month) | ((month == since_month) & (dom < np.where(feb29, 28, since_day)))
    return np.where(day < since, 0, year - since_year - before)


def _billed_starts(billed: Billed, index: dict[str, int]) -> np.ndarray:
    """What posted invoices hold of these lines, as line index << 22 | covered start (every ordinal < 2^22)."""
    starts: dict[str, int] = {}
    held = []
    for key in billed.keys:
        parts = recurring_key_parts(key)
        k = index.get(parts[0]) if parts else None
        if parts and k is not None:
            o = starts.get(parts[1])
            if o is None:
                o = starts[parts[1]] = date.fromisoformat(parts[1]).toordinal()
            held.append(k << 22 | o)
    return np.array(held, dtype=np.int64)


def recurring_periods(book: Book, reach: date, billed: Billed) -> Periods:
    """Every period of the active contracts' lines due by `reach` (advance: starting by it; arrears:
    ending by it) and not held by a posted invoice, in contract, line and period order."""
    by_contract: dict[str, list[ContractLine]] = {}
    for ln in book.lines:
        by_contract.setdefault(ln.contract_id, []).append(ln)
    lines: list[tuple[Contract, ContractLine]] = []
    rows = []  # per line: its grid's first month, months a period, window, last day, contract start, timing
    reach_o = reach.toordinal()
    for c in book.contracts:
        if c.status != "active":
            continue
        grid = _month_index(c.start_date)
        for ln in by_contract.get(c.contract_id, ()):
            start, end = line_window(ln, c)
            if c.billed_through and c.billed_through >= start:
                start = date.fromordinal(c.billed_through.toordinal() + 1)
            last = min(end, reach) if end else reach
            lines.append((c, ln))
            rows.append((grid, MONTHS[c.billing_frequency], start.toordinal(), end.toordinal() if end else _NO_END,
                         last.toordinal(), _month_index(start), _month_index(last), c.start_date.toordinal(),
                         bool(c.escalation_pct), c.billing_timing != "advance"))
    none = Periods(lines, *(np.zeros(0, dtype=np.int64),) * 6)
    if not rows:
        return none
    grid, step, first, end, last, first_m, last_m, since, escalates, arrears = np.array(rows, dtype=np.int64).T
    m0 = (first_m - grid) // step * step  # the grid period holding the window's first day
    count = np.where(first <= last, (last_m - grid - m0) // step + 1, 0)
    line = np.repeat(np.arange(len(rows)), count)
    if not len(line):
        return none
    nth = np.arange(len(line)) - np.repeat(np.cumsum(count) - count, count)
    month = grid[line] + m0[line] + nth * step[line]
    p_start, p_end = _firsts_of(month), _firsts_of(month + step[line]) - 1
    start, stop = np.maximum(p_start, first[line]), np.minimum(p_end, end[line])
    keep = (start <= stop) & ((arrears[line] == 0) | (stop <= reach_o))
    held = _billed_starts(billed, {ln.line_id: k for k, (_, ln) in enumerate(lines)})
    if len(held):
        keep &= ~np.isin(line << 22 | start, held)
    line, start, stop, p_start, p_end = line[keep], start[keep], stop[keep], p_start[keep], p_end[keep]
    if not len(line):
        return none
    year = _whole_years(since[line], start) * escalates[line]  # without escalation every year prices alike
    cents = _cents(lines, line, year, start, stop, p_start, p_end)
    bill_on = np.where(arrears[line] == 1, stop + 1, start)
    return Periods(lines, line, start, stop, year, cents, bill_on)


def _line_years(line: np.ndarray, year: np.ndarray) -> tuple[list[tuple[int, int]], np.ndarray]:
    """The distinct (line, contract year) pairs of periods, and each period's pair (an index into them):
    what is priced per line and year is worked out once per pair."""
    span = int(year.max()) + 1
    pairs, where = np.unique(line * span + year, return_inverse=True)
    return [divmod(k, span) for k in pairs.tolist()], where


def _cents(lines: list[tuple[Contract, ContractLine]], line: np.ndarray, year: np.ndarray, start: np.ndarray,
           stop: np.ndarray, p_start: np.ndarray, p_end: np.ndarray) -> np.ndarray:
    """Each period's amount in cents: round(quantity × escalated price) for a whole period, that prorated
    by covered days over period days for a part of one (proration "daily")."""
    pairs, where = _line_years(line, year)
    amounts = [_cents_of(full_amount(lines[k], y)) for k, y in pairs]
    # integer cents; amounts escalation has made astronomical (beyond 2^50 cents) stay Python integers
    fits = max(map(abs, amounts)) < 2**50
    cents = np.array(amounts, dtype=np.int64 if fits else object)[where]
    daily = np.array([c.proration != "none" for c, _ in lines], dtype=bool)
    part = np.flatnonzero(daily[line] & ((start != p_start) | (stop != p_end)))
    for k in part:
        amount = full_amount(lines[line[k]], int(year[k]))
        cents[k] = _cents_of(prorate(amount, int(stop[k] - start[k] + 1), int(p_end[k] - p_start[k] + 1)))
    return cents


def unit_price(of: tuple[Contract, ContractLine], year: int) -> Decimal:
    """A contract line's price in a contract year, escalated."""
    contract, line = of
    return escalated(line.unit_price, contract.escalation_pct, year)


def full_amount(of: tuple[Contract, ContractLine], year: int) -> Decimal:
    """What a whole period of a contract's line bills in a contract year."""
    quantity, price = of[1].quantity, unit_price(of, year)
    return _amount(quantity, price, quantity.is_signed(), price.is_signed())


@lru_cache(maxsize=1 << 16)  # lines bill the same few quantities at the same few prices: each product once
def _amount(quantity: Decimal, price: Decimal, *_signs: bool) -> Decimal:
    """round_half_up(quantity × price, 2): equal figures give the same digits, and the signs a zero's."""
    return round_cents(quantity * price)


def _cents_of(amount: Decimal) -> int:
    return int(amount.scaleb(2))


@lru_cache(maxsize=1 << 16)  # lines bill the same few amounts month after month: each made once
def money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def _taken(values: list, at: np.ndarray) -> list:
    """values[at[0]], values[at[1]], ...: one element per index, picked in C."""
    column = np.empty(len(values), dtype=object)
    column[:] = values  # each a scalar (text, a number, a day or None): one element each
    return column[at].tolist()


_item = partial(tuple.__new__, Item)  # an Item from its fields in order, made in C


def items(book: Book, periods: Periods) -> list[Item]:
    """The periods as Items, as a close bills them: built a column at a time (each distinct day, price
    and amount made once, then picked per period), so a first close's catch-up of hundreds of
    thousands of periods costs little more than its arrays."""
    n = len(periods)
    if not n:
        return []
    line = periods.line
    fixed = [(ln.line_id, c.customer_id, c.contract_id, ln.description, ln.quantity, ln.tax_category or "services",
              c.po_number, book.cell(ln, "unit_price"), ln.revenue_account) for c, ln in periods.lines]
    line_id, customer, contract, description, quantity, category, po, where, account = (
        _taken(list(column), line) for column in zip(*fixed))
    days, at = np.unique(np.concatenate([periods.start, periods.end]), return_inverse=True)
    day = [date.fromordinal(o) for o in days.tolist()]
    start, end = _taken(day, at[:n]), _taken(day, at[n:])
    iso = _taken([d.isoformat() for d in day], at[:n])
    pairs, which = _line_years(line, periods.year)
    price = _taken([unit_price(periods.lines[k], y) for k, y in pairs], which)
    cents, each = np.unique(periods.cents, return_inverse=True)
    amount = _taken([money(int(c)) for c in cents.tolist()], each)
    key = list(map(RECURRING_KEY, line_id, iso))
    return list(map(_item, zip(key, repeat("recurring", n), line_id, customer, contract, description, start, end,
                               quantity, price, amount, category, po, where, repeat((), n), account)))
