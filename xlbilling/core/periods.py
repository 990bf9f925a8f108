"""The period grid of the spec: calendar-month periods counted from the contract's start month,
inclusive day counts, whole years for escalation. All periods are [start, end] with both ends inclusive."""

from __future__ import annotations

from calendar import monthrange
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple
from collections.abc import Iterator

from .money import round_cents

MONTHS = {"monthly": 1, "quarterly": 3, "semiannual": 6, "annual": 12}
ONE_DAY = timedelta(days=1)


class Period(NamedTuple):
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def add_months(d: date, months: int) -> date:
    """The first day of the month `months` after d's month."""
    index = d.year * 12 + d.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_end(d: date) -> date:
    return date(d.year, d.month, monthrange(d.year, d.month)[1])


@lru_cache(maxsize=1 << 14)  # contracts share start months and the days asked about: each grid cell once
def period_of(contract_start: date, frequency: str, day: date) -> Period:
    """The billing period containing `day` on the contract's grid."""
    step = MONTHS[frequency]
    months = (day.year - contract_start.year) * 12 + day.month - contract_start.month
    start = add_months(contract_start.replace(day=1), (months // step) * step)
    return Period(start, add_months(start, step) - ONE_DAY)


def periods_between(contract_start: date, frequency: str, first: date, last: date) -> Iterator[Period]:
    """Every period of the grid that overlaps [first, last]."""
    if first > last:
        return
    p = period_of(contract_start, frequency, first)
    while p.start <= last:
        yield p
        p = Period(p.end + ONE_DAY, add_months(p.end + ONE_DAY, MONTHS[frequency]) - ONE_DAY)


def anniversary(start: date, years: int) -> date:
    """start + years; a 29 February start has its anniversary on 28 February in common years."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return date(start.year + years, 2, 28)


def whole_years(start: date, day: date) -> int:
    """Whole years from start to day (0 before the first anniversary; 1 on it)."""
    if day < start:
        return 0
    n = day.year - start.year
    return n if anniversary(start, n) <= day else n - 1


def escalated(unit_price: Decimal, pct: Decimal | None, years: int) -> Decimal:
    """round_half_up(unit_price × (1 + pct)^years, 2): the price after escalation."""
    if not pct or years <= 0:
        return unit_price
    return _escalated(unit_price, pct, years, unit_price.is_signed())


@lru_cache(maxsize=1 << 16)  # lines share prices and rates: each escalated once a contract year
def _escalated(unit_price: Decimal, pct: Decimal, years: int, _signed: bool) -> Decimal:
    """Equal prices (45 and 45.0) give the same rounded digits; the sign tells -0 and 0 apart."""
    return round_cents(unit_price * (1 + pct) ** years)


def prorate(amount: Decimal, covered_days: int, period_days: int) -> Decimal:
    if covered_days >= period_days:
        return amount
    return round_cents(amount * covered_days / period_days)
