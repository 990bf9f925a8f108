"""What is due on an invoice date: recurring periods, time, overage, milestones and charges (spec section 3).

Each due item knows its stable source key, so an item already on a posted invoice is never billed
again. Work grows linearly with rows: records are grouped by contract once, never searched per entry.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from operator import attrgetter
from typing import Iterable, NamedTuple

from .models import Book, Charge, Contract, ContractLine, Rate, TimeEntry
from .money import ZERO, round_cents
from .periods import Period, escalated, period_of, periods_between, prorate, whole_years

ORDER = {"recurring": 0, "milestone": 1, "time": 2, "overage": 3, "charge": 4}
CHARGE_TAX = {"hardware": "hardware", "software": "software"}


class Item(NamedTuple):
    key: str  # stable identity of what is billed: never billed twice
    source_type: str  # recurring / time / overage / milestone / charge
    source_id: str
    customer_id: str
    contract_id: str | None
    description: str
    service_start: date
    service_end: date
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    tax_category: str
    po_number: str | None
    where: str  # the source cell
    entry_ids: tuple[str, ...] = ()
    revenue_account: str | None = None


class Billed(NamedTuple):
    """What posted invoices already hold: item keys, billed entries, T&M billed per contract."""

    keys: frozenset[str] = frozenset()
    entries: frozenset[str] = frozenset()
    time_billed: dict[str, Decimal] = {}


def recurring_key(line_id: str, covered_start: date) -> str:
    return f"recurring:{line_id}:{covered_start.isoformat()}"


def _line_window(line: ContractLine, contract: Contract) -> tuple[date, date | None]:
    start = max(line.start_date or contract.start_date, contract.start_date)
    ends = [d for d in (line.end_date, contract.end_date) if d]
    return start, min(ends) if ends else None


def recurring_items(book: Book, contract: Contract, lines: Iterable[ContractLine], invoice_date: date,
                    through: date, billed: Billed, billed_through: date | None = None) -> list[Item]:
    items = []
    advance = contract.billing_timing == "advance"
    horizon = invoice_date if advance else through
    for line in lines:
        start, end = _line_window(line, contract)
        if billed_through and billed_through >= start:
            start = billed_through + timedelta(days=1)
        last = min(end, horizon) if end else horizon
        pricing = _LinePricing(book, contract, line)
        for period in periods_between(contract.start_date, contract.billing_frequency, start, last):
            cover = Period(max(period.start, start), min(period.end, end) if end else period.end)
            if cover.start > cover.end:
                continue
            due = cover.start <= invoice_date if advance else cover.end <= through
            key = recurring_key(line.line_id, cover.start)
            if due and key not in billed.keys:
                items.append(pricing.item(period, cover, key))
    return items


class _LinePricing:
    """One contract line's periods priced: escalation per contract year, proration per period."""

    def __init__(self, book: Book, contract: Contract, line: ContractLine):
        self.contract, self.line = contract, line
        self.where = book.cell(line, "unit_price")
        self._full: dict[int, tuple[Decimal, Decimal]] = {}  # contract year -> (price, amount for a full period)

    def item(self, period: Period, cover: Period, key: str) -> Item:
        c, line = self.contract, self.line
        years = whole_years(c.start_date, cover.start)
        if years not in self._full:
            price = escalated(line.unit_price, c.escalation_pct, years)
            self._full[years] = (price, round_cents(line.quantity * price))
        price, full = self._full[years]
        amount = full if c.proration == "none" else prorate(full, cover.days, period.days)
        return Item(key, "recurring", line.line_id, c.customer_id, c.contract_id, line.description, cover.start,
                    cover.end, line.quantity, price, amount, line.tax_category or "services", c.po_number, self.where,
                    (), line.revenue_account)


class RateBook:
    """Rates by (contract or None, work type), effective-dated; contract rates win over defaults."""

    def __init__(self, rates: Iterable[Rate]):
        self._by: dict[tuple[str | None, str], list[Rate]] = defaultdict(list)
        for r in rates:
            self._by[(r.contract_id, r.work_type.strip().lower())].append(r)
        self._cache: dict[tuple[str | None, str, date], Decimal | None] = {}

    def rate(self, contract_id: str | None, work_type: str, day: date) -> Decimal | None:
        wt = work_type.strip().lower()
        if (contract_id, wt) in self._by:
            found = self._in_effect((contract_id, wt), day)
            if found is not None:
                return found
        key = (None, wt, day)  # default rates: a few work types and days, looked up once each
        if key not in self._cache:
            self._cache[key] = self._in_effect((None, wt), day)
        return self._cache[key]

    def _in_effect(self, key: tuple[str | None, str], day: date) -> Decimal | None:
        found = [r for r in self._by.get(key, ()) if (r.effective_from is None or r.effective_from <= day)
                 and (r.effective_to is None or day <= r.effective_to)]
        return max(found, key=lambda r: (r.effective_from or date.min, r.row)).rate if found else None


_BY_DATE_AND_ID = attrgetter("date", "entry_id")


class TimeSplit(NamedTuple):
    entry: TimeEntry
    hours: Decimal
    rate: Decimal
    source_type: str  # time or overage


def split_included(contract: Contract, entries: list[TimeEntry], rates: RateBook) -> list[TimeSplit]:
    """Billable hours of a contract's approved entries, after its included hours per billing period.

    Entries consume the included hours in (date, entry_id) order within each period; only hours
    beyond them are billed, at the overage rate (or the entry's own rate when there is none)."""
    out = []
    used: dict[date, Decimal] = defaultdict(lambda: ZERO)
    ordered = contract.included_hours or contract.not_to_exceed is not None  # order matters only then
    for e in sorted(entries, key=_BY_DATE_AND_ID) if ordered else entries:
        rate = rates.rate(contract.contract_id, e.work_type, e.date)
        if rate is None:
            continue
        if not contract.included_hours:
            out.append(TimeSplit(e, e.hours, rate, "time"))
            continue
        start = period_of(contract.start_date, contract.billing_frequency, e.date).start
        free = max(contract.included_hours - used[start], ZERO)
        covered = min(free, e.hours)
        used[start] += covered
        if e.hours > covered:
            out.append(TimeSplit(e, e.hours - covered, contract.overage_rate or rate, "overage"))
    return out


def time_items(book: Book, contract: Contract, entries: list[TimeEntry], rates: RateBook, through: date,
               billed: Billed) -> tuple[list[Item], Decimal]:
    """Time and overage lines of one contract, capped by its not-to-exceed; also the amount left unbilled by the cap."""
    splits = [s for s in split_included(contract, entries, rates)
              if s.entry.entry_id not in billed.entries and not s.entry.invoice_number]
    remaining = None
    if contract.not_to_exceed is not None:
        remaining = max(contract.not_to_exceed - billed.time_billed.get(contract.contract_id, ZERO), ZERO)
    groups: dict[tuple[str, str, Decimal], list[TimeSplit]] = defaultdict(list)
    partial: list[tuple[TimeSplit, Decimal]] = []
    unbilled = ZERO
    for s in splits:
        amount = s.hours * s.rate
        if remaining is not None:
            if amount > remaining:
                if remaining > 0:
                    partial.append((s, round_cents(remaining)))
                unbilled += amount - remaining
                remaining = ZERO
                continue
            remaining -= amount
        groups[(s.source_type, s.entry.work_type, s.rate)].append(s)
    items = []
    for (kind, work_type, rate), group in groups.items():
        hours = sum((s.hours for s in group), ZERO)
        ids = tuple(s.entry.entry_id for s in group)
        label = "Overage" if kind == "overage" else work_type
        items.append(Item(f"{kind}:{contract.contract_id}:{work_type}:{rate}:{ids[0]}", kind,
                          f"{contract.contract_id}/{work_type}/{rate}", contract.customer_id, contract.contract_id,
                          f"{label}: {hours.normalize():f} h at {rate:,.2f}" if kind == "overage" else work_type,
                          min(s.entry.date for s in group), max(s.entry.date for s in group), hours, rate,
                          round_cents(hours * rate), "services", contract.po_number,
                          book.cell(group[0].entry, "hours"), ids))
    for s, amount in partial:
        hours = (amount / s.rate).quantize(Decimal("0.0001"))
        items.append(Item(f"{s.source_type}:{contract.contract_id}:{s.entry.entry_id}:cap", s.source_type,
                          s.entry.entry_id, contract.customer_id, contract.contract_id,
                          f"{s.entry.work_type} (capped at the not-to-exceed amount)", s.entry.date, s.entry.date,
                          hours, s.rate, amount, "services", contract.po_number, book.cell(s.entry, "hours"),
                          (s.entry.entry_id,)))
    return items, round_cents(unbilled)


def charge_item(book: Book, charge: Charge, contract: Contract | None) -> Item:
    category = charge.tax_category or CHARGE_TAX.get(charge.kind, "services")
    po = charge.po_number or (contract.po_number if contract else None)
    return Item(f"charge:{charge.charge_id}", "charge", charge.charge_id, charge.customer_id, charge.contract_id,
                charge.description, charge.date, charge.date, charge.quantity, charge.unit_price,
                round_cents(charge.quantity * charge.unit_price), category, po, book.cell(charge, "unit_price"))


def eligible_time(entries: Iterable[TimeEntry], contracts: dict[str, Contract], through: date,
                  excluded: frozenset[str] = frozenset()) -> dict[str, list[TimeEntry]]:
    """Approved billable entries up to the cutoff with positive hours, on an active contract of the same
    customer whose dates cover them, not excluded by staff. (Later entries cannot change how earlier
    ones use included hours.)"""
    by_contract: dict[str, list[TimeEntry]] = defaultdict(list)
    for e in entries:
        if not (e.contract_id in contracts and e.approved and e.billable and e.date <= through and e.hours > 0):
            continue
        if excluded and f"entry:{e.entry_id}" in excluded:
            continue
        c = contracts[e.contract_id]
        if c.customer_id != e.customer_id or e.date < c.start_date or (c.end_date and e.date > c.end_date):
            continue
        by_contract[e.contract_id].append(e)
    return by_contract


def due_items(book: Book, invoice_date: date, through: date, billed: Billed,
              excluded: frozenset[str] = frozenset()) -> tuple[list[Item], dict[str, Decimal]]:
    """Every item due on the invoice date and not yet billed, in a defined order; plus cap shortfalls per contract."""
    contracts = {c.contract_id: c for c in book.contracts}
    active = {k: c for k, c in contracts.items() if c.status == "active"}
    lines_by: dict[str, list[ContractLine]] = defaultdict(list)
    for line in book.lines:
        lines_by[line.contract_id].append(line)
    rates = RateBook(book.rates)
    time_by = eligible_time(book.time_entries, active, through, excluded)
    items: list[Item] = []
    capped: dict[str, Decimal] = {}
    for cid, contract in active.items():
        items += recurring_items(book, contract, lines_by.get(cid, ()), invoice_date, through, billed,
                                 contract.billed_through)
        if cid in time_by:
            got, unbilled = time_items(book, contract, time_by[cid], rates, through, billed)
            items += got
            if unbilled:
                capped[cid] = unbilled
    for m in book.milestones:
        key = f"milestone:{m.milestone_id}"
        c = active.get(m.contract_id)
        if c and m.completed_date and m.completed_date <= through and key not in billed.keys:
            items.append(Item(key, "milestone", m.milestone_id, c.customer_id, c.contract_id, m.description,
                              m.completed_date, m.completed_date, Decimal(1), m.amount, m.amount, "services",
                              c.po_number, book.cell(m, "amount")))
    for ch in book.charges:
        contract = contracts.get(ch.contract_id) if ch.contract_id else None
        if contract is not None and contract.status != "active":
            continue
        if ch.date <= through and not ch.invoice_number and f"charge:{ch.charge_id}" not in billed.keys:
            items.append(charge_item(book, ch, contract))
    if excluded:  # items staff chose to leave out (resolution "exclude" on a discrepancy)
        items = [i for i in items if i.key not in excluded]
    items.sort(key=lambda i: (i.customer_id, i.contract_id or "", ORDER[i.source_type], i.service_start, i.key))
    return items, capped
